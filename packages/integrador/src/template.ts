import { getOrCreate } from '@integrador/store';
import {
  CompiledQuery,
  DefaultQueryCompiler,
  DummyDriver,
  Kysely,
  MssqlAdapter,
  MssqlIntrospector,
  MssqlQueryCompiler,
  MysqlAdapter,
  MysqlIntrospector,
  MysqlQueryCompiler,
  type OperationNodeSource,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type RawBuilder,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  sql,
  ValueNode,
} from 'kysely';
import { LRUCache } from 'lru-cache';

/** The CRM's dialects and the ERP source dialects (the same names as a database connection's `driver`). */
export type TemplateDialect = 'postgres' | 'mysql' | 'sqlite' | 'mssql' | 'oracle' | 'firebird' | 'odbc';

/** Values for a template's #variables#, by name. */
export type TemplateValues = Readonly<Record<string, unknown>>;

export interface TemplateOptions {
  /** Lexing differs per dialect: only MySQL/MariaDB treat a backslash inside a string literal as an escape. */
  dialect?: TemplateDialect;
}

export interface CompiledTemplate {
  /** The SQL text with positional placeholders: $1 (postgres), ? (mysql, sqlite, firebird, odbc), @1 (mssql), :1 (oracle). */
  sql: string;
  parameters: unknown[];
  /** The variables bound, in order of first use. */
  variables: string[];
}

/** Where a missing #variable# was used, once the run knows it: the integration, its column, the nearest name given. */
export interface MissingVariablePlace {
  readonly integracao: string;
  /** The column (or row) holding the variable: `campos_integracao #1`, `link`. */
  readonly onde: string;
  /** The value's name nearest to the variable (a misspelt column), when one is near enough. */
  readonly sugestao?: string;
}

/** Thrown when a template uses a #variable# that has no value; nothing is compiled. */
export class MissingVariableError extends Error {
  override name = 'MissingVariableError';
  readonly code = 'MISSING_VARIABLE';
  readonly permanent = true;
  /** The values its reason is worded with (the job recorder keeps them): the variable, and its place once placed (inIntegration). */
  readonly params: Readonly<Record<string, string>>;
  constructor(
    readonly variable: string,
    readonly missing: readonly string[],
    readonly provided: readonly string[],
    /** campos_integracao's id of the row using the variable (buildRequest), when a mapping row holds it. */
    readonly campoId?: number,
    place?: MissingVariablePlace,
  ) {
    const list = provided.length > 0 ? provided.join(', ') : 'none';
    super(`template variable #${variable}# has no value (missing: ${missing.join(', ')}; values given: ${list})`);
    // Unplaced, the variable's name is what the worded reason adds (rawDetail), never the English sentence.
    this.params = { ...(place ? { variavel: variable, ...place } : {}), rawDetail: `#${variable}#` };
  }

  /** The same failure, naming the integration and the column that uses the variable. */
  inIntegration(place: MissingVariablePlace): MissingVariableError {
    return new MissingVariableError(this.variable, this.missing, this.provided, this.campoId, place);
  }
}

const VARIABLE = /#([A-Za-z_][A-Za-z0-9_.]*)#/g;
const VARIABLE_AT = /#([A-Za-z_][A-Za-z0-9_.]*)#/y;

/** Names of the #variables# in a text, in order of first appearance, without duplicates. */
export function extractVariables(text: string): string[] {
  const names = new Set<string>();
  for (const match of text.matchAll(VARIABLE)) if (match[1]) names.add(match[1]);
  return [...names];
}

/** A piece of a string literal that holds #variables#: text, or a variable written into it. */
export type LiteralPart = string | { name: string };
/** What one placeholder binds: a variable's value, or a literal's text with its variables written in. */
export type StatementSlot = { kind: 'value'; name: string } | { kind: 'literal'; parts: LiteralPart[] };
type Segment = { kind: 'sql'; text: string } | StatementSlot;

// Typographic pairs are accepted because the Integrador manual itself writes ‘#id#’; they only ever wrap a bound value.
const CLOSING_QUOTE: Readonly<Record<string, string>> = { "'": "'", '"': '"', '\u2018': '\u2019', '\u201C': '\u201D' };
const MYSQL_ESCAPES: Readonly<Record<string, string>> = { '0': '\0', b: '\b', n: '\n', r: '\r', t: '\t', Z: '\x1a', '%': '\\%', _: '\\_' };

/** Index of the quote closing the literal opened at `start`, or -1 when it is never closed. */
function closingQuote(text: string, start: number, close: string, backslash: boolean): number {
  const open = text[start];
  for (let i = start + 1; i < text.length; i++) {
    const ch = text[i];
    if (backslash && ch === '\\' && open === close) i++;
    else if (ch === close) {
      if (open === close && text[i + 1] === close) i++;
      else return i;
    }
  }
  return -1;
}

/** The value of a literal's body: doubled quotes collapse, and MySQL backslash escapes apply. */
function unescapeLiteral(body: string, quote: string, backslash: boolean): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i] as string;
    const next = body[i + 1];
    if (backslash && ch === '\\' && next !== undefined) {
      out += MYSQL_ESCAPES[next] ?? next;
      i++;
    } else if (ch === quote && next === quote) {
      out += ch;
      i++;
    } else out += ch;
  }
  return out;
}

/** Splits a literal's body around its #variables#. */
function literalParts(body: string, quote: string, backslash: boolean): LiteralPart[] {
  const parts: LiteralPart[] = [];
  let last = 0;
  for (const match of body.matchAll(VARIABLE)) {
    if (match.index > last) parts.push(unescapeLiteral(body.slice(last, match.index), quote, backslash));
    parts.push({ name: match[1] as string });
    last = match.index + match[0].length;
  }
  if (last < body.length) parts.push(unescapeLiteral(body.slice(last), quote, backslash));
  return parts;
}

/** How a dialect's SQL text is cut into literals, identifiers and comments. */
interface Lexer {
  /** MySQL/MariaDB read `\'` inside a string literal as an escaped quote. */
  backslash: boolean;
  /** SQL Server quotes identifiers as [name]. */
  brackets: boolean;
  /** N'…' (national character literal): the N goes with the literal when it becomes a parameter. */
  national: boolean;
  /** Oracle's alternative quoting q'[…]', q'{…}', q'<…>', q'(…)' or q'!…!'. */
  qQuotes: boolean;
}

const LEXERS: Readonly<Record<TemplateDialect, Lexer>> = {
  postgres: { backslash: false, brackets: false, national: false, qQuotes: false },
  sqlite: { backslash: false, brackets: false, national: false, qQuotes: false },
  firebird: { backslash: false, brackets: false, national: false, qQuotes: false },
  // ODBC: standard SQL literals (DB2, Caché and c-tree do not escape with a backslash).
  odbc: { backslash: false, brackets: false, national: false, qQuotes: false },
  mysql: { backslash: true, brackets: false, national: true, qQuotes: false },
  mssql: { backslash: false, brackets: true, national: true, qQuotes: false },
  oracle: { backslash: false, brackets: false, national: true, qQuotes: true },
};
const DEFAULT_LEXER: Lexer = LEXERS.postgres;
const Q_CLOSERS: Readonly<Record<string, string>> = { '[': ']', '{': '}', '<': '>', '(': ')' };
const WORD_CHAR = /[A-Za-z0-9_$#@]/;

/** End (exclusive) of a comment or quoted identifier starting at i, or -1 when none starts there. */
function opaqueEnd(text: string, i: number, lexer: Lexer): number {
  const two = text.slice(i, i + 2);
  if (two === '--') {
    const end = text.indexOf('\n', i);
    return end === -1 ? text.length : end;
  }
  if (two === '/*') {
    const end = text.indexOf('*/', i + 2);
    return end === -1 ? text.length : end + 2;
  }
  const close = text[i] === '`' ? '`' : lexer.brackets && text[i] === '[' ? ']' : undefined;
  if (close !== undefined) {
    const end = text.indexOf(close, i + 1);
    return end === -1 ? -1 : end + 1;
  }
  return -1;
}

/** An Oracle q'X…X' literal at i: its body and the index after it, or null. */
function qQuoted(text: string, i: number): { body: string; end: number } | null {
  if ((text[i] !== 'q' && text[i] !== 'Q') || text[i + 1] !== "'" || WORD_CHAR.test(text[i - 1] ?? '')) return null;
  const open = text[i + 2];
  if (open === undefined || /\s/.test(open)) return null;
  const close = `${Q_CLOSERS[open] ?? open}'`;
  const end = text.indexOf(close, i + 3);
  return end === -1 ? null : { body: text.slice(i + 3, end), end: end + 2 };
}

/** Drops a national-literal prefix (the N of N'…') that ends the SQL text before a literal that became a parameter. */
function withoutNationalPrefix(buffer: string, lexer: Lexer): string {
  return lexer.national && /(^|[^A-Za-z0-9_$#@])[Nn]$/.test(buffer) ? buffer.slice(0, -1) : buffer;
}

/** The segment for a literal's body: null when it holds no variable (it stays SQL text). */
function literalSegment(body: string, quote: string, backslash: boolean): Segment | null {
  if (extractVariables(body).length === 0) return null;
  const parts = literalParts(body, quote, backslash);
  const only = parts.length === 1 ? parts[0] : undefined;
  // '#x#' binds x itself (its type kept); 'a #x# b' binds the whole literal's text with x written into it.
  return typeof only === 'object' ? { kind: 'value', name: only.name } : { kind: 'literal', parts };
}

/** A string literal starting at i (quoted, or Oracle's q'…'): its segment (null = plain text) and the index after it. */
function literalAt(text: string, i: number, lexer: Lexer): { segment: Segment | null; end: number } | null {
  const q = lexer.qQuotes ? qQuoted(text, i) : null;
  // A q-quoted body has no escapes at all, hence the empty quote.
  if (q) return { segment: literalSegment(q.body, '', false), end: q.end };
  const ch = text[i] as string;
  const close = CLOSING_QUOTE[ch];
  const end = close === undefined ? -1 : closingQuote(text, i, close, lexer.backslash);
  if (close === undefined || end === -1) return null;
  const symmetric = ch === close;
  return { segment: literalSegment(text.slice(i + 1, end), symmetric ? ch : '', lexer.backslash && symmetric), end: end + 1 };
}

/** Cuts a template into SQL text, bound variables and string literals that contain variables. */
function parseTemplate(text: string, lexer: Lexer): Segment[] {
  const segments: Segment[] = [];
  let buffer = '';
  const flush = () => {
    if (buffer) segments.push({ kind: 'sql', text: buffer });
    buffer = '';
  };
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    const opaque = opaqueEnd(text, i, lexer);
    if (opaque !== -1) {
      // Comments and identifiers are kept verbatim: a #var# there is not a value to bind.
      buffer += text.slice(i, opaque);
      i = opaque;
      continue;
    }
    const literal = literalAt(text, i, lexer);
    if (literal) {
      if (literal.segment === null) buffer += text.slice(i, literal.end);
      else {
        buffer = withoutNationalPrefix(buffer, lexer);
        flush();
        segments.push(literal.segment);
      }
      i = literal.end;
      continue;
    }
    VARIABLE_AT.lastIndex = i;
    const match = ch === '#' ? VARIABLE_AT.exec(text) : null;
    if (match?.[1]) {
      flush();
      segments.push({ kind: 'value', name: match[1] });
      i += match[0].length;
      continue;
    }
    buffer += ch;
    i++;
  }
  flush();
  return segments;
}

/** Parsed templates by lexer and text, at most PARSED_MAX each: a worker runs the same few statements for every push. */
const parsed = new Map<Lexer, Map<string, readonly Segment[]>>();
const PARSED_MAX = 500;

/** parseTemplate, remembered (segments are never modified). */
function parsedTemplate(text: string, lexer: Lexer): readonly Segment[] {
  const known = getOrCreate(parsed, lexer, () => new Map());
  let segments = known.get(text);
  if (!segments) {
    segments = parseTemplate(text, lexer);
    if (known.size >= PARSED_MAX) known.clear();
    known.set(text, segments);
  }
  return segments;
}

/** The value of a variable: an own key first, then a dotted path through nested objects. */
function lookup(values: TemplateValues, name: string): { found: boolean; value?: unknown } {
  if (Object.hasOwn(values, name) && values[name] !== undefined) return { found: true, value: values[name] };
  if (!name.includes('.')) return { found: false };
  let current: unknown = values;
  for (const key of name.split('.')) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, key)) return { found: false };
    current = (current as Record<string, unknown>)[key];
  }
  return current === undefined ? { found: false } : { found: true, value: current };
}

/** How a value reads when written into a string literal, as the PHP Integrador interpolates it. */
function interpolated(value: unknown): string {
  if (value === null) return '';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

// Kysely compiles an OperationNodeSource as-is, so a ValueNode stays a parameter even when the value is itself an expression.
/**
 * SQLite's driver binds every JS number as REAL, so an integer written into a TEXT column would read back as
 * "501.0"; integers go as BigInt (INTEGER), dates as ISO text and booleans as 0/1, as the other dialects store them.
 */
function forSqlite(value: unknown): unknown {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value;
}

function bound(value: unknown, dialect?: TemplateDialect): OperationNodeSource {
  const bindable = dialect === 'sqlite' ? forSqlite(value) : value;
  return { toOperationNode: () => ValueNode.create(bindable) };
}

function boundNames(segments: readonly Segment[]): string[] {
  const names = new Set<string>();
  for (const segment of segments) {
    if (segment.kind === 'value') names.add(segment.name);
    if (segment.kind === 'literal') for (const part of segment.parts) if (typeof part === 'object') names.add(part.name);
  }
  return [...names];
}

function resolve(values: TemplateValues, name: string): unknown {
  return lookup(values, name).value;
}

/**
 * Builds a Kysely RawBuilder from a #var# template: SQL text stays raw, every value is a bound parameter. Checks every
 * variable has a value first (MissingVariableError). For a statement run again and again, compileStatement and
 * bindStatement skip Kysely's compilation on each run.
 */
export function toRawSql(template: string, values: TemplateValues, options: TemplateOptions = {}): RawBuilder<unknown> {
  const { dialect } = options;
  const segments = parsedTemplate(template, dialect === undefined ? DEFAULT_LEXER : LEXERS[dialect]);
  const missing = boundNames(segments).filter((name) => !lookup(values, name).found);
  if (missing[0] !== undefined) throw new MissingVariableError(missing[0], missing, Object.keys(values));
  const pieces = segments.map((segment) => {
    if (segment.kind === 'sql') return sql.raw(segment.text);
    if (segment.kind === 'value') return bound(resolve(values, segment.name), dialect);
    return bound(literalText(segment.parts, values));
  });
  return sql.join(pieces, sql.raw(''));
}

/** A literal's text with its variables' values written in (the literal is bound as one text value). */
function literalText(parts: readonly LiteralPart[], values: TemplateValues): string {
  return parts.map((part) => (typeof part === 'string' ? part : interpolated(resolve(values, part.name)))).join('');
}

/** Firebird takes `?` placeholders, like MySQL and SQLite. */
class QuestionMarkQueryCompiler extends DefaultQueryCompiler {
  protected override getCurrentParameterPlaceholder(): string {
    return '?';
  }
}

/** Oracle (oracledb) binds an array of values by position to `:1`, `:2`… */
class OracleQueryCompiler extends DefaultQueryCompiler {
  protected override getCurrentParameterPlaceholder(): string {
    return `:${this.numParameters}`;
  }
}

// Only the placeholders matter here (template SQL is raw text), so the source dialects without a Kysely dialect borrow an adapter.
const DIALECT_PARTS = {
  postgres: { adapter: PostgresAdapter, compiler: PostgresQueryCompiler, introspector: PostgresIntrospector },
  mysql: { adapter: MysqlAdapter, compiler: MysqlQueryCompiler, introspector: MysqlIntrospector },
  sqlite: { adapter: SqliteAdapter, compiler: SqliteQueryCompiler, introspector: SqliteIntrospector },
  mssql: { adapter: MssqlAdapter, compiler: MssqlQueryCompiler, introspector: MssqlIntrospector },
  oracle: { adapter: SqliteAdapter, compiler: OracleQueryCompiler, introspector: SqliteIntrospector },
  firebird: { adapter: SqliteAdapter, compiler: QuestionMarkQueryCompiler, introspector: SqliteIntrospector },
  odbc: { adapter: SqliteAdapter, compiler: QuestionMarkQueryCompiler, introspector: SqliteIntrospector },
} as const;

const compilers = new Map<TemplateDialect, Kysely<unknown>>();

/** A Kysely instance that only compiles (DummyDriver), one per dialect. */
function compilerFor(dialect: TemplateDialect): Kysely<unknown> {
  let db = compilers.get(dialect);
  if (db) return db;
  const parts = DIALECT_PARTS[dialect];
  db = new Kysely<unknown>({
    dialect: {
      createAdapter: () => new parts.adapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (kysely) => new parts.introspector(kysely),
      createQueryCompiler: () => new parts.compiler(),
    },
  });
  compilers.set(dialect, db);
  return db;
}

/**
 * A template compiled for one dialect: the SQL text with its placeholders and what each placeholder binds. It depends
 * only on the text and the dialect; a push binds its values to it (bindStatement) without compiling anything again.
 */
export interface TemplateStatement {
  readonly dialect: TemplateDialect;
  /** The #var# template it was compiled from. */
  readonly template: string;
  readonly sql: string;
  /** The variables bound, in order of first use: each needs a value. */
  readonly variables: readonly string[];
  /** Per placeholder, in order: the variable whose value it takes, or the literal's text with variables written in. */
  readonly slots: readonly StatementSlot[];
}

/** Compiled statements by dialect and text: a worker binds the same few statements on every push. */
const statements = new LRUCache<string, TemplateStatement>({ max: 500 });

/**
 * Compiles a #var# template for a dialect once (kept by text and dialect): Kysely writes the SQL with a placeholder
 * per value, exactly as it does for toRawSql, and the order of the placeholders is kept for binding.
 */
export function compileStatement(template: string, dialect: TemplateDialect): TemplateStatement {
  const key = `${dialect}|${template}`;
  let statement = statements.get(key);
  if (!statement) {
    const segments = parsedTemplate(template, LEXERS[dialect]);
    const slots = segments.filter((segment): segment is StatementSlot => segment.kind !== 'sql');
    // Each placeholder is compiled with its slot's index as the value: the parameters Kysely returns give their order.
    let next = 0;
    const pieces = segments.map((segment) => (segment.kind === 'sql' ? sql.raw(segment.text) : bound(next++)));
    const compiled = sql.join(pieces, sql.raw('')).compile(compilerFor(dialect));
    statement = {
      dialect,
      template,
      sql: compiled.sql,
      variables: boundNames(segments),
      slots: compiled.parameters.map((index) => slots[index as number] as StatementSlot),
    };
    statements.set(key, statement);
  }
  return statement;
}

/** The column that tells which read of a union (compileUnionRead) a row answers. */
export const UNION_BRANCH_COLUMN = 'integrador_branch';
/** The column of a union's rows that tells how long the server had been on the statement when it made the row (ms). */
export const UNION_ELAPSED_COLUMN = 'integrador_ms';
/** The column of a union's rows that is NOT NULL for a row of the read, NULL for a branch's filler row (no match). */
export const UNION_ROW_COLUMN = 'integrador_row';
const UNION_ELAPSED = '(extract(epoch FROM clock_timestamp() - statement_timestamp()) * 1000)::float8';

/**
 * `size` copies of a read as one statement, each `(SELECT r.*, <i> AS integrador_branch, <server ms> AS integrador_ms
 * FROM (VALUES (<i>)) AS v LEFT JOIN LATERAL (SELECT q.*, 1 AS integrador_row FROM (<read>) q) r ON true LIMIT <p>)`,
 * joined by UNION ALL (the engine's columns last: of two columns of one name, a row keeps the last). Each copy has its
 * own placeholders (so each is typed as the read alone), then its LIMIT's. The left join gives a copy whose read
 * matches nothing one filler row (integrador_row NULL, every read column NULL), so every union tells the server's own
 * time (integrador_ms), which a client behind a network or a loaded event loop cannot measure; the caller drops the
 * filler rows by integrador_row alone (a real row of NULLs is still a row). The parameters are, per copy in order, the
 * read's own then the limit: null (every row) for a read, 0 for a copy that only pads the union to its size
 * (PostgreSQL runs nothing under LIMIT 0: neither the read nor the filler). The branch number is a constant of the
 * text, never a value: a row belongs to the read whose copy produced it. PostgreSQL only (a derived table keeps its
 * ORDER BY there, the one-row VALUES drives a nested loop that keeps it, and the text is the same for every group of
 * that size, so it is prepared once per connection).
 */
export function compileUnionRead(statement: TemplateStatement, size: number): string {
  if (statement.dialect !== 'postgres') throw new Error('compileUnionRead: PostgreSQL only');
  const segments = parsedTemplate(statement.template, LEXERS.postgres);
  const branches = [];
  for (let branch = 0; branch < size; branch++) {
    const pieces = segments.map((segment) => (segment.kind === 'sql' ? sql.raw(segment.text) : bound(null)));
    const number = sql.raw(String(branch));
    // The read's body ends its line: a `-- comment` closing the read leaves the union's own text alone.
    branches.push(
      sql`(SELECT integrador_r.*, ${number} AS ${sql.raw(UNION_BRANCH_COLUMN)}, ${sql.raw(UNION_ELAPSED)} AS ${sql.raw(UNION_ELAPSED_COLUMN)} FROM (VALUES (${number})) AS integrador_v LEFT JOIN LATERAL (SELECT integrador_q.*, 1 AS ${sql.raw(UNION_ROW_COLUMN)} FROM (${sql.join(pieces, sql.raw(''))}
) AS integrador_q) AS integrador_r ON true LIMIT ${bound(null)})`,
    );
  }
  return sql.join(branches, sql.raw(' UNION ALL ')).compile(compilerFor('postgres')).sql;
}

/** The parameter values of a compiled statement; MissingVariableError (nothing bound) when a variable has no value. */
function parametersOf(statement: TemplateStatement, values: TemplateValues, convert: boolean): unknown[] {
  const missing = statement.variables.filter((name) => !lookup(values, name).found);
  if (missing[0] !== undefined) throw new MissingVariableError(missing[0], missing, Object.keys(values));
  const sqlite = convert && statement.dialect === 'sqlite';
  return statement.slots.map((slot) => {
    if (slot.kind === 'value') {
      const value = resolve(values, slot.name);
      return sqlite ? forSqlite(value) : value;
    }
    return literalText(slot.parts, values);
  });
}

/**
 * Binds one push's values to a compiled statement, ready for `db.executeQuery` (every value a parameter, SQLite's
 * values converted as toRawSql converts them). Throws MissingVariableError, as toRawSql does, when a variable has no value.
 */
export function bindStatement(statement: TemplateStatement, values: TemplateValues): CompiledQuery<unknown> {
  return CompiledQuery.raw(statement.sql, parametersOf(statement, values, true));
}

/**
 * A compiled statement with one set of values, for a caller's own driver or a preview: the values stay as given (the
 * SQLite conversion is for Kysely's executor). MissingVariableError when a variable has no value.
 */
export function describeStatement(statement: TemplateStatement, values: TemplateValues): CompiledTemplate {
  return { sql: statement.sql, parameters: parametersOf(statement, values, false), variables: [...statement.variables] };
}

/** Compiles a #var# template to SQL with positional placeholders for the dialect, and its parameters. */
export function compileTemplate(template: string, values: TemplateValues, dialect: TemplateDialect): CompiledTemplate {
  return describeStatement(compileStatement(template, dialect), values);
}
