import type { PurgedTable } from '@integrador/store';
import { Counter, type Registry } from 'prom-client';

const counters = new WeakMap<Registry, Counter<'table'>>();

/** integrador_history_purged_rows_total{table}: the rows this process's retention sweeps removed, per table. */
export function createRetentionMetrics(registry: Registry): (table: PurgedTable, rows: number) => void {
  // One registration per registry (two workers in one process share it).
  let counter = counters.get(registry);
  if (!counter) {
    counter = new Counter({
      name: 'integrador_history_purged_rows_total',
      help: 'History rows past their retention (RETENTION_*_DAYS) that this process purged, by table',
      labelNames: ['table'],
      registers: [registry],
    });
    counters.set(registry, counter);
  }
  const purged = counter;
  return (table, rows) => purged.inc({ table }, rows);
}
