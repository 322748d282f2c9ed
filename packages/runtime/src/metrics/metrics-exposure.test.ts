import { createLogger } from '@integrador/logging';
import { freePort } from '@integrador/test-support/ports';
import { isLoopbackHost, listenMetrics, warnIfMetricsOpen } from './metrics-server';

// Red-team finding 10: /metrics names every tenant; served open on a reachable address, it is said at start.
describe('open /metrics warning', () => {
  const logger = createLogger({ name: 'test', level: 'silent' });
  const openWarnings = (warn: jest.SpyInstance) => warn.mock.calls.filter((call) => String(call[1]).includes('METRICS_TOKEN'));

  afterEach(() => jest.restoreAllMocks());

  it('tells loopback hosts from reachable ones', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'integrador.example', '128.0.0.1']) expect(isLoopbackHost(host)).toBe(false);
  });

  it("warns when a worker's metrics server listens open on a non-loopback HOST, and only then", async () => {
    // A free port of its own: test/fleet.test.ts runs a fleet with METRICS_PORT 17210 (suites run two at a time).
    const port = await freePort();
    const warn = jest.spyOn(logger, 'warn');
    const open = await listenMetrics({ port, host: '0.0.0.0', token: undefined, ready: () => true, logger });
    await open.close();
    expect(openWarnings(warn)).toEqual([[{ host: '0.0.0.0' }, expect.stringContaining("every tenant's ids")]]);
    warn.mockClear();
    const guarded = await listenMetrics({ port, host: '0.0.0.0', token: 'a-metrics-token-0123456789', ready: () => true, logger });
    await guarded.close();
    const local = await listenMetrics({ port, host: '127.0.0.1', token: undefined, ready: () => true, logger });
    await local.close();
    expect(openWarnings(warn)).toEqual([]);
  });

  it('is the same rule the ingress calls at start', () => {
    const warn = jest.spyOn(logger, 'warn');
    expect(warnIfMetricsOpen({ host: '0.0.0.0', token: undefined, logger })).toBe(true);
    expect(warnIfMetricsOpen({ host: '0.0.0.0', token: 'set', logger })).toBe(false);
    expect(warnIfMetricsOpen({ host: 'localhost', token: undefined, logger })).toBe(false);
    expect(openWarnings(warn)).toHaveLength(1);
  });
});
