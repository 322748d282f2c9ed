import { type ConnectionKind, normalizeTipoConexao, TIPO_CONEXAO_ALIASES } from '@integrador/connections';

export type { ConnectionKind };

/** What the lint needs to know of the connections file: each nome_conexao and its kind. */
export type KnownConnections = ReadonlyMap<string, { kind: ConnectionKind }>;

/** The accepted spellings of conexao_integracao.tipo_conexao, for messages (the connections package owns them). */
export const CONNECTION_KIND_ALIASES: readonly string[] = TIPO_CONEXAO_ALIASES;

/**
 * Normalises conexao_integracao.tipo_conexao — the one normaliser of the connections package, so lint accepts
 * exactly what runs (the seed's "Conexão via Web Service", "Conexão via banco de dados", "Conexão via API", WS, BD…).
 */
export function normalizeConnectionKind(tipoConexao: string): ConnectionKind | null {
  return normalizeTipoConexao(tipoConexao);
}
