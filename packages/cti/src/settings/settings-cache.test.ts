import { TtlCache } from './settings-cache';

describe('the per-process cache of CRM reads (TtlCache)', () => {
  it('loads once per key under a burst, keeps a miss, and loads again once the entry expires', async () => {
    let clock = 1_000_000;
    const cache = new TtlCache<string | undefined>(5000, () => clock);
    let loads = 0;
    const load = async () => {
      loads++;
      await new Promise((resolve) => setTimeout(resolve, 10));
      return undefined;
    };
    const burst = await Promise.all(Array.from({ length: 100 }, () => cache.through('e:1', load)));
    expect(burst).toEqual(Array(100).fill(undefined));
    expect(loads).toBe(1);
    await cache.through('e:1', load);
    clock += 4999;
    await cache.through('e:1', load);
    expect(loads).toBe(1);
    clock += 2;
    await Promise.all([cache.through('e:1', load), cache.through('e:1', load)]);
    expect(loads).toBe(2);
  });

  it("gives a failed load's error to every caller waiting on it, and does not keep it", async () => {
    const cache = new TtlCache<number>(5000);
    let loads = 0;
    const failing = async (): Promise<number> => {
      loads++;
      throw new Error('database down');
    };
    const reads = await Promise.allSettled(Array.from({ length: 5 }, () => cache.through('e:2', failing)));
    expect(reads.map((r) => r.status)).toEqual(Array(5).fill('rejected'));
    expect(loads).toBe(1);
    expect(await cache.through('e:2', async () => 7)).toBe(7);
  });

  it('caches nothing with a ttl of 0 or less: every read loads', async () => {
    for (const ttl of [0, -1]) {
      const cache = new TtlCache<number>(ttl);
      let loads = 0;
      const load = async () => ++loads;
      expect(await cache.through('e:3', load)).toBe(1);
      expect(await cache.through('e:3', load)).toBe(2);
      expect(await Promise.all([cache.through('e:3', load), cache.through('e:3', load)])).toEqual([3, 4]);
    }
  });
});
