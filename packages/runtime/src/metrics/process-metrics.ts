import { collectDefaultMetrics, type Registry } from 'prom-client';

// prom-client's default metrics under their standard names (process_*, nodejs_*), so stock dashboards work. Three
// of them are gauges whose names end in _total, which Prometheus reserves for counters (promtool check metrics
// rejects them); each repeats the sum of a per-type gauge prom-client also exports (nodejs_active_handles{type}…).
const GAUGES_NAMED_LIKE_COUNTERS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** Registers the process and Node.js runtime metrics on `registry`. */
export function registerProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  for (const name of GAUGES_NAMED_LIKE_COUNTERS) registry.removeSingleMetric(name);
}
