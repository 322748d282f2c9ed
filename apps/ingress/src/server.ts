// First: a SIGHUP while the modules below load is held, not the end of the process (hold-hangup.ts).
import '@integrador/runtime/hold-hangup';
import { warnOpenHostLabels } from '@integrador/cti';
import { startProducerApp, warnIfMetricsOpen } from '@integrador/runtime';
import { createWebhookHttpClient, warnIfSealedWithoutKey, webhookSettingsFrom } from '@integrador/webhooks';
import { buildApp } from './build-app';

/** Starts the ingress: the shared producer boot (config, Redis fail-fast role, migrated CRM database), HTTP listener. */
async function main(): Promise<void> {
  const { config, logger, shutdown, connections, database, redis, producer } = await startProducerApp('ingress', { migrate: true });

  const webhookSettings = webhookSettingsFrom(config.webhooks);
  const webhookHttp = createWebhookHttpClient(webhookSettings);
  // The test button signs here: a host without the key its secrets were sealed under says so once, at start.
  void warnIfSealedWithoutKey(database.db, webhookSettings.secretKey, logger).catch((err: unknown) =>
    logger.warn({ err }, 'sealed webhook secrets could not be counted'),
  );
  shutdown.add('webhook http', () => webhookHttp.close());
  // Open doors said once at start: /metrics without a token on a reachable address, and CTI host labels (served with
  // CTI_DOMAIN) that no allowlist guards.
  warnIfMetricsOpen({ host: config.host, token: config.metricsToken, logger });
  if (config.cti.domain) {
    void warnOpenHostLabels(database.db, logger).catch((err: unknown) => logger.warn({ err }, 'cti: open host labels could not be listed'));
  }
  const app = await buildApp({
    database,
    redis,
    producer,
    connections,
    logger,
    keyPrefix: config.keyPrefix,
    checkTimeoutMs: config.redisCommandTimeoutMs,
    http: config.http,
    metricsToken: config.metricsToken,
    metricsTenantLabels: config.metricsTenantLabels,
    fleetStartId: config.fleetStartId,
    endpoints: { limits: config.endpoint, env: config.secretSource },
    webhooks: { settings: webhookSettings, http: webhookHttp, captureByTriggers: config.webhooks.capture === 'triggers' },
    cti: config.cti,
    admissionLimits: config.admissionLimits,
    scheduleTimezone: config.scheduleTimezone,
    ...(config.dashboard.enabled
      ? {
          dashboard: {
            secureCookies: config.dashboard.secureCookies,
            scheduleTimezone: config.scheduleTimezone,
            validateTimeoutMs: config.dashboard.validateTimeoutMs,
          },
        }
      : {}),
  });
  shutdown.add('http', () => app.close());
  await app.listen({ host: config.host, port: config.port });
}

main().catch((err: unknown) => {
  process.stderr.write(`ingress failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
