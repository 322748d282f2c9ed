/** How the Integrador reaches the other system (conexao_integracao.tipo_conexao). */
export type ConnectionKind = 'webservice' | 'database' | 'api';

export const CONNECTION_KINDS: readonly ConnectionKind[] = ['webservice', 'database', 'api'];

// Keys are already folded by `fold` (lowercase, no accents, one space between words, no "conexao via" prefix).
const ALIASES = new Map<string, ConnectionKind>([
  ['webservice', 'webservice'],
  ['web service', 'webservice'],
  ['ws', 'webservice'],
  ['soap', 'webservice'],
  ['database', 'database'],
  ['data base', 'database'],
  ['banco de dados', 'database'],
  ['banco', 'database'],
  ['bd', 'database'],
  ['db', 'database'],
  ['api', 'api'],
  ['api rest', 'api'],
  ['rest', 'api'],
]);

/** The accepted spellings of tipo_conexao (folded; the seed's "Conexão via Web Service" etc. fold to these), for messages. */
export const TIPO_CONEXAO_ALIASES: readonly string[] = [...ALIASES.keys()];

function fold(value: string): string {
  return value
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[\s_-]+/g, ' ')
    .trim()
    .replace(/^(conexao )?via /, '');
}

/** Maps a tipo_conexao value ("WS", "Banco de dados", "Conexão via API", "webservice"…) to its kind, or null if unknown. */
export function normalizeTipoConexao(value: string): ConnectionKind | null {
  return ALIASES.get(fold(value)) ?? null;
}
