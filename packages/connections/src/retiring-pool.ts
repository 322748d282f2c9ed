import type { Connection } from './connection';
import { connectionFingerprint } from './connection-fingerprint';
import type { ConnectionsRegistry } from './connections-registry';

/** One pooled value (a receptor's transport, a source's reader) and its users. A retired one closes after its last. */
export interface Pooled<T> {
  readonly value: T;
  /** Handed out no more: its definition changed in the file (or the pool closed). Closed once its users are done. */
  readonly retired: boolean;
}

interface Entry<T> extends Pooled<T> {
  readonly key: string;
  readonly name: string;
  users: number;
  retired: boolean;
  closing?: Promise<void>;
}

/**
 * The values a process opens per connection definition (keyed by name and digest, secrets included), retired when a
 * reload of the connections file changes or drops their definition: no longer handed out, closed once the calls using
 * them end, never reopened; every one closed at shutdown. The one owner of that rule for SET receptors and GET sources.
 */
export class RetiringPool<T> {
  readonly #live = new Map<string, Entry<T>>();
  readonly #retired = new Set<Entry<T>>();
  readonly #close: (value: T) => unknown;
  #closed = false;

  /** `close` ends one value (its errors are dropped); `connections`, when given, retires values on every reload. */
  constructor(close: (value: T) => unknown, connections?: ConnectionsRegistry) {
    this.#close = close;
    connections?.onReload((registry) => {
      for (const entry of [...this.#live.values()]) {
        const current = registry.get(entry.name);
        if (!current || keyOf(current) !== entry.key) this.#retire(entry);
      }
    });
  }

  /** True once `close` was called: nothing is opened any more. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The live value of this definition, opening it with `open` when there is none. */
  get(connection: Connection, open: () => T): Pooled<T> {
    const key = keyOf(connection);
    const known = this.#live.get(key);
    if (known) return known;
    const entry: Entry<T> = { key, name: connection.name, value: open(), users: 0, retired: false };
    this.#live.set(key, entry);
    return entry;
  }

  /** Forgets a value that could not be opened (a refused host): the next `get` opens it again. */
  forget(pooled: Pooled<T>): void {
    const entry = pooled as Entry<T>;
    if (this.#live.get(entry.key) === entry) this.#live.delete(entry.key);
  }

  /** Runs `call` counted as a user of `pooled`: a value retired meanwhile is closed only after it. */
  async use<R>(pooled: Pooled<T>, call: (value: T) => Promise<R>): Promise<R> {
    const entry = pooled as Entry<T>;
    entry.users++;
    try {
      return await call(entry.value);
    } finally {
      entry.users--;
      if (entry.retired && entry.users === 0) void this.#end(entry);
    }
  }

  /** Closes every value, retired ones included, calls in flight or not; a shutdown step. */
  async close(): Promise<void> {
    this.#closed = true;
    const open = [...this.#live.values(), ...this.#retired];
    this.#live.clear();
    for (const entry of open) entry.retired = true;
    await Promise.allSettled(open.map((entry) => this.#end(entry)));
  }

  #retire(entry: Entry<T>): void {
    if (entry.retired) return;
    entry.retired = true;
    if (this.#live.get(entry.key) === entry) this.#live.delete(entry.key);
    this.#retired.add(entry);
    if (entry.users === 0) void this.#end(entry);
  }

  #end(entry: Entry<T>): Promise<void> {
    entry.closing ??= Promise.resolve()
      .then(() => this.#close(entry.value))
      .then(
        () => {},
        () => {},
      )
      .finally(() => this.#retired.delete(entry));
    return entry.closing;
  }
}

const keyOf = (connection: Connection) => `${connection.name}\u0000${connectionFingerprint(connection)}`;

/** What a factory reports after a refused login: the connection, whether the file now defines it otherwise, whether it was read. */
export interface RefusalOutcome {
  refused: string;
  replaced: boolean;
  read: boolean;
  error?: Error;
}

/**
 * After a refused login: true when the connections file now defines `connection` otherwise (the push or run then fails
 * as transient and its retry uses the new definition). A file that no longer loads keeps the definitions in use: the
 * refusal goes on as before. The one owner of that step for SET receptors and GET sources.
 */
export async function definitionReplacedAfterRefusal(
  connections: ConnectionsRegistry | undefined,
  connection: Connection,
  onReload?: (outcome: RefusalOutcome) => void,
): Promise<boolean> {
  if (!connections) return false;
  try {
    const outcome = await connections.replacedAfterRefusal(connection);
    onReload?.({ refused: connection.name, ...outcome });
    return outcome.replaced;
  } catch (error) {
    onReload?.({ refused: connection.name, replaced: false, read: true, error: error as Error });
    return false;
  }
}
