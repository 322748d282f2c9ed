// First: a SIGHUP while the modules below load is held, not the end of the process (hold-hangup.ts).
import '@integrador/runtime/hold-hangup';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { childEnvironment, loadConfigOrExit, preferredLocale } from '@integrador/config';
import { ConnectionsFileError, loadConnections } from '@integrador/connections';
import { DEFAULT_LOCALE } from '@integrador/i18n';
import { createLogger } from '@integrador/logging';
import { takeHeldHangup } from '@integrador/runtime/hold-hangup';
import { CLUSTER_STOP_MARGIN_MS } from '@integrador/runtime/stop-margins';
import { createDatabase, migrateToLatest } from '@integrador/store';
import { FLEET_MESSAGES } from './messages';
import { firstPortInUse } from './ports';
import { type AppSpec, Supervisor } from './supervisor';

/** Every deployable of the fleet; in production each runs (and scales) on its own. */
const APPS: AppSpec[] = [
  { name: 'ingress', entry: 'apps/ingress/src/server.ts' },
  { name: 'worker-set', entry: 'apps/worker-set/src/main.ts' },
  // V8's default heap limit (a share of the machine's memory) lets a long pull grow the heap far beyond its working set
  // of two chunks; 128 MB of old space holds it with room to spare (bench/README.md, GET pulls).
  { name: 'worker-get', entry: 'apps/worker-get/src/main.ts', nodeFlags: ['--max-old-space-size=128'] },
  { name: 'worker-cti', entry: 'apps/worker-cti/src/main.ts' },
  { name: 'worker-webhook', entry: 'apps/worker-webhook/src/main.ts' },
];

/** How long the workers wait for the ingress to listen before starting anyway. */
const INGRESS_WAIT_MS = 20_000;

/**
 * Beyond the apps' own SHUTDOWN_TIMEOUT_MS, how long the fleet waits for them to exit on stop (an app past its deadline
 * still closes its pools and exits; a worker app with WORKER_PROCESSES > 1 is a primary with a margin of its own)
 * before it kills the ones still running.
 */
const STOP_GRACE_MS = CLUSTER_STOP_MARGIN_MS + 5_000;

/** All-in-one mode for a single machine: migrate once, then run the ingress and every worker. */
async function main(): Promise<void> {
  const root = path.resolve(__dirname, '../../..');
  const config = loadConfigOrExit();
  const logger = createLogger({ name: 'fleet', level: config.logLevel, pretty: config.logPretty });
  const locale = preferredLocale() ?? DEFAULT_LOCALE;
  // Node's default for SIGHUP ends the process, and with it the supervision of every app. The fleet holds no
  // connections: each app reads CONNECTIONS_FILE again on its own SIGHUP (a signal to the group reaches them all).
  // Not passed on: an app still loading has no handler yet and would die of it. A file that no longer loads leaves
  // every app with what it read last (each logs it): the operator who ran the fleet is told so once, here, as at start.
  const onHangup = () => {
    logger.info({}, 'SIGHUP: the fleet holds no connections; its apps read them again on their own SIGHUP');
    connectionsFileProblems(config).then(
      (err) => {
        if (!err) return;
        logger.warn(
          { file: err.file, problems: err.problems.length },
          'SIGHUP: connections file invalid; the apps keep the connections in use',
        );
        process.stderr.write(`${FLEET_MESSAGES.message(locale, 'CONNECTIONS_INVALID_ON_HANGUP')}\n${err.localized(locale)}\n`);
      },
      (err: Error) => logger.warn({ reason: err.message }, 'SIGHUP: connections file could not be checked'),
    );
  };
  process.on('SIGHUP', onHangup);
  if (takeHeldHangup()) onHangup();
  const [ingress, ...workersWithoutPorts] = APPS as [AppSpec, ...AppSpec[]];
  const workers = workersWithMetricsPorts(workersWithoutPorts, config.metricsPort);

  // Every port an app will listen on must be free now: another fleet on the same ports would answer the /healthz this
  // fleet waits for, and it would report a start that never happened.
  const portInUse = (taken: { port: number; variable: string }) => {
    const message = FLEET_MESSAGES.message(preferredLocale() ?? DEFAULT_LOCALE, 'PORT_IN_USE', { ...taken, host: config.host });
    logger.fatal({ port: taken.port, variable: taken.variable }, 'port in use, fleet not started');
    process.stderr.write(`${message}\n`);
  };
  const taken = await firstPortInUse(config.host, [
    { port: config.port, variable: 'PORT' },
    ...workers.map((spec, i) => ({ port: Number(spec.env?.METRICS_PORT), variable: i === 0 ? 'METRICS_PORT' : `METRICS_PORT+${i}` })),
  ]);
  if (taken) {
    portInUse(taken);
    process.exit(1);
  }

  // Every app reads CONNECTIONS_FILE at start and refuses an invalid one: read here first, so a typo stops the fleet
  // with its problems once, in the operator's language, instead of each app exiting and being restarted forever.
  const invalid = await connectionsFileProblems(config);
  if (invalid) {
    logger.fatal({ file: invalid.file, problems: invalid.problems.length }, 'connections file invalid, fleet not started');
    process.stderr.write(`${FLEET_MESSAGES.message(locale, 'CONNECTIONS_INVALID')}\n${invalid.localized(locale)}\n`);
    process.exit(1);
  }

  // Migrate before the apps start so they never race on the schema (embedded SQLite included).
  const database = createDatabase(config.databaseUrl);
  try {
    const applied = await migrateToLatest(database);
    logger.info({ applied }, applied.length ? 'migrations applied' : 'database up to date');
  } finally {
    await database.destroy();
  }

  // The children read the same, already validated environment, with paths pinned to what this process resolved, and
  // this start's own id: the ingress reports it on /healthz, so an answer on its port is known to be this fleet's child.
  const startId = randomUUID();
  const env = childEnvironment({
    FLEET_START_ID: startId,
    CRM_DATABASE_URL: config.databaseUrl,
    ...(config.connectionsFile ? { CONNECTIONS_FILE: config.connectionsFile } : {}),
  });
  // Compiled (apps/fleet/dist/main.js) when this file is the build's output, from source when run through tsx.
  const mode = __filename.endsWith('.js') ? 'compiled' : 'source';
  const supervisor = new Supervisor({ root, env, logger, mode, stopTimeoutMs: config.shutdownTimeoutMs + STOP_GRACE_MS });
  let stopping = false;
  // The apps share the fleet's process group: a terminal's Ctrl-C (or a stop sent to the group) reaches each app as
  // well as the fleet, and the fleet's own SIGTERM that follows is their second signal, which they log and ignore.
  // Handlers stay installed while the apps drain: a second Ctrl-C or stop must not kill this supervisor before its apps
  // have finished (it is logged and ignored; the supervisor's stop deadline bounds the wait).
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return logger.info({ signal }, 'fleet already stopping, signal ignored');
    stopping = true;
    logger.info({ signal }, 'stopping fleet');
    supervisor.stop().then((exits) => {
      logger.info({ exits }, 'fleet stopped');
      process.exit(0);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  // The ingress first, the workers once it listens: on a small machine six processes loading at once would make the
  // API wait for the workers' start-up; jobs enqueued meanwhile wait in Redis for the workers a moment later.
  supervisor.start([ingress]);
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const answer = await waitForIngress(`http://${host.includes(':') ? `[${host}]` : host}:${config.port}/healthz`, startId, INGRESS_WAIT_MS);
  if (answer === 'foreign') {
    // Someone else took the port after the check above (another fleet starting at the same moment): this fleet's ingress
    // cannot listen there, and that /healthz is not its own. Refused as the check refuses, once this start's apps are gone.
    stopping = true;
    portInUse({ port: config.port, variable: 'PORT' });
    await supervisor.stop();
    process.exit(1);
  }
  supervisor.start(workers);
  logger.info({ url: `http://${config.host}:${config.port}`, apps: APPS.map((a) => a.name), mode }, 'fleet started');

  // Once the workers answer their /readyz (Redis ready, the queue worker a moment away), one human summary of where
  // things are, in the operator's language, on stderr (stdout stays the JSON log).
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${config.port}`;
  const metricsPorts = workers.map((spec) => Number(spec.env?.METRICS_PORT)).filter((port) => port > 0);
  const waiting = await workersNotAnswering(host, workers, WORKERS_WAIT_MS, () => stopping);
  if (stopping) return;
  logger.info({ url: base, waiting }, waiting.length === 0 ? 'fleet ready' : 'fleet ready, some workers not answering yet');
  const say = (code: Parameters<typeof FLEET_MESSAGES.message>[1], params = {}) => FLEET_MESSAGES.message(locale, code, params);
  // Worded by what is known: every worker answered, some did not (yet), or none can be asked (METRICS_PORT=0).
  const unchecked = metricsPorts.length === 0;
  const up = workers.length - waiting.length;
  const headline = unchecked ? 'READY_UNCHECKED' : waiting.length === 0 ? 'READY' : 'READY_PARTIAL';
  const lines = [say(headline, { base, workers: workers.length, up })];
  if (config.dashboard.enabled) lines.push(say('READY_DASHBOARD', { base }));
  if (metricsPorts.length > 0) lines.push(say('READY_WORKER_METRICS', { first: metricsPorts[0] ?? 0, last: metricsPorts.at(-1) ?? 0 }));
  if (waiting.length > 0) lines.push(say('READY_WAITING', { apps: waiting.join(', ') }));
  lines.push(say('READY_STOP'));
  process.stderr.write(`${lines.join('\n')}\n`);
}

/** How long the ready summary waits for every worker's /readyz before it is printed naming the silent ones. */
const WORKERS_WAIT_MS = 60_000;

/**
 * The workers whose /readyz (on their METRICS_PORT) has not answered 200 within `deadlineMs`; a worker without a
 * metrics port cannot be asked and counts as up. Stops asking once the fleet is stopping.
 */
async function workersNotAnswering(host: string, workers: AppSpec[], deadlineMs: number, stopping: () => boolean): Promise<string[]> {
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const pending = new Map(
    workers
      .filter((spec) => Number(spec.env?.METRICS_PORT) > 0)
      .map((spec) => [spec.name, `http://${hostPart}:${spec.env?.METRICS_PORT}/readyz`]),
  );
  const until = Date.now() + deadlineMs;
  while (pending.size > 0 && Date.now() < until && !stopping()) {
    for (const [name, url] of pending) {
      const ok = await fetch(url, { signal: AbortSignal.timeout(1000) }).then(
        (response) => response.ok,
        () => false,
      );
      if (ok) pending.delete(name);
    }
    if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return [...pending.keys()];
}

/**
 * The workers share this machine, so each gets its own metrics port: METRICS_PORT for the first, the next ones after
 * it (9464, 9465, …); METRICS_PORT=0 keeps them all without a metrics server.
 */
function workersWithMetricsPorts(workers: AppSpec[], basePort: number): AppSpec[] {
  return workers.map((spec, i) => ({ ...spec, env: { ...spec.env, METRICS_PORT: String(basePort === 0 ? 0 : basePort + i) } }));
}

/**
 * Waits for the ingress's /healthz: `own` once it answers with this start's id, `foreign` as soon as anything else answers
 * there (another process holds the port: another fleet's ingress, with another id or none), `silent` when nothing
 * answered before the deadline (the workers start either way).
 */
async function waitForIngress(url: string, startId: string, deadlineMs: number): Promise<'own' | 'foreign' | 'silent'> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    const answer = await fetch(url, { signal: AbortSignal.timeout(1000) }).then(
      async (response) => ((await response.json().catch(() => undefined)) as { fleetStart?: unknown } | undefined)?.fleetStart ?? null,
      () => undefined,
    );
    if (answer !== undefined) return answer === startId ? 'own' : 'foreign';
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return 'silent';
}

main().catch((err: unknown) => {
  process.stderr.write(`fleet failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

/** The connections file's problems (ConnectionsFileError) when it does not load as every app would load it; else undefined. */
async function connectionsFileProblems(config: ReturnType<typeof loadConfigOrExit>): Promise<ConnectionsFileError | undefined> {
  try {
    await loadConnections({ connectionsFile: config.connectionsFile, secretSource: config.secretSource });
    return undefined;
  } catch (err) {
    if (err instanceof ConnectionsFileError) return err;
    throw err;
  }
}
