import { useTestRedis } from '@integrador/test-support/test-redis';
import type { Redis } from 'ioredis';
import { OTHER_TENANTS, OutcomeCounter, readTenantStats, recordOutcome } from './tenant-stats';

describe('per-tenant job counters', () => {
  // Worker role, as in the workers that count: no short command timeout for the 5000 writes below.
  const testRedis = useTestRedis({ role: 'worker', per: 'all' });
  let redis: Redis;
  let prefix: string;

  beforeAll(async () => {
    ({ redis, prefix } = testRedis);
    // 100 tenants: empresa n finished n jobs on the set queue; empresa 1 also failed one on get.
    const writes: Promise<void>[] = [];
    for (let empresaId = 1; empresaId <= 100; empresaId++) {
      for (let n = 0; n < empresaId; n++) writes.push(recordOutcome(redis, prefix, 'set', { empresaId, filialId: null }, 'completed'));
    }
    writes.push(recordOutcome(redis, prefix, 'get', { empresaId: 1, filialId: null }, 'failed'));
    await Promise.all(writes);
  });

  it('labels only the busiest tenants and sums the others as "outros", whatever the number of tenants', async () => {
    const counts = await readTenantStats(redis, prefix, 3);
    expect(counts).toEqual([
      { queue: 'set', empresaId: 100, outcome: 'completed', count: 100 },
      { queue: 'set', empresaId: 99, outcome: 'completed', count: 99 },
      { queue: 'set', empresaId: 98, outcome: 'completed', count: 98 },
      // 1 + 2 + … + 97
      { queue: 'set', empresaId: OTHER_TENANTS, outcome: 'completed', count: (97 * 98) / 2 },
      { queue: 'get', empresaId: 1, outcome: 'failed', count: 1 },
    ]);
  });

  it('with no tenant labels, exports one "outros" series per queue and outcome', async () => {
    expect(await readTenantStats(redis, prefix, 0)).toEqual([
      { queue: 'set', empresaId: OTHER_TENANTS, outcome: 'completed', count: (100 * 101) / 2 },
      { queue: 'get', empresaId: OTHER_TENANTS, outcome: 'failed', count: 1 },
    ]);
  });

  it('reads only the queues asked for', async () => {
    expect(await readTenantStats(redis, prefix, 3, ['get'])).toEqual([{ queue: 'get', empresaId: 1, outcome: 'failed', count: 1 }]);
    expect(await readTenantStats(redis, prefix, 0, ['cti', 'webhook'])).toEqual([]);
  });

  it('a worker gathers its counts and writes them in one go, also when closing', async () => {
    const own = `${prefix}:counter`;
    const errors: unknown[] = [];
    const counter = new OutcomeCounter(redis, own, (err) => errors.push(err), 60_000);
    for (let n = 0; n < 3; n++) counter.count('set', { empresaId: 5, filialId: null }, 'completed');
    counter.count('set', { empresaId: 6, filialId: 2 }, 'failed');
    // Nothing written before the flush (the window here is a minute long).
    expect(await readTenantStats(redis, own, 5)).toEqual([]);
    await counter.flush();
    expect(await readTenantStats(redis, own, 5)).toEqual([
      { queue: 'set', empresaId: 5, outcome: 'completed', count: 3 },
      { queue: 'set', empresaId: 6, outcome: 'failed', count: 1 },
    ]);
    expect(errors).toEqual([]);
  });
});
