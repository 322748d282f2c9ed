/**
 * Group commit: calls made while earlier flushes are under way wait and go together in the next flush, so deliveries
 * running concurrently share one database round trip (and one commit) instead of paying one each. Nothing waits on a
 * timer: with fewer than `maxInFlight` flushes under way a call is flushed at once, so a quiet worker adds no latency.
 * DataLoader batches per event-loop tick, which splits jobs that BullMQ hands over one by one; this batches by load.
 */
export class GroupCommit<T, R> {
  private waiting: { item: T; resolve: (result: R) => void; reject: (err: unknown) => void }[] = [];
  private inFlight = 0;

  constructor(
    /** Writes or reads a batch; answers one result per item, in order. */
    private readonly flushBatch: (items: T[]) => Promise<R[]>,
    private readonly options: { maxBatch: number; maxInFlight: number },
  ) {}

  /** Runs `item` in the next batch; settles once that batch has. */
  run(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.waiting.length) {
      const batch = this.waiting.splice(0, this.options.maxBatch);
      this.inFlight++;
      this.flushBatch(batch.map((entry) => entry.item))
        .then(
          (results) => {
            for (const [i, entry] of batch.entries()) entry.resolve(results[i] as R);
          },
          // One bad item must not fail the others: a failed batch is tried again item by item, each failing alone.
          (err: unknown) => Promise.all(batch.map((entry) => (batch.length === 1 ? entry.reject(err) : this.alone(entry)))),
        )
        .finally(() => {
          this.inFlight--;
          this.pump();
        });
    }
  }

  private async alone(entry: { item: T; resolve: (result: R) => void; reject: (err: unknown) => void }): Promise<void> {
    try {
      const [result] = await this.flushBatch([entry.item]);
      entry.resolve(result as R);
    } catch (err) {
      entry.reject(err);
    }
  }
}
