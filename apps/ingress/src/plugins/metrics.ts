import type { Logger } from '@integrador/logging';
import { type JobProducer, OTHER_TENANTS, readTenantStats } from '@integrador/queue';
import type { AdmissionBudget } from '@integrador/runtime';
import { registerHttpMetrics, registerProcessMetrics } from '@integrador/runtime';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { Counter, Gauge, Registry } from 'prom-client';
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
  return { registry, admissionRefused, listenerRefused };
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
 * Adds the latency histogram with its hook and GET /metrics (the runtime's registerHttpMetrics, the dashboard run on
 * its own calls it too). With a token set (METRICS_TOKEN) a scrape must send it as a Bearer token; without one
 * /metrics stays open for a scraper on a private network (bind the ingress or a proxy accordingly).
 */
export function registerMetrics(app: FastifyInstance, metrics: ReturnType<typeof createMetrics>, token?: string): void {
  registerHttpMetrics(app, { token, server: 'the ingress', registry: metrics.registry });
}
