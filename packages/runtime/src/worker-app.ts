import cluster from 'node:cluster';
import { type Config, loadConfigOrExit } from '@integrador/config';
import { allowLoopbackOutbound, type ConnectionsRegistry } from '@integrador/connections';
import { createSourceReaderFactory, type SourceReaderFactory } from '@integrador/integrador';
import type { QueueName } from '@integrador/jobs';
import { createLogger, type Logger } from '@integrador/logging';
import {
  assertRedisSafe,
  createJobRecorder,
  createRedis,
  type JobObserver,
  type QueueHandlers,
  RedisConfigurationError,
  restoreLimitsMirror,
  ShutdownRegistry,
  startQueueWorker,
  startRetentionSweep,
  startWedgeGuard,
  TenantLimiter,
  waitUntilReady,
} from '@integrador/queue';
import { type CrmDatabase, createDatabase } from '@integrador/store';
import { type BatcherFactory, createBatcherFactory, createTransportFactory, type TransportFactory } from '@integrador/transports';
import type { Registry } from 'prom-client';
import { loadAppConnections, reloadConnectionsOnHangup } from './app-connections';
import { logGroupFailures } from './group-failures';
import { startMetricsServer } from './metrics/metrics-server';
import { createRetentionMetrics } from './metrics/retention-metrics';
import { createWorkerMetrics } from './metrics/worker-metrics';
import { checkSchema } from './schema-check';
import { isClusterPrimary, joinCluster, runWorkerPrimary } from './worker-cluster';

/** What a worker app's handler factory receives. */
export interface WorkerDeps {
  config: Config;
  logger: Logger;
  /** The CRM database (configuration tables and the CRM rows integrations read and write). */
  database: CrmDatabase;
  /** The connections file; secrets resolved from the environment. */
  connections: ConnectionsRegistry;
  /** SET receptors' transports, one per connection (closed at shutdown). */
  transports: TransportFactory;
  /** SET receptors' micro-batchers, one per (tenant, integration) with lote_maximo > 1 (bounded; awaited at shutdown). */
  batchers: BatcherFactory;
  /** GET sources' readers, one per connection (closed at shutdown). */
  sources: SourceReaderFactory;
}

/** What a worker app's services beside its jobs (e.g. worker-get's schedules) run on. */
export interface WorkerServices {
  /** The worker-role Redis connection (waits across reconnects). */
  redis: ReturnType<typeof createRedis>;
  /** The process's shutdown registry: a service registers its stop here. */
  shutdown: ShutdownRegistry;
  /** Registers work to do when a job of the queue failed for good (e.g. close the records it left "executando"). */
  onJobFailedForGood(handler: FinalFailureHandler): void;
  /** The process's metrics registry (served on METRICS_PORT): an app registers its own metrics here. */
  metrics: Registry;
}

/** What a final-failure handler sees of the job (BullMQ's Job has these). */
export type FinalFailureHandler = (job: { id?: string; name: string; data: unknown }, err: Error) => Promise<void>;

/** What differs between worker apps beside their handlers. */
export interface WorkerAppOptions {
  /** Jobs per process when WORKER_CONCURRENCY is not set (its own default otherwise): I/O-bound apps run more. */
  defaultConcurrency?: number;
  /**
   * Most CRM connections per process (50 otherwise): the pool holds WORKER_CONCURRENCY + 2 up to this. An app whose jobs
   * group their database work (worker-webhook) needs far fewer connections than jobs.
   */
  maxPoolSize?: number;
}

/** The CRM pool of one worker process: a connection per job and two spare, up to the app's maximum. */
function crmPoolSize(config: Pick<Config, 'workerConcurrency'>, options: WorkerAppOptions): number {
  return Math.min(config.workerConcurrency + 2, options.maxPoolSize ?? 50);
}

/**
 * Runs one worker app: validated config, a worker-role Redis connection checked for noeviction,
 * a BullMQ worker for the queue and a shutdown registry that lets in-flight jobs finish on SIGTERM.
 * With WORKER_PROCESSES > 1 this process becomes the primary of that many such processes (worker-cluster.ts).
 */
export async function runWorkerApp<Q extends QueueName>(
  app: string,
  queue: Q,
  createHandlers: (deps: WorkerDeps, services: WorkerServices) => QueueHandlers<Q>,
  options: WorkerAppOptions = {},
): Promise<void> {
  const defaults = options.defaultConcurrency === undefined ? {} : { WORKER_CONCURRENCY: String(options.defaultConcurrency) };
  const config = loadConfigOrExit(undefined, defaults);
  // The operator's choice, before any connection is reached (a cluster's members read the same environment).
  allowLoopbackOutbound(config.outboundAllowLoopback);
  const logger = createLogger({ name: app, level: config.logLevel, pretty: config.logPretty });
  if (isClusterPrimary(config)) return runWorkerPrimary(config, logger);
  // First thing in a cluster's worker process: the primary's metrics requests are lost until it listens.
  const member = cluster.isWorker ? joinCluster() : undefined;
  const shutdown = new ShutdownRegistry(logger, config.shutdownTimeoutMs);
  shutdown.installSignalHandlers({ startedByFleet: config.fleetStartId !== undefined });

  const connections = await loadAppConnections(config);
  const poolSize = crmPoolSize(config, options);
  const database = createDatabase(config.databaseUrl, {
    poolSize,
    applicationName: `integrador-${app}`,
    // A lost CRM connection fails the query using it (the job retries); the pool replaces it.
    onIdleError: (err) => logger.warn({ reason: err.message }, 'crm database connection lost'),
    // The same few statements run for every job: parsed and planned once per connection (PostgreSQL; off behind a
    // transaction-mode pooler, CRM_PREPARED_STATEMENTS=0).
    prepareHotStatements: config.crmPreparedStatements,
  });
  shutdown.add('database', () => database.destroy());
  await checkSchema(database, logger);
  // The store's grouped statements fall back to one statement per item when a group fails: say so once per group.
  logGroupFailures(logger);
  // A database receptor that refuses the login of the current definition reads the connections again, as the GET
  // sources below do: a replaced definition retires its pool (closed once unused) and the push retries with the new one.
  const transports = createTransportFactory(undefined, {
    connections,
    // Logged only when the file was read for it: refusals of a definition already replaced, or within the cooldown of
    // an unchanged read, would log one line per push.
    onReload: ({ refused, replaced, read, error }) =>
      error
        ? logger.warn({ connection: refused, reason: error.message }, 'receptor refused the login; connections reload failed')
        : read && logger.info({ connection: refused, replaced }, 'receptor refused the login; connections read again'),
  });
  shutdown.add('transports', () => transports.close());
  // Closed before the transports (steps run in reverse): a batch still under way finishes on its transport.
  const batchers = createBatcherFactory();
  shutdown.add('batchers', () => batchers.close());
  const sources = createSourceReaderFactory({
    // An ERP that refuses a pool's login (a rotated password): the file is read again before the run fails; a replaced
    // definition retires its pool (closed once no run reads from it) and the run retries with the new one.
    connections,
    // Logged only when the file was read for it: refusals of a definition already replaced, or within the cooldown of
    // an unchanged read, would log one line per run.
    onReload: ({ refused, replaced, read, error }) =>
      error
        ? logger.warn({ connection: refused, reason: error.message }, 'source refused the login; connections reload failed')
        : read && logger.info({ connection: refused, replaced }, 'source refused the login; connections read again'),
  });
  shutdown.add('sources', () => sources.close());
  // After the pools exist (they listen to reloads): SIGHUP reads CONNECTIONS_FILE again, as a refused login does.
  shutdown.add('connections reload on SIGHUP', reloadConnectionsOnHangup(connections, logger));

  const redis = createRedis(config.redisUrl, { role: 'worker', name: app, clusterNodes: config.redisClusterNodes, logger });
  shutdown.add('redis', () => redis.quit());

  // Metrics and the probes' /healthz answer from the start: 503 while Redis is not ready, so a probe sees the wait.
  // In a cluster the primary answers both for every process; this one reports its Redis state to it. Only after the
  // SIGHUP handler above: the primary passes SIGHUP on to a process once it has reported (worker-cluster.ts).
  member?.reportHealth(redis);
  const metrics =
    member ??
    (await startMetricsServer({
      port: config.metricsPort,
      host: config.host,
      token: config.metricsToken,
      ready: () => redis.status === 'ready',
      logger,
    }).catch(async (err: Error) => {
      logger.fatal({ port: config.metricsPort }, err.message);
      process.stderr.write(`${err.message}\n`);
      await shutdown.run('metrics port unavailable');
      process.exit(1);
    }));
  // Closed after the worker has drained (steps run in reverse): the probes keep answering meanwhile.
  shutdown.add('metrics server', () => metrics.close());

  // Workers wait for Redis (they reconnect forever); they refuse to start only on a Redis that may lose jobs.
  while (redis.status !== 'ready') {
    await waitUntilReady(redis, 5000).catch(() => logger.warn({ status: redis.status }, 'waiting for redis'));
    if (redis.status === 'end') return;
  }
  try {
    await assertRedisSafe(redis);
  } catch (err) {
    if (err instanceof RedisConfigurationError) {
      logger.fatal({ code: err.code }, err.message);
      process.stderr.write(`${err.message}\n`);
      await shutdown.run('redis misconfigured');
      process.exit(1);
    }
    throw err;
  }

  // Limits are read from Redis' mirror of limites_tenant, reloaded within a second of a change.
  await restoreLimitsMirror(database, redis, config.keyPrefix, logger);
  const limiter = new TenantLimiter({ redis, prefix: config.keyPrefix, logger, leaseMs: config.jobLockMs });
  await limiter.start();
  shutdown.add('limits', () => limiter.close());
  const finalFailures: FinalFailureHandler[] = [];
  const services: WorkerServices = {
    redis,
    shutdown,
    onJobFailedForGood: (handler) => void finalFailures.push(handler),
    metrics: metrics.registry,
  };
  // Steps run in reverse: the records still being written are awaited after the worker has closed.
  const recorder = createJobRecorder(database, logger);
  const jobMetrics = createWorkerMetrics(metrics.registry);
  shutdown.add('job records', () => recorder.drain());
  const inFlight = trackJobsInFlight();
  const worker = startQueueWorker({
    queue,
    handlers: createHandlers({ config, logger, database, connections, transports, batchers, sources }, services),
    onFinalFailure: async (job, err) => void (await Promise.all(finalFailures.map((handler) => handler(job, err)))),
    connection: redis,
    prefix: config.keyPrefix,
    concurrency: config.workerConcurrency,
    lockMs: config.jobLockMs,
    logger,
    limiter,
    // The dashboard's record of every job, in the CRM database (written in the background), and this process's metrics.
    observer: combineObservers(recorder, jobMetrics, inFlight),
  });
  shutdown.add('worker', async () => {
    // Said once at the start of the drain and when it ends, so an operator can tell a drain from a hang.
    const waiting = [...inFlight.ids];
    const seconds = Math.round(config.shutdownTimeoutMs / 1000);
    if (waiting.length > 0)
      logger.info(
        { queue, jobs: waiting, deadlineMs: config.shutdownTimeoutMs },
        `waiting for ${waiting.length} job${waiting.length === 1 ? '' : 's'} (${waiting.join(', ')}), up to ${seconds} s`,
      );
    const started = Date.now();
    await worker.close();
    if (waiting.length > 0) logger.info({ queue, jobs: waiting, durationMs: Date.now() - started }, 'jobs in flight done, worker closed');
  });
  // Every worker app may sweep for dependency flows blocked too long; a Redis lock keeps it to one sweep per interval.
  const guard = startWedgeGuard({
    redis,
    prefix: config.keyPrefix,
    timeoutMs: config.flowBlockedTimeoutMs,
    intervalMs: config.flowGuardIntervalMs,
    logger,
  });
  shutdown.add('wedge guard', () => guard.stop());
  // Every worker app may purge history past its retention (RETENTION_*_DAYS); a Redis lock keeps it to one at a time.
  const retention = startRetentionSweep({
    database,
    redis,
    prefix: config.keyPrefix,
    retention: config.retention,
    intervalMs: config.retention.intervalMs,
    logger,
    onPurged: createRetentionMetrics(metrics.registry),
  });
  shutdown.add('retention sweep', () => retention.stop());
  await worker.waitUntilReady();
  logger.info({ queue, concurrency: config.workerConcurrency, crmPoolSize: poolSize, prefix: config.keyPrefix }, 'worker started');
}

/** The ids of the jobs this process is running (started, not yet completed, failed or moved to delayed). */
function trackJobsInFlight(): JobObserver & { ids: Set<string> } {
  const ids = new Set<string>();
  return {
    ids,
    onJobEvent({ job, kind }) {
      if (job.id === undefined) return;
      if (kind === 'started') ids.add(job.id);
      else ids.delete(job.id);
    },
  };
}

/** One observer telling several (each must return at once, as JobObserver says; a durable start, within its bound). */
function combineObservers(...observers: JobObserver[]): JobObserver {
  return {
    onJobEvent(event) {
      for (const observer of observers) observer.onJobEvent(event);
    },
    async onDurableStart(event) {
      await Promise.all(
        observers.map((observer) => (observer.onDurableStart ? observer.onDurableStart(event) : observer.onJobEvent(event))),
      );
    },
  };
}
