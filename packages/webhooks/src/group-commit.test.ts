import { GroupCommit } from './group-commit';

describe('GroupCommit', () => {
  it('flushes the first call at once and gathers the calls made meanwhile into the next batch', async () => {
    const batches: number[][] = [];
    let release: () => void = () => undefined;
    const group = new GroupCommit<number, number>(
      async (items) => {
        batches.push(items);
        if (batches.length === 1) await new Promise<void>((resolve) => (release = resolve));
        return items.map((n) => n * 10);
      },
      { maxBatch: 3, maxInFlight: 1 },
    );
    const results = [1, 2, 3, 4, 5, 6].map((n) => group.run(n));
    release();
    expect(await Promise.all(results)).toEqual([10, 20, 30, 40, 50, 60]);
    expect(batches).toEqual([[1], [2, 3, 4], [5, 6]]);
  });

  it('fails only the bad item of a failed batch: the others are written alone and succeed', async () => {
    const group = new GroupCommit<number, number>(
      async (items) => {
        if (items.includes(2)) throw new Error('row 2 refused');
        return items;
      },
      { maxBatch: 10, maxInFlight: 1 },
    );
    const results = await Promise.allSettled([1, 2, 3].map((n) => group.run(n)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason.message).toBe('row 2 refused');
  });
});
