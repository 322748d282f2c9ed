import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { type AdmissionRate, DEFAULT_HTTP_TIMEOUTS, type HttpTimeouts } from '@integrador/config';
import type { ConnectionsRegistry } from '@integrador/connections';
import { dashboardPlugin } from '@integrador/dashboard';
import { connectionRetryOf, SEED_003_LIMITS } from '@integrador/integrador';
import type { Logger } from '@integrador/logging';
import type { JobProducer } from '@integrador/queue';
import {
  createAdmissionLimit,
  healthRoutes,
  httpServerTimeouts,
  isWriteMethod,
  ProbeQuietLogController,
  registerRequestId,
  requestIdOf,
} from '@integrador/runtime';
import type { CrmDatabase } from '@integrador/store';
import { createTransportFactory, type TransportFactory } from '@integrador/transports';
import { createWebhookHttpClient, DEFAULT_WEBHOOK_SETTINGS, openSecret, sealSecret } from '@integrador/webhooks';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { registerTenantAuth } from './plugins/auth';
import { registerDocs } from './plugins/docs';
import { clientErrorHandler, frameworkErrorHandler, registerErrorHandler } from './plugins/error-handler';
import { registerFiniteNumbers, registerPlainIds } from './plugins/finite-numbers';
import { registerIdempotencyBinding } from './plugins/idempotency-binding';
import { createMetrics, registerMetrics } from './plugins/metrics';
import { refuseUndeclaredBodies, registerOptionalBodies } from './plugins/optional-body';
import { registerScalarParameters } from './plugins/scalar-parameters';
import { configRoutes } from './routes/config.routes';
import { connectionsRoutes } from './routes/connections.routes';
import { type CtiRouteOptions, ctiApiRoutes, ctiPublicRoutes } from './routes/cti.routes';
import { type EndpointRoutesOptions, endpointsRoutes } from './routes/endpoints.routes';
import { eventsRoutes } from './routes/events.routes';
import { flowsRoutes } from './routes/flows.routes';
import { indexRoutes } from './routes/index.routes';
import { integrationConfigRoutes } from './routes/integration-config.routes';
import { integrationsRoutes } from './routes/integrations.routes';
import { jobsRoutes } from './routes/jobs.routes';
import { limitsRoutes } from './routes/limits.routes';
import { receptorRoutes } from './routes/receptor.routes';
import { runsRoutes } from './routes/runs.routes';
import { schedulesRoutes } from './routes/schedules.routes';
import { type WebhookRoutesOptions, webhooksRoutes } from './routes/webhooks.routes';
import { ErrorResponse, TenantRateLimitedResponse } from './schemas';

/** Everything the ingress talks to; tests pass real ones pointed at throw-away resources. */
export interface IngressDeps {
  database: CrmDatabase;
  /** The producer-role Redis connection the producer uses (fails fast while Redis is down). */
  redis: Redis;
  producer: JobProducer;
  /** How long a client may take to send a request, stay idle between two, stay silent (HTTP_*_TIMEOUT_MS; default: theirs). */
  http?: HttpTimeouts;
  /** The connections file (config lint checks nome_conexao against it). */
  connections: ConnectionsRegistry;
  /** Receptor transports for previews and INFO lookups, one per connection (default: the app's own, closed with it). */
  transports?: TransportFactory;
  logger: Logger;
  keyPrefix: string;
  /** How long a Redis or database check may take before /readyz calls it unavailable. */
  checkTimeoutMs: number;
  /** When set, GET /metrics answers only a request with `Authorization: Bearer <metricsToken>` (METRICS_TOKEN). */
  metricsToken?: string;
  /** The id of the npm start that launched this ingress (FLEET_START_ID): GET /healthz reports it, so that fleet knows its own. */
  fleetStartId?: string | undefined;
  /** How many tenants per queue and outcome (per budget for refusals) get their own empresa_id label on /metrics (METRICS_TENANT_LABELS; default 20). */
  metricsTenantLabels?: number;
  /** Seed 003's limits and the environment JSON endpoint secrets resolve from (defaults: the seed's limits, no secrets). */
  endpoints?: EndpointRoutesOptions;
  /** Webhook settings and the HTTP client of the test button (defaults: the engine's defaults, a client closed with the app). */
  webhooks?: WebhookRoutesOptions & { captureByTriggers?: boolean };
  /** CTI listeners and screen pop (CTI_* variables; defaults: no host domain, no proxies, the variables' defaults). */
  cti?: CtiRouteOptions;
  /**
   * Per-tenant admission limits (RATE_LIMIT_*): PBX listener events (cti) and /v1 writes (api), counted in Redis across
   * every ingress; absent = no limits (tests and benchmarks that measure the listener itself).
   */
  admissionLimits?: { cti: AdmissionRate; api: AdmissionRate };
  /** SCHEDULE_TIMEZONE: the zone GET /v1/schedules shows for a paused schedule (which has no scheduler to read it from). */
  scheduleTimezone?: string;
  /** Serve the operators' dashboard under /dashboard (all-in-one mode); absent = not mounted. */
  dashboard?: {
    secureCookies: boolean;
    scheduleTimezone?: string;
    /** DASHBOARD_VALIDATE_TIMEOUT_MS: how long the dashboard's Validar waits per event type (default: the API's bound). */
    validateTimeoutMs?: number;
    loginRateLimit?: number;
    loginFailureLimit?: { max: number; windowMs: number };
  };
}

const CTI_DEFAULTS: CtiRouteOptions = {
  domain: undefined,
  trustedProxies: [],
  dedupeWindowMs: 3000,
  callTimeoutMs: 4 * 3600 * 1000,
  popTokenTtlMs: 300000,
};

function defaultWebhookOptions(): WebhookRoutesOptions {
  const settings = DEFAULT_WEBHOOK_SETTINGS;
  return { settings, http: createWebhookHttpClient(settings) };
}

/** How request schemas are checked: unknown fields are an error (named in the 400), not silently dropped; query strings are coerced. */
export const AJV_OPTIONS = { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false } as const;

/** Builds the ingress (routes, auth, validation, errors, metrics, docs); only server.ts listens. */
export async function buildApp(deps: IngressDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: 1024 * 1024,
    // A request trickled a byte at a time is cut with a 408 (clientErrorHandler) instead of holding its socket for ever.
    ...httpServerTimeouts(deps.http ?? DEFAULT_HTTP_TIMEOUTS),
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler: clientErrorHandler(),
    // x-request-id taken (or made), logged as reqId on every line of the request and carried into its jobs.
    genReqId: requestIdOf,
    requestIdHeader: false,
    logController: new ProbeQuietLogController(),
    ajv: { customOptions: AJV_OPTIONS },
  }).withTypeProvider<TypeBoxTypeProvider>();

  const webhooks = deps.webhooks ?? defaultWebhookOptions();
  if (!deps.webhooks) app.addHook('onClose', () => webhooks.http.close());
  const transports = deps.transports ?? createTransportFactory();
  if (!deps.transports) app.addHook('onClose', () => transports.close());
  registerRequestId(app);
  registerErrorHandler(app);
  registerOptionalBodies(app);
  registerFiniteNumbers(app);
  registerPlainIds(app);
  registerScalarParameters(app);
  app.addSchema(ErrorResponse);
  await registerDocs(app);
  const metrics = createMetrics({
    producer: deps.producer,
    redis: deps.redis,
    prefix: deps.keyPrefix,
    logger: deps.logger,
    tenantLabels: deps.metricsTenantLabels ?? 20,
  });
  registerMetrics(app, metrics, deps.metricsToken);
  const NO_LIMIT = { perSecond: 0, burst: 1 };
  const admission = (budget: 'cti' | 'api') => ({
    redis: deps.redis,
    prefix: deps.keyPrefix,
    budget,
    rate: deps.admissionLimits?.[budget] ?? NO_LIMIT,
    onRefused: metrics.admissionRefused,
  });
  // The api budget: one check (one counter per empresa) for /v1 writes and the dashboard's writes with a tenant API key.
  const admitWrite = await createAdmissionLimit(app, admission('api'));
  if (deps.dashboard) {
    const { database, producer, redis, keyPrefix, logger, connections } = deps;
    const { validateTimeoutMs, ...dashboard } = deps.dashboard;
    // The API's limits and secrets, with the dashboard's own Validar bound when one is set (an operator's page waits less).
    const endpoints = deps.endpoints && validateTimeoutMs !== undefined ? { ...deps.endpoints, validateTimeoutMs } : deps.endpoints;
    await app.register(
      dashboardPlugin({
        database,
        producer,
        redis,
        keyPrefix,
        logger,
        connections,
        transports,
        // The services page's Validar and the webhooks page's Testar use what the /v1 routes use.
        endpoints,
        webhooks,
        admitApiWrite: admitWrite,
        ...dashboard,
      }),
    );
  }
  await app.register(
    healthRoutes({
      redis: deps.redis,
      keyPrefix: deps.keyPrefix,
      producer: deps.producer,
      database: deps.database,
      timeoutMs: deps.checkTimeoutMs,
      fleetStartId: deps.fleetStartId,
    }),
  );
  await app.register(indexRoutes({ dashboard: deps.dashboard !== undefined }));
  const cti = {
    database: deps.database,
    redis: deps.redis,
    producer: deps.producer,
    keyPrefix: deps.keyPrefix,
    options: deps.cti ?? CTI_DEFAULTS,
    admission: admission('cti'),
    onListenerRefused: metrics.listenerRefused,
  };
  await app.register(ctiPublicRoutes(cti));

  await app.register(
    async (v1) => {
      registerTenantAuth(v1, deps.database);
      // Every write may answer 429 under the default configuration: documented once here rather than on each route.
      v1.addHook('onRoute', (route) => {
        const methods = ([] as string[]).concat(route.method);
        const response = route.schema?.response as Record<string, unknown> | undefined;
        if (response && methods.some(isWriteMethod)) response[429] = TenantRateLimitedResponse;
      });
      // After the API key (the tenant it binds is the key of the count), before the body is read or a key bound.
      v1.addHook('onRequest', async (request, reply) => {
        if (isWriteMethod(request.method)) await admitWrite(request, reply, request.tenant.empresaId);
      });
      refuseUndeclaredBodies(v1);
      // Stored first answers may hold a webhook secret shown once: sealed as the secrets are.
      const secretKey = webhooks.settings.secretKey;
      registerIdempotencyBinding(v1, deps.redis, deps.keyPrefix, deps.checkTimeoutMs, {
        seal: (text) => sealSecret(text, secretKey),
        open: (stored) => openSecret(stored, secretKey),
      });
      await v1.register(integrationsRoutes(deps.database));
      await v1.register(
        jobsRoutes(deps.producer, deps.database, (empresaId, integracaoId) =>
          connectionRetryOf(deps.database.db, deps.connections, empresaId, integracaoId),
        ),
      );
      await v1.register(runsRoutes(deps.database, deps.producer, deps.connections));
      await v1.register(
        eventsRoutes(deps.database, deps.producer, {
          captureByTriggers: deps.webhooks?.captureByTriggers ?? false,
          connections: deps.connections,
        }),
      );
      await v1.register(flowsRoutes(deps.producer, deps.redis, deps.database));
      await v1.register(integrationConfigRoutes(deps.database));
      await v1.register(
        receptorRoutes({
          database: deps.database,
          connections: deps.connections,
          transports,
        }),
      );
      await v1.register(configRoutes(deps.database, deps.connections));
      await v1.register(endpointsRoutes(deps.database, deps.producer, deps.endpoints ?? { limits: SEED_003_LIMITS, env: {} }));
      await v1.register(schedulesRoutes(deps.database, deps.producer, deps.scheduleTimezone ?? deps.dashboard?.scheduleTimezone));
      await v1.register(connectionsRoutes(deps.database, deps.connections));
      await v1.register(limitsRoutes(deps.producer, deps.keyPrefix, deps.checkTimeoutMs));
      await v1.register(webhooksRoutes(deps.database, deps.producer, webhooks, deps.keyPrefix));
      await v1.register(ctiApiRoutes(cti));
    },
    { prefix: '/v1' },
  );
  return app;
}
