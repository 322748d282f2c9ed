import type { Logger } from '@integrador/logging';
import { countBlockedDependents, readLiveBlocked } from '@integrador/queue';
import type { Redis } from 'ioredis';
import { Gauge, type Registry } from 'prom-client';

/**
 * integrador_flow_blocked_dependents{empresa_id}: jobs of dependency flows waiting on a failed prerequisite, per
 * tenant (from the blocked-flow index the workers keep in Redis, so every ingress replica exports the same).
 */
export function registerFlowMetrics(registry: Registry, deps: { redis: Redis; prefix: string; logger: Logger }): void {
  new Gauge({
    name: 'integrador_flow_blocked_dependents',
    help: 'Dependency-flow jobs blocked by a failed prerequisite, per tenant (empresa_id); retry the prerequisite to resume them',
    labelNames: ['empresa_id'],
    registers: [registry],
    async collect() {
      this.reset();
      if (deps.redis.status !== 'ready') return;
      try {
        for (const [empresaId, count] of countBlockedDependents(await readLiveBlocked(deps.redis, deps.prefix))) {
          this.set({ empresa_id: String(empresaId) }, count);
        }
      } catch (err) {
        deps.logger.warn({ reason: (err as Error).message }, 'metrics: blocked flows unavailable');
      }
    },
  });
}
