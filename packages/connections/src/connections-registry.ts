import type { Connection } from './connection';
import { connectionFingerprint } from './connection-fingerprint';
import { ConnectionForbiddenError, ConnectionNotFoundError } from './errors';

/** The tenant wall of a connection: one restricted to an empresa (its `empresaId`) serves that empresa only. */
function usableBy(connection: Connection, empresaId: number): boolean {
  return connection.empresaId === undefined || connection.empresaId === empresaId;
}

/** Reads the definitions again (loadConnections: the same file, the same secret source and defaults). */
export type ConnectionsReader = () => Promise<ConnectionsRegistry>;

/** The connections of one file, by name (conexao_integracao.nome_conexao). */
export class ConnectionsRegistry {
  #byName: ReadonlyMap<string, Connection>;
  readonly #read: ConnectionsReader | undefined;
  #reloading: Promise<string[]> | undefined;
  /** Reads finished so far: a refusal that waited for one decides with it instead of reading again. */
  #generation = 0;
  /** When a read last found the definitions unchanged (ms since epoch): refusals within the cooldown do not read again. */
  #unchangedAt = Number.NEGATIVE_INFINITY;
  readonly #cooldownMs: number;
  readonly #listeners: ((registry: ConnectionsRegistry) => void)[] = [];

  /**
   * `file` is where the connections came from, for messages; undefined when no file is configured. `read`, when given,
   * is how `reload` reads them again; `options.cooldownMs` (5 s by default) how long a read that found nothing changed
   * answers later refusals (a password wrong in the file too does not make every push read the file).
   */
  constructor(
    connections: readonly Connection[],
    readonly file?: string,
    read?: ConnectionsReader,
    options: { cooldownMs?: number } = {},
  ) {
    this.#byName = new Map(connections.map((connection) => [connection.name, connection]));
    this.#read = read;
    this.#cooldownMs = options.cooldownMs ?? 5000;
  }

  /**
   * Reads the definitions again and takes them in place (a worker does after an ERP refused a login: the file may hold a
   * new password by now); answers the names whose definition changed, appeared or went. A definition unchanged keeps
   * its object (what was resolved from it stays current); listeners hear only of reloads that changed something. A file
   * that no longer loads throws and the definitions in use stay. Calls made while a reload is under way share it.
   */
  reload(): Promise<string[]> {
    const read = this.#read;
    if (!read) return Promise.resolve([]);
    this.#reloading ??= read()
      .then((fresh) => {
        const changed = changedNames(this.#byName, fresh.#byName);
        this.#unchangedAt = changed.length === 0 ? Date.now() : Number.NEGATIVE_INFINITY;
        if (changed.length > 0) {
          const kept = new Set(changed);
          const before = this.#byName;
          this.#byName = new Map(
            [...fresh.#byName].map(([name, connection]) => [name, kept.has(name) ? connection : (before.get(name) ?? connection)]),
          );
          for (const listener of this.#listeners) listener(this);
        }
        return changed;
      })
      .finally(() => {
        this.#generation++;
        this.#reloading = undefined;
      });
    return this.#reloading;
  }

  /** Calls `listener` after every reload that changed a definition (the pools of changed ones are retired there). */
  onReload(listener: (registry: ConnectionsRegistry) => void): void {
    this.#listeners.push(listener);
  }

  /** True when `connection` is the definition this registry holds now under its name (same digest, secrets included). */
  isCurrent(connection: Connection): boolean {
    const current = this.#byName.get(connection.name);
    return current !== undefined && connectionFingerprint(current) === connectionFingerprint(connection);
  }

  /**
   * After a system refused the login of `refused`: `replaced` when the file now defines that connection otherwise (the
   * next attempt logs in with the new definition), and whether the file was `read` for it. It is read only when
   * `refused` is still the current definition (a refusal of one already replaced was handled), one read at a time (a
   * refusal during a read decides with that read) and not again within the cooldown of a read that found nothing
   * changed. A file that no longer loads throws and the definitions in use stay.
   */
  async replacedAfterRefusal(refused: Connection): Promise<{ replaced: boolean; read: boolean }> {
    const generation = this.#generation;
    if (this.#reloading) await this.#reloading.catch(() => {});
    const answered = this.#generation !== generation || Date.now() - this.#unchangedAt < this.#cooldownMs;
    if (!this.isCurrent(refused) || answered) return { replaced: !this.isCurrent(refused), read: false };
    await this.reload();
    return { replaced: !this.isCurrent(refused), read: true };
  }

  get size(): number {
    return this.#byName.size;
  }

  /** The connection with this name, if any (no empresa check). */
  get(name: string): Connection | undefined {
    return this.#byName.get(name);
  }

  /** The connection with this name; when `empresaId` is given, also checks the connection's empresa restriction. */
  require(name: string, empresaId?: number): Connection {
    const connection = this.#byName.get(name);
    if (connection === undefined) throw new ConnectionNotFoundError(name, this.file, this.names());
    if (empresaId !== undefined && !usableBy(connection, empresaId)) {
      throw new ConnectionForbiddenError(name, connection.empresaId as number, empresaId);
    }
    return connection;
  }

  /**
   * The connection with this name if this empresa may use it (the rule `require` enforces), else undefined: for
   * what is only shown (a job's attempts), so one tenant never reads a connection restricted to another.
   */
  usableBy(name: string, empresaId: number): Connection | undefined {
    const connection = this.#byName.get(name);
    return connection !== undefined && usableBy(connection, empresaId) ? connection : undefined;
  }

  /** Connection names in file order. */
  names(): string[] {
    return [...this.#byName.keys()];
  }

  /** [name, connection] pairs in file order. */
  entries(): IterableIterator<[string, Connection]> {
    return this.#byName.entries();
  }
}

/** Names present in one map and not the other, or whose definitions differ (secrets compared too). */
function changedNames(before: ReadonlyMap<string, Connection>, after: ReadonlyMap<string, Connection>): string[] {
  const names = new Set([...before.keys(), ...after.keys()]);
  return [...names].filter((name) => {
    const [old, fresh] = [before.get(name), after.get(name)];
    return !old || !fresh || connectionFingerprint(old) !== connectionFingerprint(fresh);
  });
}

/** The registry to use when no connections file is configured: every `require` fails with a message saying so. */
export function emptyConnections(): ConnectionsRegistry {
  return new ConnectionsRegistry([]);
}
