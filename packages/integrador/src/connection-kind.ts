export type ConnectionKind = 'webservice' | 'database' | 'api';

/** What the lint needs to know of the connections file: each nome_conexao and its kind. */
export type KnownConnections = ReadonlyMap<string, { kind: ConnectionKind }>;

const ALIASES: Readonly<Record<string, ConnectionKind>> = {
  ws: 'webservice',
  'web service': 'webservice',
  webservice: 'webservice',
  soap: 'webservice',
  bd: 'database',
  banco: 'database',
  'banco de dados': 'database',
  database: 'database',
  db: 'database',
  api: 'api',
  rest: 'api',
};

/** The accepted spellings of conexao_integracao.tipo_conexao, for messages. */
export const CONNECTION_KIND_ALIASES: readonly string[] = Object.keys(ALIASES);

/** Normalises conexao_integracao.tipo_conexao (case-insensitive aliases such as WS, Banco de Dados, REST), or null when unknown. */
export function normalizeConnectionKind(tipoConexao: string): ConnectionKind | null {
  const key = tipoConexao
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, ' ');
  return ALIASES[key] ?? null;
}
