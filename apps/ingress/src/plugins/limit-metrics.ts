import type { Logger } from '@integrador/logging';
import { readLimitStatus, type ScopeStatus } from '@integrador/queue';
import type { Redis } from 'ioredis';
import { Counter, Gauge, type Registry } from 'prom-client';

type Labels = Record<'empresa_id' | 'filial_id' | 'connection', string>;
const labelNames = ['empresa_id', 'filial_id', 'connection'] as const;

function labelsOf(s: ScopeStatus): Labels {
  return { empresa_id: String(s.scope.empresaId), filial_id: String(s.scope.filialId ?? ''), connection: s.scope.connection ?? '' };
}

/**
 * The limits layer in /metrics, one series per scope (empresa_id, filial_id, connection; '' = none): configured
 * limits, the current rate, admitted and delayed-by-limit totals and concurrency slots in use. prom-client collects
 * the series of a scrape concurrently, so they share one Redis read (kept 500 ms).
 */
export function registerLimitMetrics(registry: Registry, deps: { redis: Redis; prefix: string; logger: Logger }): void {
  let cached: { at: number; read: Promise<ScopeStatus[]> } | undefined;
  const statuses = (): Promise<ScopeStatus[]> => {
    if (deps.redis.status !== 'ready') return Promise.resolve([]);
    if (!cached || Date.now() - cached.at > 500) {
      const read = readLimitStatus(deps.redis, deps.prefix).catch((err: unknown) => {
        deps.logger.warn({ reason: (err as Error).message }, 'metrics: limit counters unavailable');
        return [];
      });
      cached = { at: Date.now(), read };
    }
    return cached.read;
  };
  const gauge = (name: string, help: string, value: (s: ScopeStatus) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        const all = await statuses();
        this.reset();
        for (const s of all) {
          const v = value(s);
          if (v !== undefined) this.set(labelsOf(s), v);
        }
      },
    });
  gauge('integrador_limit_rate_per_second', 'Configured rate limit per scope (0 = none)', (s) => s.limit?.rate);
  gauge('integrador_limit_max_concurrency', 'Configured concurrency cap per scope (0 = none)', (s) => s.limit?.concurrency);
  gauge(
    'integrador_limit_current_rate',
    'Jobs (calls, for a connection scope) admitted per second over the last 5 s',
    (s) => s.currentRate,
  );
  gauge('integrador_limit_concurrency_in_use', 'Concurrency slots held now per scope', (s) => s.activeNow);
  new Counter({
    name: 'integrador_limit_admitted_total',
    help: 'Jobs (calls, for a connection scope) admitted by the limits layer',
    labelNames,
    registers: [registry],
    async collect() {
      const all = await statuses();
      this.reset();
      for (const s of all) if (s.admittedTotal) this.inc(labelsOf(s), s.admittedTotal);
    },
  });
  new Counter({
    name: 'integrador_limit_delayed_total',
    help: 'Jobs delayed by a limit (reason rate, concurrency or retry-after), without using an attempt',
    labelNames: [...labelNames, 'reason'],
    registers: [registry],
    async collect() {
      const all = await statuses();
      this.reset();
      for (const s of all) for (const [reason, n] of Object.entries(s.delayedTotal)) if (n) this.inc({ ...labelsOf(s), reason }, n);
    },
  });
}
