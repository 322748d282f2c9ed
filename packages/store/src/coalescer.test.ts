import { Coalescer } from './coalescer';

describe('Coalescer', () => {
  it('runs the items added in one turn together, and gathers those added while groups run into the next', async () => {
    const groups: number[][] = [];
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const coalescer = new Coalescer<number, number>({
      runGroup: async (items) => {
        groups.push(items);
        if (groups.length === 1) await held;
        return items.map((n) => n * 10);
      },
      runOne: async (n) => {
        groups.push([n]);
        return n * 10;
      },
      maxItems: 3,
      maxRunning: 1,
    });
    const first = [1, 2].map((n) => coalescer.add(n));
    await new Promise((resolve) => setImmediate(resolve));
    const later = [3, 4, 5, 6].map((n) => coalescer.add(n));
    release();
    expect(await Promise.all([...first, ...later])).toEqual([10, 20, 30, 40, 50, 60]);
    expect(groups).toEqual([[1, 2], [3, 4, 5], [6]]);
    expect(coalescer.stats).toEqual({ groups: 2, fallbacks: 0 });
  });

  it('fails only the bad item of a failed group: the others run alone and succeed, and the failure is reported', async () => {
    const failures: number[] = [];
    const coalescer = new Coalescer<number, number>({
      runGroup: async (items) => {
        if (items.includes(2)) throw new Error('row 2 refused');
        return items;
      },
      runOne: async (n) => {
        if (n === 2) throw new Error('row 2 refused');
        return n;
      },
      onGroupFailure: (_err, size) => failures.push(size),
    });
    const results = await Promise.allSettled([1, 2, 3].map((n) => coalescer.add(n)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason.message).toBe('row 2 refused');
    expect(failures).toEqual([3]);
    expect(coalescer.stats).toEqual({ groups: 1, fallbacks: 1 });
  });
});
