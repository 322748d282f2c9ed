import type { Logger } from '@integrador/logging';
import { type JobProducer, OTHER_TENANTS, readTenantStats } from '@integrador/queue';
import type { AdmissionBudget } from '@integrador/runtime';
import { hasBearerToken, registerProcessMetrics } from '@integrador/runtime';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { localeOf, message } from '../i18n';
import { registerFlowMetrics } from './flow-metrics';
import { registerLimitMetrics } from './limit-metrics';

export interface MetricsDeps {
  producer: JobProducer;
  redis: Redis;
  prefix: string;
  logger: Logger;
  /** Tenants per queue and outcome (per budget for admission refusals) with their own empresa_id label; the others are summed as "outros". */
  tenantLabels: number;
}

/**
 * Prometheus metrics: queue depths by state, finished jobs per queue and tenant (kept in Redis by the
 * workers, so every ingress replica exports the same totals), Redis reachability and HTTP latency.
 */
export function createMetrics(deps: MetricsDeps): {
  registry: Registry;
  observe: (method: string, route: string, status: number, seconds: number) => void;
  admissionRefused: (budget: AdmissionBudget, empresaId: number) => void;
  listenerRefused: (reason: string, empresaId: number | undefined) => void;
} {
  const registry = new Registry();
  registerProcessMetrics(registry);

  // One read of the queue counts per scrape, shared by the two gauges below (collected concurrently).
  let inFlight: ReturnType<JobProducer['counts']> | undefined;
  const scrapeCounts = () => {
    inFlight ??= deps.producer.counts().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
  // Metrics are collected concurrently: redis_up asks Redis itself, so it describes this scrape, not the previous one.
  new Gauge({
    name: 'integrador_redis_up',
    help: '1 when the ingress reached Redis during the scrape',
    registers: [registry],
    async collect() {
      this.set(
        await scrapeCounts().then(
          () => 1,
          () => 0,
        ),
      );
    },
  });
  new Gauge({
    name: 'integrador_queue_jobs',
    help: 'Jobs per queue and state',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      try {
        const counts = await scrapeCounts();
        for (const [queue, byState] of Object.entries(counts)) {
          for (const [state, value] of Object.entries(byState)) this.set({ queue, state }, value);
        }
      } catch (err) {
        deps.logger.warn({ reason: (err as Error).message }, 'metrics: queue counts unavailable');
      }
    },
  });
  new Counter({
    name: 'integrador_jobs_finished_total',
    help: 'Jobs that finished, per queue, tenant (empresa_id: the busiest, the others as outros) and outcome (completed, failed = no attempts left)',
    labelNames: ['queue', 'empresa_id', 'outcome'],
    registers: [registry],
    async collect() {
      this.reset();
      if (deps.redis.status !== 'ready') return;
      try {
        for (const c of await readTenantStats(deps.redis, deps.prefix, deps.tenantLabels)) {
          this.inc({ queue: c.queue, empresa_id: String(c.empresaId), outcome: c.outcome }, c.count);
        }
      } catch (err) {
        deps.logger.warn({ reason: (err as Error).message }, 'metrics: tenant counters unavailable');
      }
    },
  });
  // Counted by this process (a Prometheus sum over the replicas gives the total); tenants appear only once refused. The
  // tenant label is bounded as on jobs_finished: the tenantLabels most refused per budget, the others summed as outros.
  const admissionRefused = refusalCounter(registry, deps.tenantLabels, {
    name: 'integrador_admission_refused_total',
    help: 'Requests this ingress refused with 429 TENANT_RATE_LIMITED, per budget (cti: PBX listener events, api: /v1 writes) and tenant (empresa_id: the most refused, the others as outros)',
    label: 'budget',
  });
  // The CTI listener's refusals (wrong token or host label, address outside the allowlist, bad parameters), counted the
  // same way: what an operator setting a PBX up looks at when calls do not appear. empresa_id '' = no tenant known.
  const listenerRefused = refusalCounter(registry, deps.tenantLabels, {
    name: 'integrador_cti_listener_refused_total',
    help: 'PBX listener requests this ingress refused, per reason (unknown-file, unknown-tenant: wrong token or host label, address-not-allowed, bad-parameters, unsupported-media) and tenant (empresa_id: the most refused, the others as outros; empty when no tenant is known)',
    label: 'reason',
  });
  registerFlowMetrics(registry, deps);
  registerLimitMetrics(registry, deps);
  const latency = new Histogram({
    name: 'integrador_http_request_duration_seconds',
    help: 'HTTP request latency of the ingress',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  // One labelled child per (method, route, status), kept: prom-client would otherwise hash the label values on every
  // request. Bounded as the labels are (route patterns, not URLs).
  const children = new Map<string, ReturnType<typeof latency.labels>>();
  return {
    registry,
    admissionRefused,
    listenerRefused,
    observe: (method, route, status, seconds) => {
      const key = `${method} ${status} ${route}`;
      let child = children.get(key);
      if (!child) {
        child = latency.labels({ method, route, status_code: String(status) });
        children.set(key, child);
      }
      child.observe(seconds);
    },
  };
}

/**
 * A counter of refusals by one label and tenant, counted in this process: the `top` most refused tenants per label
 * value get their own empresa_id, the others one "outros" series; tenant 0 (none known) is empresa_id "".
 */
function refusalCounter(
  registry: Registry,
  top: number,
  spec: { name: string; help: string; label: string },
): (value: string, empresaId: number | undefined) => void {
  const counts = new Map<string, Map<number, number>>();
  new Counter({
    name: spec.name,
    help: spec.help,
    labelNames: [spec.label, 'empresa_id'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [value, byTenant] of counts) {
        for (const [empresaId, count] of boundedTenants(byTenant, top)) {
          this.inc({ [spec.label]: value, empresa_id: empresaId === 0 ? '' : String(empresaId) }, count);
        }
      }
    },
  });
  return (value, empresaId) => {
    let byTenant = counts.get(value);
    if (!byTenant) {
      byTenant = new Map();
      counts.set(value, byTenant);
    }
    byTenant.set(empresaId ?? 0, (byTenant.get(empresaId ?? 0) ?? 0) + 1);
  };
}

/** The `top` largest counts by tenant (ties by lower empresa_id) and one "outros" sum for the rest, when any. */
function boundedTenants(counts: Map<number, number>, top: number): [number | typeof OTHER_TENANTS, number][] {
  const sorted = [...counts].sort(([a, countA], [b, countB]) => countB - countA || a - b);
  const others = sorted.slice(top).reduce((sum, [, count]) => sum + count, 0);
  return [...sorted.slice(0, top), ...(others > 0 ? [[OTHER_TENANTS, others] as [typeof OTHER_TENANTS, number]] : [])];
}

/**
 * Adds the latency hook and GET /metrics. The metrics name every empresa and connection, so with a token set
 * (METRICS_TOKEN) a scrape must send it as a Bearer token; without one /metrics stays open for a scraper on a private
 * network (bind the ingress or a proxy accordingly).
 */
export function registerMetrics(app: FastifyInstance, metrics: ReturnType<typeof createMetrics>, token?: string): void {
  // A callback hook, not an async one: no promise per request for a synchronous step.
  app.addHook('onResponse', (request, reply, done) => {
    // The route pattern, not the URL, keeps label cardinality bounded.
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.observe(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    if (token && !hasBearerToken(request.headers.authorization, token)) {
      const locale = localeOf(request);
      return reply.status(401).send({ error: { code: 'METRICS_UNAUTHORIZED', message: message(locale, 'METRICS_UNAUTHORIZED') } });
    }
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
