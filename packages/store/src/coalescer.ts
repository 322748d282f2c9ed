/** How a Coalescer runs what it gathered: one statement for the whole group, and one item alone. */
export interface CoalescerOptions<I, R> {
  /** Runs a group in one statement (or one transaction); returns one result per item, in order. */
  runGroup: (items: I[]) => Promise<R[]>;
  /** Runs one item on its own: a group of one, and every item of a group whose shared statement failed. */
  runOne: (item: I) => Promise<R>;
  /** Largest group; more items waiting start another group. */
  maxItems?: number;
  /** Groups running at once; further items wait for one of them to finish and then go together. */
  maxRunning?: number;
  /** Told when a group's shared statement failed and its items run alone (e.g. to log it). */
  onGroupFailure?: (error: unknown, size: number) => void;
  /** What its groups are, in reports of a failed one (e.g. "outbox claims"). */
  name?: string;
}

/** A group whose shared statement failed (its items then ran one by one): which groups, how many items, the error. */
export interface GroupFailure {
  group: string;
  size: number;
  error: unknown;
}

let groupFailureListener: ((failure: GroupFailure) => void) | undefined;

/**
 * Where every Coalescer of this process reports a failed group (a worker app logs them: runtime's logGroupFailures).
 * Process-wide, because the groups are made where the statements are (per database, per empresa), not where the
 * process's logger is.
 */
export function reportGroupFailuresTo(listener: ((failure: GroupFailure) => void) | undefined): void {
  groupFailureListener = listener;
}

/** What a Coalescer did so far: groups run together, and how many of them failed and ran item by item. */
export interface CoalescerStats {
  groups: number;
  fallbacks: number;
}

interface Waiting<I, R> {
  item: I;
  resolve: (result: R) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit: the same statement of many concurrent callers (pushes in flight in one worker) runs as one multi-row
 * statement, one round trip and one commit for all of them. It never waits on a clock: items added in one turn of
 * the event loop go together, and while `maxRunning` groups are on the wire new items gather until one returns — so
 * one caller alone pays no delay, and a busy worker gets groups as large as its concurrency. Each caller gets its own
 * result; when the shared statement fails, every item runs again on its own, so one bad item fails only its caller.
 */
export class Coalescer<I, R> {
  readonly #options: Required<Omit<CoalescerOptions<I, R>, 'onGroupFailure'>> & Pick<CoalescerOptions<I, R>, 'onGroupFailure'>;
  readonly stats: CoalescerStats = { groups: 0, fallbacks: 0 };
  #waiting: Waiting<I, R>[] = [];
  #running = 0;
  #scheduled = false;

  constructor(options: CoalescerOptions<I, R>) {
    this.#options = { maxItems: 100, maxRunning: 2, name: 'grouped statements', ...options };
  }

  /** Runs `item` with the others gathered meanwhile; resolves with its own result or rejects with its own error. */
  add(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#waiting.push({ item, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled || this.#waiting.length === 0 || this.#running >= this.#options.maxRunning) return;
    this.#scheduled = true;
    // setImmediate, not a microtask: the callers whose I/O completed in this turn add their items first.
    setImmediate(() => {
      this.#scheduled = false;
      while (this.#waiting.length > 0 && this.#running < this.#options.maxRunning) {
        void this.#run(this.#waiting.splice(0, this.#options.maxItems));
      }
    });
  }

  async #run(group: Waiting<I, R>[]): Promise<void> {
    this.#running += 1;
    try {
      if (group.length === 1) await this.#runAlone(group[0] as Waiting<I, R>);
      else await this.#runTogether(group);
    } finally {
      this.#running -= 1;
      this.#schedule();
    }
  }

  async #runTogether(group: Waiting<I, R>[]): Promise<void> {
    let results: R[];
    this.stats.groups += 1;
    try {
      results = await this.#options.runGroup(group.map((waiting) => waiting.item));
      if (results.length !== group.length) throw new Error(`group of ${group.length} returned ${results.length} results`);
    } catch (err) {
      this.stats.fallbacks += 1;
      this.#options.onGroupFailure?.(err, group.length);
      try {
        groupFailureListener?.({ group: this.#options.name, size: group.length, error: err });
      } catch {
        // A report that fails must not keep the items from running.
      }
      // The shared statement rolled back as a whole: each item again on its own, each with its own outcome. One
      // after another: failures are rare, and side by side the items would contend for the same locks (MariaDB
      // picks deadlock victims among concurrent tenant-scoped transactions).
      for (const waiting of group) await this.#runAlone(waiting);
      return;
    }
    for (const [index, waiting] of group.entries()) waiting.resolve(results[index] as R);
  }

  async #runAlone(waiting: Waiting<I, R>): Promise<void> {
    try {
      waiting.resolve(await this.#options.runOne(waiting.item));
    } catch (err) {
      waiting.reject(err);
    }
  }
}
