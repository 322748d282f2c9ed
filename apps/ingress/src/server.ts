import { loadConfigOrExit } from '@integrador/config';
import { createLogger } from '@integrador/logging';
import { createRedis, JobProducer, ShutdownRegistry } from '@integrador/queue';
import { closeAllTransports, loadConnections } from '@integrador/runtime';
import { createDatabase, migrateToLatest } from '@integrador/store';
import { createWebhookHttpClient, webhookSettingsFrom } from '@integrador/webhooks';
import { buildApp } from './build-app';

/** Starts the ingress: config, Redis (fail-fast role), CRM database (migrated), HTTP listener, shutdown. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger({ name: 'ingress', level: config.logLevel });
  const shutdown = new ShutdownRegistry(logger, config.shutdownTimeoutMs);
  shutdown.installSignalHandlers();

  const connections = await loadConnections(config);
  const database = createDatabase(config.databaseUrl);
  shutdown.add('database', () => database.destroy());
  shutdown.add('transports', () => closeAllTransports());
  const applied = await migrateToLatest(database);
  if (applied.length) logger.info({ applied }, 'migrations applied');

  const redis = createRedis(config.redisUrl, {
    role: 'producer',
    name: 'ingress',
    commandTimeoutMs: config.redisCommandTimeoutMs,
    clusterNodes: config.redisClusterNodes,
  });
  redis.on('error', (err) => logger.warn({ reason: err.message }, 'redis connection error'));
  shutdown.add('redis', () => redis.quit().catch(() => redis.disconnect()));

  const producer = new JobProducer({ connection: redis, prefix: config.keyPrefix, timeoutMs: config.redisCommandTimeoutMs, logger });
  shutdown.add('queues', () => producer.close());

  const webhookSettings = webhookSettingsFrom(config.webhooks);
  const webhookHttp = createWebhookHttpClient(webhookSettings);
  shutdown.add('webhook http', () => webhookHttp.close());
  const app = await buildApp({
    database,
    redis,
    producer,
    connections,
    logger,
    keyPrefix: config.keyPrefix,
    checkTimeoutMs: config.redisCommandTimeoutMs,
    metricsToken: config.metricsToken,
    endpoints: { limits: config.endpoint, env: config.secretSource },
    webhooks: { settings: webhookSettings, http: webhookHttp, captureByTriggers: config.webhooks.capture === 'triggers' },
    cti: config.cti,
    ...(config.dashboard.enabled
      ? { dashboard: { secureCookies: config.dashboard.secureCookies, scheduleTimezone: config.scheduleTimezone } }
      : {}),
  });
  shutdown.add('http', () => app.close());
  await app.listen({ host: config.host, port: config.port });
}

main().catch((err: unknown) => {
  process.stderr.write(`ingress failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
