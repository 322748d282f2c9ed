import path from 'node:path';
import { childEnvironment, loadConfigOrExit } from '@integrador/config';
import { createLogger } from '@integrador/logging';
import { createDatabase, migrateToLatest } from '@integrador/store';
import { type AppSpec, Supervisor } from './supervisor';

/** Every deployable of the fleet; in production each runs (and scales) on its own. */
const APPS: AppSpec[] = [
  { name: 'ingress', entry: 'apps/ingress/src/server.ts' },
  { name: 'worker-set', entry: 'apps/worker-set/src/main.ts' },
  { name: 'worker-get', entry: 'apps/worker-get/src/main.ts' },
  { name: 'worker-cti', entry: 'apps/worker-cti/src/main.ts' },
  { name: 'worker-webhook', entry: 'apps/worker-webhook/src/main.ts' },
];

/** All-in-one mode for a single machine: migrate once, then run the ingress and every worker. */
async function main(): Promise<void> {
  const root = path.resolve(__dirname, '../../..');
  const config = loadConfigOrExit();
  const logger = createLogger({ name: 'fleet', level: config.logLevel });

  // Migrate before the apps start so they never race on the schema (embedded SQLite included).
  const database = createDatabase(config.databaseUrl);
  try {
    const applied = await migrateToLatest(database);
    logger.info({ applied }, applied.length ? 'migrations applied' : 'database up to date');
  } finally {
    await database.destroy();
  }

  // The children read the same, already validated environment, with paths pinned to what this process resolved.
  const env = childEnvironment({
    CRM_DATABASE_URL: config.databaseUrl,
    ...(config.connectionsFile ? { CONNECTIONS_FILE: config.connectionsFile } : {}),
  });
  const supervisor = new Supervisor({ root, env, logger });
  supervisor.start(APPS);
  logger.info({ url: `http://${config.host}:${config.port}`, apps: APPS.map((a) => a.name) }, 'fleet started');

  const stop = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'stopping fleet');
    supervisor.stop().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`fleet failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
