import { HUB_VERSION } from '@integrador/config';
import { collectDefaultMetrics, Gauge, type Registry } from 'prom-client';

// prom-client's default metrics under their standard names (process_*, nodejs_*), so stock dashboards work. Three
// of them are gauges whose names end in _total, which Prometheus reserves for counters (promtool check metrics
// rejects them); each repeats the sum of a per-type gauge prom-client also exports (nodejs_active_handles{type}…).
const GAUGES_NAMED_LIKE_COUNTERS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/**
 * Registers the process and Node.js runtime metrics on `registry`, and integrador_build_info{version} 1: during a roll
 * it shows which pods run which release (and an alert can catch two versions side by side across a migration).
 */
export function registerProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  for (const name of GAUGES_NAMED_LIKE_COUNTERS) registry.removeSingleMetric(name);
  new Gauge({
    name: 'integrador_build_info',
    help: "The hub's release (the root package.json's version) this process runs; always 1",
    labelNames: ['version'],
    registers: [registry],
  }).set({ version: HUB_VERSION }, 1);
}
