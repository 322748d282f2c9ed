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
  readonly #listeners: ((registry: ConnectionsRegistry) => void)[] = [];

  /**
   * `file` is where the connections came from, for messages; undefined when no file is configured. `read`, when given,
   * is how `reload` reads them again.
   */
  constructor(
    connections: readonly Connection[],
    readonly file?: string,
    read?: ConnectionsReader,
  ) {
    this.#byName = new Map(connections.map((connection) => [connection.name, connection]));
    this.#read = read;
  }

  /**
   * Reads the definitions again and takes them in place (a worker does after an ERP refused a login: the file may hold a
   * new password by now); answers the names whose definition changed, appeared or went. A file that no longer loads
   * throws and the definitions in use stay. Calls made while a reload is under way share it.
   */
  reload(): Promise<string[]> {
    const read = this.#read;
    if (!read) return Promise.resolve([]);
    this.#reloading ??= read()
      .then((fresh) => {
        const changed = changedNames(this.#byName, fresh.#byName);
        this.#byName = fresh.#byName;
        for (const listener of this.#listeners) listener(this);
        return changed;
      })
      .finally(() => {
        this.#reloading = undefined;
      });
    return this.#reloading;
  }

  /** Calls `listener` after every reload that took new definitions (the pools of changed ones are retired there). */
  onReload(listener: (registry: ConnectionsRegistry) => void): void {
    this.#listeners.push(listener);
  }

  /** True when `connection` is the definition this registry holds now under its name (same digest, secrets included). */
  isCurrent(connection: Connection): boolean {
    const current = this.#byName.get(connection.name);
    return current !== undefined && connectionFingerprint(current) === connectionFingerprint(connection);
  }

  /**
   * After a system refused the login of `refused`: true when the file now defines that connection otherwise (the
   * next attempt logs in with the new definition), false when it still says the same. The file is read again only when
   * `refused` is still the current definition (a refusal of one already replaced was handled) and one read at a time
   * (a refusal during a reload waits for it). A file that no longer loads throws and the definitions in use stay.
   */
  async replacedAfterRefusal(refused: Connection): Promise<boolean> {
    if (this.#reloading) await this.#reloading.catch(() => {});
    if (!this.isCurrent(refused)) return true;
    await this.reload();
    return !this.isCurrent(refused);
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
