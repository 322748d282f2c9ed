/**
 * The delay before a process that died is started again, one per supervised process: 1 s, doubling per restart, at
 * most `maxMs`; a process that ran longer than `resetAfterMs` before dying starts over at 1 s (a crash loop backs
 * off, an occasional death does not). The fleet's supervisor and a worker app's cluster primary both use it.
 */
export class RestartBackoff {
  #restarts = 0;

  constructor(
    private readonly maxMs = 30_000,
    private readonly resetAfterMs = 60_000,
  ) {}

  /** The delay before the next start of a process that died after running `ranMs`. */
  next(ranMs: number): number {
    if (ranMs > this.resetAfterMs) this.#restarts = 0;
    const delay = Math.min(1000 * 2 ** this.#restarts, this.maxMs);
    this.#restarts += 1;
    return delay;
  }
}
