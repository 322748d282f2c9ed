import { loadConfigOrExit } from '@integrador/config';
import { createLogger } from '@integrador/logging';
import { createRedis, JobProducer, ShutdownRegistry } from '@integrador/queue';
import { closeAllTransports, loadConnections } from '@integrador/runtime';
import { createDatabase } from '@integrador/store';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { dashboardPlugin } from './dashboard-plugin';

/** Runs the dashboard on its own (a fleet where the ingress does not serve it), on DASHBOARD_PORT. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger({ name: 'dashboard', level: config.logLevel });
  const shutdown = new ShutdownRegistry(logger, config.shutdownTimeoutMs);
  shutdown.installSignalHandlers();

  const connections = await loadConnections(config);
  const database = createDatabase(config.databaseUrl);
  shutdown.add('database', () => database.destroy());
  shutdown.add('transports', () => closeAllTransports());
  const redis = createRedis(config.redisUrl, {
    role: 'producer',
    name: 'dashboard',
    commandTimeoutMs: config.redisCommandTimeoutMs,
    clusterNodes: config.redisClusterNodes,
  });
  redis.on('error', (err) => logger.warn({ reason: err.message }, 'redis connection error'));
  shutdown.add('redis', () => redis.quit().catch(() => redis.disconnect()));
  const producer = new JobProducer({ connection: redis, prefix: config.keyPrefix, timeoutMs: config.redisCommandTimeoutMs, logger });
  shutdown.add('queues', () => producer.close());

  const app = Fastify({ loggerInstance: logger as FastifyBaseLogger });
  await app.register(
    dashboardPlugin({
      database,
      producer,
      redis,
      keyPrefix: config.keyPrefix,
      logger,
      connections,
      secureCookies: config.dashboard.secureCookies,
    }),
  );
  shutdown.add('http', () => app.close());
  await app.listen({ host: config.host, port: config.dashboard.port });
}

main().catch((err: unknown) => {
  process.stderr.write(`dashboard failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
