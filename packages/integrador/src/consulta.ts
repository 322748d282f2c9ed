import { parseJsonText } from './json-text';

export type ConsultaErrorCode = 'TYPOGRAPHIC_QUOTES' | 'MALFORMED_JSON' | 'MISSING_CONSULTA';

/** Thrown for an integracao.consulta that is not a JSON-SQL document; the message says what to fix. */
export class ConsultaError extends Error {
  override name = 'ConsultaError';
  readonly permanent = true;
  constructor(
    readonly code: ConsultaErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Parses the consulta column, a JSON-SQL document {"consulta": "SELECT ..."}, into its SQL. */
export function parseConsulta(text: string): { sql: string } {
  const parsed = parseJsonText(text);
  if (!parsed.ok && parsed.problem === 'typographic-quotes')
    throw new ConsultaError(
      'TYPOGRAPHIC_QUOTES',
      `consulta is not valid JSON: it has typographic quotes (aspas tipográficas) ${parsed.quote} at position ${parsed.position}; ` +
        'write straight quotes " instead (expected {"consulta": "SELECT ..."})',
    );
  if (!parsed.ok)
    throw new ConsultaError('MALFORMED_JSON', `consulta is not valid JSON (${parsed.detail}); expected {"consulta": "SELECT ..."}`);
  const sql = consultaOf(parsed.value);
  if (sql === null)
    throw new ConsultaError(
      'MISSING_CONSULTA',
      `consulta must be a JSON object with a non-empty "consulta" string, found ${JSON.stringify(parsed.value).slice(0, 80)}`,
    );
  return { sql };
}

/** The SQL under the "consulta" key of a parsed JSON-SQL document, or null when there is none. */
export function consultaOf(document: unknown): string | null {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return null;
  const sql = (document as Record<string, unknown>).consulta;
  return typeof sql === 'string' && sql.trim() !== '' ? sql : null;
}

type TokenKind = 'word' | 'ident' | 'string' | 'var' | 'number' | 'punct';
interface Token {
  kind: TokenKind;
  text: string;
  /** The identifier or string without its quotes. */
  name: string;
}

const TOKEN =
  /(\s+|--[^\n]*|\/\*[\s\S]*?(?:\*\/|$))|('(?:[^']|'')*')|("(?:[^"]|"")*"|`[^`]*`)|(#[A-Za-z_][A-Za-z0-9_.]*#)|(\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_$]*)|([\s\S])/y;
const KINDS: readonly (TokenKind | null)[] = [null, 'string', 'ident', 'var', 'number', 'word', 'punct'];

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  for (let match = TOKEN.exec(text); match; match = TOKEN.exec(text)) {
    const group = match.findIndex((part, index) => index > 0 && part !== undefined);
    const kind = KINDS[group - 1];
    if (!kind) continue;
    const quoted = kind === 'string' || kind === 'ident';
    tokens.push({ kind, text: match[0], name: quoted ? match[0].slice(1, -1) : match[0] });
  }
  return tokens;
}

const isWord = (token: Token | undefined, ...words: string[]) => token?.kind === 'word' && words.includes(token.text.toUpperCase());
const isPunct = (token: Token | undefined, punct: string) => token?.kind === 'punct' && token.text === punct;

const END_OF_LIST = [
  'FROM',
  'WHERE',
  'GROUP',
  'HAVING',
  'ORDER',
  'LIMIT',
  'OFFSET',
  'UNION',
  'INTERSECT',
  'EXCEPT',
  'INTO',
  'WINDOW',
  'FOR',
];
// Words that end an expression but cannot be an implicit alias, and words after which the next word is not an alias.
const NOT_ALIAS = ['END', 'NULL', 'TRUE', 'FALSE'];
const BEFORE_NOT_ALIAS = ['AND', 'OR', 'NOT', 'IS', 'IN', 'LIKE', 'BETWEEN', 'CASE', 'WHEN', 'THEN', 'ELSE', 'DISTINCT', 'ALL'];

/** The top-level items of the first top-level SELECT list. */
function selectItems(tokens: readonly Token[]): Token[][] {
  let depth = 0;
  let start = -1;
  for (const [index, token] of tokens.entries()) {
    if (isPunct(token, '(')) depth++;
    else if (isPunct(token, ')')) depth--;
    else if (depth === 0 && isWord(token, 'SELECT')) {
      start = index + 1;
      break;
    }
  }
  if (start === -1) return [];
  const items: Token[][] = [[]];
  depth = 0;
  for (const token of tokens.slice(start)) {
    if (depth === 0 && (isWord(token, ...END_OF_LIST) || isPunct(token, ';') || isPunct(token, ')'))) break;
    if (isPunct(token, '(')) depth++;
    if (isPunct(token, ')')) depth--;
    if (depth === 0 && isPunct(token, ',')) items.push([]);
    else items.at(-1)?.push(token);
  }
  const first = items[0] ?? [];
  while (isWord(first[0], 'DISTINCT', 'ALL')) first.shift();
  return items;
}

const nameable = (token: Token | undefined) => token?.kind === 'ident' || (token?.kind === 'word' && !isWord(token, ...NOT_ALIAS));

/** The output name of one select item, or null when the database would invent one (or it is a *). */
function columnName(item: readonly Token[]): string | null {
  const last = item.at(-1);
  const before = item.at(-2);
  if (!last || isPunct(last, '*')) return null;
  if (isWord(before, 'AS')) return last.kind === 'word' || last.kind === 'ident' || last.kind === 'string' ? last.name : null;
  const qualified = item.length % 2 === 1 && item.every((token, index) => (index % 2 === 0 ? nameable(token) : isPunct(token, '.')));
  if (qualified) return last.name;
  const valueBefore = before && (['word', 'ident', 'string', 'number', 'var'].includes(before.kind) || isPunct(before, ')'));
  if (nameable(last) && valueBefore && !isWord(before, ...BEFORE_NOT_ALIAS)) return last.name;
  return null;
}

/** Output column names of a SELECT list (`c.id_erp` → id_erp, `x AS y` → y); `*` and unnamed expressions are skipped. */
export function selectedColumns(sql: string): string[] {
  const names = new Set<string>();
  for (const item of selectItems(tokenize(sql))) {
    const name = columnName(item);
    if (name) names.add(name);
  }
  return [...names];
}
