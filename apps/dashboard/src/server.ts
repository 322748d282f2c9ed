// First: a SIGHUP while the modules below load is held, not the end of the process (hold-hangup.ts).
import '@integrador/runtime/hold-hangup';
import { dashboardPlugin } from '@integrador/dashboard';
import {
  createAdmissionLimit,
  healthRoutes,
  httpServerTimeouts,
  ProbeQuietLogController,
  registerHttpMetrics,
  registerRequestId,
  requestIdOf,
  startProducerApp,
  warnIfMetricsOpen,
} from '@integrador/runtime';
import { createWebhookHttpClient, webhookSettingsFrom } from '@integrador/webhooks';
import Fastify, { type FastifyBaseLogger } from 'fastify';

/** Runs the dashboard on its own (a fleet where the ingress does not serve it), on DASHBOARD_PORT. */
async function main(): Promise<void> {
  // The ingress migrates; the dashboard reads the schema it left.
  const { config, logger, shutdown, connections, database, redis, producer } = await startProducerApp('dashboard', { migrate: false });
  // As the ingress: probes' request lines at debug, an x-request-id (else a UUID) as every line's reqId.
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    ...httpServerTimeouts(config.http),
    genReqId: requestIdOf,
    requestIdHeader: false,
    logController: new ProbeQuietLogController(),
  });
  registerRequestId(app);
  // GET /metrics as the ingress serves it (process metrics, this process's request latency; METRICS_TOKEN guards it),
  // and the same warning at start when it is open on a reachable address.
  registerHttpMetrics(app, { token: config.metricsToken, server: 'the dashboard' });
  warnIfMetricsOpen({ host: config.host, token: config.metricsToken, logger });
  // The webhooks page's "Testar" sends as the ingress does: the same settings, through the outbound guard.
  const webhookSettings = webhookSettingsFrom(config.webhooks);
  const webhookHttp = createWebhookHttpClient(webhookSettings);
  shutdown.add('webhook http', () => webhookHttp.close());
  // A script's writes with a tenant API key spend its /v1 budget here too (the same Redis counters as every ingress).
  const admitApiWrite = await createAdmissionLimit(app, {
    redis,
    prefix: config.keyPrefix,
    budget: 'api',
    rate: config.admissionLimits.api,
    // This process exports no admission metrics (the ingresses' integrador_admission_refused_total counts theirs).
    onRefused: () => undefined,
  });
  await app.register(
    dashboardPlugin({
      database,
      producer,
      redis,
      keyPrefix: config.keyPrefix,
      logger,
      connections,
      secureCookies: config.dashboard.secureCookies,
      scheduleTimezone: config.scheduleTimezone,
      endpoints: { limits: config.endpoint, env: config.secretSource, validateTimeoutMs: config.dashboard.validateTimeoutMs },
      webhooks: { settings: webhookSettings, http: webhookHttp },
      admitApiWrite,
    }),
  );
  // The ingress's probes, so a dashboard run on its own can sit behind a load balancer, systemd or Kubernetes.
  await app.register(healthRoutes({ redis, keyPrefix: config.keyPrefix, producer, database, timeoutMs: config.redisCommandTimeoutMs }));
  shutdown.add('http', () => app.close());
  await app.listen({ host: config.host, port: config.dashboard.port });
}

main().catch((err: unknown) => {
  process.stderr.write(`dashboard failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
