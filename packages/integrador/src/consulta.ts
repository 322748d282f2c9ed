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

/**
 * The first two items of a SELECT list that give a row the same column name, compared ignoring case (`nome` and
 * `NOME`, or `a.id` and `b.id`), as written; null when none repeat. A driver keeps one value per name (the later one)
 * and a database folds unquoted names to one case, so such a pair maps two values onto one column.
 */
export function repeatedSelectedColumn(sql: string): [string, string] | null {
  const seen = new Map<string, string>();
  for (const item of selectItems(tokenize(sql))) {
    const name = columnName(item);
    if (!name) continue;
    const first = seen.get(name.toLowerCase());
    if (first !== undefined) return [first, name];
    seen.set(name.toLowerCase(), name);
  }
  return null;
}

/** Whether the SELECT list has a `*` (`*`, `c.*`): its output columns cannot be told from the text. */
export function selectsEveryColumn(sql: string): boolean {
  return selectItems(tokenize(sql)).some((item) => {
    const last = item.at(-1);
    return last !== undefined && isPunct(last, '*');
  });
}

/** A column a consulta reads from a table it names: `c.email` with `FROM contas c` → contas.email. */
export interface ColumnReference {
  /** The table as written (lower case, without a schema). */
  table: string;
  /** The column as written in the statement (case kept). */
  column: string;
  /** How the statement spells it (`c.email`, or the bare name in a single-table select list). */
  text: string;
}

// Words that end a table reference: after them no alias follows.
const NOT_TABLE_ALIAS = [
  ...END_OF_LIST,
  'AS',
  'ON',
  'USING',
  'JOIN',
  'INNER',
  'LEFT',
  'RIGHT',
  'FULL',
  'CROSS',
  'OUTER',
  'NATURAL',
  'LATERAL',
  'STRAIGHT_JOIN',
];
// Bare words a select list may hold that are values, not columns.
const NOT_COLUMN = ['NULL', 'TRUE', 'FALSE', 'CURRENT_DATE', 'CURRENT_TIME', 'CURRENT_TIMESTAMP', 'LOCALTIME', 'LOCALTIMESTAMP'];

const isName = (token: Token | undefined) => token?.kind === 'ident' || token?.kind === 'word';

/** The tables named after FROM / JOIN (and in FROM's comma list), by alias and by name; CTE names and subqueries are left out. */
function tableAliases(tokens: readonly Token[]): { aliases: Map<string, string | null>; tables: string[]; ctes: number } {
  const ctes = new Set<string>();
  for (const [i, token] of tokens.entries())
    if (isName(token) && isWord(tokens[i + 1], 'AS') && isPunct(tokens[i + 2], '(')) ctes.add(token.name.toLowerCase());
  // null: a name that stands for two different tables in different parts of the statement (not checked).
  const aliases = new Map<string, string | null>();
  const tables: string[] = [];
  const bind = (alias: string, table: string) => {
    const known = aliases.get(alias);
    aliases.set(alias, known === undefined || known === table ? table : null);
  };
  const readReference = (start: number): number => {
    let i = start;
    if (!isName(tokens[i])) return i;
    let table = (tokens[i]?.name ?? '').toLowerCase();
    // schema.table: the table is the last part.
    while (isPunct(tokens[i + 1], '.') && isName(tokens[i + 2])) {
      table = (tokens[i + 2]?.name ?? '').toLowerCase();
      i += 2;
    }
    i++;
    if (isPunct(tokens[i], '(')) return i; // a table function, not a table
    if (!ctes.has(table)) {
      tables.push(table);
      bind(table, table);
    }
    if (isWord(tokens[i], 'AS')) i++;
    const alias = tokens[i];
    if (alias && isName(alias) && !isWord(alias, ...NOT_TABLE_ALIAS)) {
      if (!ctes.has(table)) bind(alias.name.toLowerCase(), table);
      i++;
    }
    return i;
  };
  // Whether each open parenthesis holds a query (FROM in EXTRACT(YEAR FROM x) or TRIM(… FROM x) names no table).
  const queries: boolean[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (isPunct(tokens[i], '(')) queries.push(isWord(tokens[i + 1], 'SELECT', 'WITH'));
    else if (isPunct(tokens[i], ')')) queries.pop();
    if (!isWord(tokens[i], 'FROM', 'JOIN') || queries.at(-1) === false) continue;
    let next = readReference(i + 1);
    while (isPunct(tokens[next], ',') && isWord(tokens[i], 'FROM')) next = readReference(next + 1);
  }
  return { aliases, tables, ctes: ctes.size };
}

/**
 * The columns a consulta reads from the tables it names, where the statement says which table: `alias.column`
 * anywhere in it, and the bare columns of the select list when it reads one table only. What it cannot tie to a
 * table (unqualified names in WHERE, subquery outputs, CTEs) is left out.
 */
export function consultaColumnReferences(sql: string): ColumnReference[] {
  const tokens = tokenize(sql);
  const { aliases, tables, ctes } = tableAliases(tokens);
  const references: ColumnReference[] = [];
  for (let i = 0; i + 2 < tokens.length; i++) {
    const [owner, dot, column, after] = [tokens[i], tokens[i + 1], tokens[i + 2], tokens[i + 3]];
    if (!isName(owner) || !isPunct(dot, '.') || !isName(column) || isPunct(tokens[i - 1], '.') || isPunct(after, '.')) continue;
    if (isPunct(after, '(')) continue; // schema.function(...)
    const table = aliases.get((owner?.name ?? '').toLowerCase());
    if (table && owner && column) references.push({ table, column: column.name, text: `${owner.name}.${column.name}` });
  }
  // Bare names only in a plain one-table SELECT: with a subquery or a CTE they may be its outputs.
  const [table] = tables;
  const selects = tokens.filter((token) => isWord(token, 'SELECT')).length;
  if (tables.length === 1 && table !== undefined && selects === 1 && ctes === 0)
    for (const item of selectItems(tokens)) {
      const [first, second] = item;
      const bare = item.length === 1 || (item.length === 3 && isWord(second, 'AS')) || (item.length === 2 && isName(second));
      if (bare && isName(first) && first && !isWord(first, ...NOT_COLUMN)) references.push({ table, column: first.name, text: first.name });
    }
  return references;
}
