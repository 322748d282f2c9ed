import { createRedis, JobProducer } from '@integrador/queue';
import type { WorkerDeps, WorkerServices } from '@integrador/runtime';
import {
  createDeliveryStore,
  createWebhookHttpClient,
  type DeliveryDeps,
  EndpointFlowControl,
  installCaptureTriggers,
  startOrphanSweep,
  startOutboxDrain,
  warnIfSealedWithoutKey,
  webhookSettingsFrom,
} from '@integrador/webhooks';
import { createWebhookMetrics } from './webhook-metrics';

/**
 * What worker-webhook runs on: the engine's settings, the batched delivery reads and writes, one undici client (keep-alive pools per origin), the per-endpoint
 * flow control in Redis and, with WEBHOOK_CAPTURE=triggers, the capture triggers installed and their outbox drained.
 */
export function startWebhookServices(deps: WorkerDeps, services: WorkerServices): DeliveryDeps {
  const { config, logger, database } = deps;
  const settings = webhookSettingsFrom(config.webhooks);
  const http = createWebhookHttpClient({
    connectTimeoutMs: settings.connectTimeoutMs,
    timeoutMs: settings.timeoutMs,
    allowlist: settings.allowlist,
    // As many sockets per origin as the worker runs deliveries: endpoints sharing an origin (one server, several paths)
    // never queue behind a slow one in the pool.
    connectionsPerOrigin: config.workerConcurrency,
  });
  services.shutdown.add('webhook http', () => http.close());
  // Deliveries of endpoints whose secret is sealed fail on a host without the key: said once, at start.
  void warnIfSealedWithoutKey(database.db, settings.secretKey, logger).catch((err: unknown) =>
    logger.warn({ err }, 'sealed webhook secrets could not be counted'),
  );
  const flow = new EndpointFlowControl(services.redis, config.keyPrefix, {
    breakerFailures: settings.breakerFailures,
    breakerCooldownMs: settings.breakerCooldownMs,
    endpointConcurrency: settings.endpointConcurrency,
    leaseMs: settings.timeoutMs + 5000,
  });

  // One producer connection for what this worker enqueues itself: the capture outbox's deliveries and the orphan sweep's.
  const redis = createRedis(config.redisUrl, {
    role: 'producer',
    name: 'worker-webhook-outbox',
    clusterNodes: config.redisClusterNodes,
    logger,
  });
  const producer = new JobProducer({ connection: redis, prefix: config.keyPrefix, timeoutMs: config.redisCommandTimeoutMs, logger });
  const sweep = startOrphanSweep(database.db, producer, logger);
  let drain: { stop(): Promise<void> } | undefined;
  if (config.webhooks.capture === 'triggers') {
    installCaptureTriggers(database)
      .then(() => {
        drain = startOutboxDrain({
          db: database.db,
          producer,
          redis: services.redis,
          prefix: config.keyPrefix,
          intervalMs: config.webhooks.outboxIntervalMs,
          logger,
        });
        logger.info({ intervalMs: config.webhooks.outboxIntervalMs }, 'capture outbox drain started');
      })
      .catch((err) => logger.error({ err }, 'capture triggers could not be installed'));
  }
  services.shutdown.add('outbox drain and orphan sweep', async () => {
    await sweep.stop();
    await drain?.stop();
    await producer.close();
    redis.disconnect();
  });
  return {
    db: database.db,
    store: createDeliveryStore(database.db),
    http,
    flow,
    settings,
    logger,
    events: createWebhookMetrics(services.metrics),
    // An operator's retry of a given-up delivery's job resends it (runDeliveryJob).
    producer,
  };
}
