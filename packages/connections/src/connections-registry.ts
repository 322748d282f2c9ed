import type { Connection } from './connection';
import { ConnectionForbiddenError, ConnectionNotFoundError } from './errors';

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
    if (empresaId !== undefined && connection.empresaId !== undefined && connection.empresaId !== empresaId) {
      throw new ConnectionForbiddenError(name, connection.empresaId, empresaId);
    }
    return connection;
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
