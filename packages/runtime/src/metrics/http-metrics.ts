import { localeFromAcceptLanguage } from '@integrador/i18n';
import type { FastifyInstance } from 'fastify';
import { Histogram, Registry } from 'prom-client';
import { hasBearerToken, metricsUnauthorizedBody } from './metrics-server';
import { registerProcessMetrics } from './process-metrics';

// Out of the OpenAPI document (`hide`: @fastify/swagger's flag, which the ingress registers and this package does not
// depend on): a scraper's contract, not the API's.
const HIDDEN: Record<string, unknown> = { hide: true };

export interface HttpMetricsOptions {
  /** When set (METRICS_TOKEN), a scrape must send `Authorization: Bearer <token>`; 401 METRICS_UNAUTHORIZED otherwise. */
  token: string | undefined;
  /** Whose requests the latency histogram times, for its help text ("the ingress", "the dashboard"). */
  server: string;
  /** The registry GET /metrics serves (the ingress adds its own metrics); default: a new one with the process metrics. */
  registry?: Registry;
}

/**
 * GET /metrics on an HTTP app's own port (the ingress, the dashboard run on its own), with its request latency as
 * integrador_http_request_duration_seconds by method, route pattern and status: one rule for both, as the workers'
 * metrics servers share theirs. The metrics name every empresa, so with a token set a scrape must send it; without
 * one /metrics stays open for a scraper on a private network (warnIfMetricsOpen says so at start). Returns the registry.
 */
export function registerHttpMetrics(app: FastifyInstance, options: HttpMetricsOptions): Registry {
  const registry = options.registry ?? new Registry();
  if (!options.registry) registerProcessMetrics(registry);
  const latency = new Histogram({
    name: 'integrador_http_request_duration_seconds',
    help: `HTTP request latency of ${options.server}`,
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  // One labelled child per (method, route, status), kept: prom-client would otherwise hash the label values on every
  // request. Bounded as the labels are (route patterns, not URLs).
  const children = new Map<string, ReturnType<typeof latency.labels>>();
  // A callback hook, not an async one: no promise per request for a synchronous step.
  app.addHook('onResponse', (request, reply, done) => {
    // The route pattern, not the URL, keeps label cardinality bounded.
    const route = request.routeOptions.url ?? 'unmatched';
    const key = `${request.method} ${reply.statusCode} ${route}`;
    let child = children.get(key);
    if (!child) {
      child = latency.labels({ method: request.method, route, status_code: String(reply.statusCode) });
      children.set(key, child);
    }
    child.observe(reply.elapsedTime / 1000);
    done();
  });
  app.get('/metrics', { schema: HIDDEN }, async (request, reply) => {
    if (options.token && !hasBearerToken(request.headers.authorization, options.token)) {
      return reply.status(401).send(metricsUnauthorizedBody(localeFromAcceptLanguage(request.headers['accept-language'])));
    }
    reply.type(registry.contentType);
    return registry.metrics();
  });
  return registry;
}
