import { type Config, loadConfigOrExit } from '@integrador/config';
import { allowLoopbackOutbound, type ConnectionsRegistry } from '@integrador/connections';
import { createLogger, type Logger } from '@integrador/logging';
import { createRedis, JobProducer, ShutdownRegistry } from '@integrador/queue';
import { type CrmDatabase, createDatabase, migrateToLatest } from '@integrador/store';
import { loadAppConnections, reloadConnectionsOnHangup } from './app-connections';
import { checkSchema } from './schema-check';

/** What an HTTP app that enqueues (the ingress, the dashboard on its own) runs on. */
export interface ProducerApp {
  config: Config;
  logger: Logger;
  /** The process's shutdown registry; the app adds its HTTP listener (`shutdown.add('http', …)`). */
  shutdown: ShutdownRegistry;
  connections: ConnectionsRegistry;
  database: CrmDatabase;
  /** The producer-role Redis connection (fails fast while Redis is down). */
  redis: ReturnType<typeof createRedis>;
  producer: JobProducer;
}

/**
 * The boot sequence of a producing HTTP app, once for the ingress and the dashboard: validated config, logger,
 * signal-driven shutdown registry, connections file, CRM database (migrated when `migrate` and the operator's
 * MIGRATE_ON_START allow it, else checked), producer-role Redis and
 * the JobProducer. Each resource is registered for shutdown as soon as it exists, so a later failure still closes it.
 */
export async function startProducerApp(name: string, options: { migrate: boolean }): Promise<ProducerApp> {
  const config = loadConfigOrExit();
  allowLoopbackOutbound(config.outboundAllowLoopback);
  const logger = createLogger({ name, level: config.logLevel, pretty: config.logPretty });
  const shutdown = new ShutdownRegistry(logger, config.shutdownTimeoutMs);
  shutdown.installSignalHandlers({ startedByFleet: config.fleetStartId !== undefined });

  const connections = await loadAppConnections(config);
  // Node's default for SIGHUP ends the process: a `kill -HUP` sent to the whole fleet (logrotate's postrotate, an
  // operator's habit) would take the API down. Here it reads CONNECTIONS_FILE again, as in the workers.
  shutdown.add('connections reload on SIGHUP', reloadConnectionsOnHangup(connections, logger));
  const database = createDatabase(config.databaseUrl, {
    applicationName: `integrador-${name}`,
    // Only the statements the code admits (the CTI listener's caller lookup, run for every call start) are named;
    // the dashboard's one-off searches keep plans made for their own values.
    prepareHotStatements: config.crmPreparedStatements ? 'admitted' : false,
  });
  shutdown.add('database', () => database.destroy());
  // The operator may keep migrating to their own step (a hook, a maintenance window, a DML-only database user).
  if (options.migrate && config.migrateOnStart) {
    const applied = await migrateToLatest(database);
    if (applied.length) logger.info({ applied }, 'migrations applied');
  } else await checkSchema(database, logger);

  const redis = createRedis(config.redisUrl, {
    role: 'producer',
    name,
    commandTimeoutMs: config.redisCommandTimeoutMs,
    clusterNodes: config.redisClusterNodes,
    logger,
  });
  shutdown.add('redis', () => redis.quit().catch(() => redis.disconnect()));
  const producer = new JobProducer({ connection: redis, prefix: config.keyPrefix, timeoutMs: config.redisCommandTimeoutMs, logger });
  shutdown.add('queues', () => producer.close());
  return { config, logger, shutdown, connections, database, redis, producer };
}
