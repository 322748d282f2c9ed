import cluster, { type Worker } from 'node:cluster';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '@integrador/config';
import type { Logger } from '@integrador/logging';
import { ShutdownRegistry } from '@integrador/queue';
import { AggregatorRegistry, type PrometheusContentType } from 'prom-client';
import { takeHeldHangup } from './hold-hangup';
import { type MetricsServer, startMetricsServer } from './metrics/metrics-server';
import { registerProcessMetrics } from './metrics/process-metrics';
import { RestartBackoff } from './restart-backoff';
import { CLUSTER_STOP_MARGIN_MS } from './stop-margins';

// Why node:cluster rather than child processes under a supervisor like the fleet's: cluster.fork starts the same
// entry with the same node flags (tsx in development, the compiled bundle with source maps, worker-get's heap cap),
// its IPC channel is what prom-client's AggregatorRegistry collects every process's metrics over, and a child exits
// by itself when the primary dies (no orphans holding jobs). No port is shared: only the primary listens.

/** The message a worker process sends the primary whenever its Redis connection becomes ready or is lost. */
const HEALTH = 'integrador:worker-health';

/** Whether a process is the primary of a worker app run with WORKER_PROCESSES > 1 (it runs no jobs itself). */
export function isClusterPrimary(config: Config): boolean {
  return cluster.isPrimary && config.workerProcesses > 1;
}

interface Slot {
  worker: Worker | undefined;
  /** It has its metrics listener installed (the primary's requests before that would be lost). */
  reporting: boolean;
  /** Its Redis connection is ready. */
  ready: boolean;
  /**
   * It has reported its Redis connection's state (reportHealth, called once its connections and their SIGHUP handler
   * are set up) or a ready connection: loaded, its shutdown registry installed.
   */
  loaded: boolean;
  /**
   * A SIGHUP came while it was loading: it may have read CONNECTIONS_FILE before the edit, so it is sent one as soon as
   * it reports loaded.
   */
  hangupPending: boolean;
  backoff: RestartBackoff;
  startedAt: number;
  timer: NodeJS.Timeout | undefined;
}

/**
 * The primary of a worker app with WORKER_PROCESSES > 1: runs that many worker processes of the app, restarts one that
 * dies with the fleet supervisor's growing backoff (RestartBackoff, reset after a minute of running), serves /metrics (every
 * process's, aggregated) and /healthz (200 while every process runs with its Redis ready) on METRICS_PORT, and on
 * SIGTERM/SIGINT sends SIGTERM to every process and exits once all have drained (0 if every one exited cleanly).
 */
export async function runWorkerPrimary(config: Config, logger: Logger): Promise<void> {
  // The processes drain within SHUTDOWN_TIMEOUT_MS each; the primary's own deadline leaves them that and a margin.
  const shutdown = new ShutdownRegistry(logger, config.shutdownTimeoutMs + CLUSTER_STOP_MARGIN_MS);
  shutdown.installSignalHandlers({ startedByFleet: config.fleetStartId !== undefined });
  const slots: Slot[] = Array.from({ length: config.workerProcesses }, () => ({
    worker: undefined,
    reporting: false,
    ready: false,
    loaded: false,
    hangupPending: false,
    backoff: new RestartBackoff(),
    startedAt: 0,
    timer: undefined,
  }));
  let stopping = false;

  const aggregator = new AggregatorRegistry();
  const metrics = await startMetricsServer({
    port: config.metricsPort,
    host: config.host,
    token: config.metricsToken,
    ready: () => slots.every((slot) => slot.worker && slot.ready),
    logger,
    source: {
      contentType: aggregator.contentType,
      metrics: async () => {
        await untilReporting(slots);
        return aggregator.clusterMetrics();
      },
    },
  }).catch(async (err: Error) => {
    logger.fatal({ port: config.metricsPort }, err.message);
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  });
  shutdown.add('metrics server', () => metrics.close());

  const fork = (slot: Slot) => {
    const worker = cluster.fork();
    Object.assign(slot, {
      worker,
      reporting: false,
      ready: false,
      loaded: false,
      hangupPending: false,
      startedAt: Date.now(),
      timer: undefined,
    });
    worker.on('message', (message: { type?: string; ready?: boolean; loaded?: boolean }) => {
      if (message?.type !== HEALTH || slot.worker !== worker) return;
      slot.reporting = true;
      slot.ready = message.ready === true;
      slot.loaded ||= slot.ready || message.loaded === true;
      if (slot.loaded && slot.hangupPending) {
        slot.hangupPending = false;
        worker.process.kill('SIGHUP');
      }
    });
    worker.on('exit', (code, signal) => {
      if (slot.worker === worker) Object.assign(slot, { worker: undefined, reporting: false, ready: false });
      if (stopping) return;
      const delay = slot.backoff.next(Date.now() - slot.startedAt);
      logger.error({ pid: worker.process.pid, code, signal, restartInMs: delay }, 'worker process exited, restarting');
      slot.timer = setTimeout(() => fork(slot), delay);
    });
  };
  // SIGHUP (read CONNECTIONS_FILE again) is each process's to act on: passed on to every loaded one. A process still
  // loading has no handler yet (Node's default would kill it) and may have read the file before the edit: it gets its
  // SIGHUP once it reports loaded (a new process forked later reads the file itself).
  const onHangup = () => {
    for (const slot of slots) {
      if (slot.loaded) slot.worker?.process.kill('SIGHUP');
      else if (slot.worker) slot.hangupPending = true;
    }
  };
  process.on('SIGHUP', onHangup);
  // A SIGHUP while the primary started reaches no process yet: each one it forks reads the file itself.
  takeHeldHangup();
  shutdown.add('SIGHUP forwarding', () => void process.off('SIGHUP', onHangup));
  shutdown.add('worker processes', async () => {
    stopping = true;
    const exits = await Promise.all(slots.map(async (slot) => ({ loading: !slot.loaded, code: await stopSlot(slot) })));
    // Ended by the signal itself is clean only for a process still loading (no shutdown registry yet, no job taken);
    // a loaded one drains on SIGTERM, so dying of it means its jobs in flight were cut off.
    const clean = ({ loading, code }: (typeof exits)[number]) => code === 0 || (loading && code === 'SIGTERM');
    if (!exits.every(clean)) throw new Error(`worker processes exited with ${exits.map((exit) => exit.code).join(', ')}`);
  });
  for (const slot of slots) fork(slot);
  logger.info({ processes: slots.length, metricsPort: metrics.port }, 'worker processes started');
}

/** SIGTERM to a slot's process (its shutdown registry drains it); resolves with its exit code (0 when none ran). */
async function stopSlot(slot: Slot): Promise<number | string> {
  clearTimeout(slot.timer);
  const worker = slot.worker;
  if (!worker || worker.process.exitCode !== null) return worker?.process.exitCode ?? 0;
  const exited = new Promise<number | string>((resolve) => worker.once('exit', (code, signal) => resolve(signal ?? code)));
  worker.process.kill('SIGTERM');
  return exited;
}

/**
 * Waits (a few seconds at most) until every running process has installed its metrics listener: prom-client asks
 * every connected process and waits for all, and a process still loading would drop the request and fail the scrape.
 */
async function untilReporting(slots: Slot[]): Promise<void> {
  for (const until = Date.now() + 4000; Date.now() < until; await sleep(50)) {
    if (slots.every((slot) => !slot.worker || slot.reporting)) return;
  }
}

/**
 * A worker process's side of the cluster: its metrics registry, handed to the primary on each scrape (no server of its
 * own), and its Redis connection's state reported to the primary for /healthz.
 */
export function joinCluster(): MetricsServer & { reportHealth(redis: RedisEvents): void } {
  // Constructing an AggregatorRegistry in a cluster worker installs prom-client's answer to the primary's requests.
  const registry = new AggregatorRegistry<PrometheusContentType>();
  registerProcessMetrics(registry);
  AggregatorRegistry.setRegistries([registry]);
  const send = (ready: boolean, loaded = true) => {
    if (process.connected) process.send?.({ type: HEALTH, ready, loaded });
  };
  // Joined first thing, still loading: not yet one to pass SIGHUP on to.
  send(false, false);
  return {
    registry,
    port: 0,
    close: async () => undefined,
    reportHealth(redis) {
      redis.on('ready', () => send(true));
      redis.on('close', () => send(false));
      send(redis.status === 'ready');
    },
  };
}

/** What joinCluster watches of a Redis connection (ioredis' Redis and Cluster alike). */
interface RedisEvents {
  status: string;
  on(event: 'ready' | 'close', listener: () => void): unknown;
}
