import { type ConnectionKind, type ConnectionsRegistry, normalizeTipoConexao, TIPO_CONEXAO_ALIASES } from '@integrador/connections';

export type { ConnectionKind };

/** What the lint needs to know of the connections file: each nome_conexao, its kind and the empresa it is restricted to. */
export type KnownConnections = ReadonlyMap<string, { kind: ConnectionKind; empresaId?: number | undefined }>;

/** Whether an empresa may use a connection of the file (the registry's rule: unrestricted, or restricted to it). */
export function connectionOpenTo(connection: { empresaId?: number | undefined }, empresaId: number): boolean {
  return connection.empresaId === undefined || connection.empresaId === empresaId;
}

/** The accepted spellings of conexao_integracao.tipo_conexao, for messages (the connections package owns them). */
export const CONNECTION_KIND_ALIASES: readonly string[] = TIPO_CONEXAO_ALIASES;

/**
 * Normalises conexao_integracao.tipo_conexao — the one normaliser of the connections package, so lint accepts
 * exactly what runs (the seed's "Conexão via Web Service", "Conexão via banco de dados", "Conexão via API", WS, BD…).
 */
export function normalizeConnectionKind(tipoConexao: string): ConnectionKind | null {
  return normalizeTipoConexao(tipoConexao);
}

/** The connections file as the linter sees it: nome_conexao → kind and empresa restriction. */
export function knownConnections(connections: ConnectionsRegistry): KnownConnections {
  return new Map(
    [...connections.entries()].map(([name, connection]) => [name, { kind: connection.kind, empresaId: connection.empresaId }]),
  );
}
