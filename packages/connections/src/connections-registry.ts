import type { Connection } from './connection';
import { ConnectionForbiddenError, ConnectionNotFoundError } from './errors';

/** The tenant wall of a connection: one restricted to an empresa (its `empresaId`) serves that empresa only. */
function usableBy(connection: Connection, empresaId: number): boolean {
  return connection.empresaId === undefined || connection.empresaId === empresaId;
}

/** The connections of one file, by name (conexao_integracao.nome_conexao). */
export class ConnectionsRegistry {
  readonly #byName: ReadonlyMap<string, Connection>;

  /** `file` is where the connections came from, for messages; undefined when no file is configured. */
  constructor(
    connections: readonly Connection[],
    readonly file?: string,
  ) {
    this.#byName = new Map(connections.map((connection) => [connection.name, connection]));
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

/** The registry to use when no connections file is configured: every `require` fails with a message saying so. */
export function emptyConnections(): ConnectionsRegistry {
  return new ConnectionsRegistry([]);
}
