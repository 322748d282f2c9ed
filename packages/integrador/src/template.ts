import {
  DummyDriver,
  Kysely,
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

export type TemplateDialect = 'postgres' | 'mysql' | 'sqlite';

/** Values for a template's #variables#, by name. */
export type TemplateValues = Readonly<Record<string, unknown>>;

export interface TemplateOptions {
  /** Lexing differs per dialect: only MySQL/MariaDB treat a backslash inside a string literal as an escape. */
  dialect?: TemplateDialect;
}

export interface CompiledTemplate {
  /** The SQL text with positional placeholders ($1 for postgres, ? for mysql and sqlite). */
  sql: string;
  parameters: unknown[];
  /** The variables bound, in order of first use. */
  variables: string[];
}

/** Thrown when a template uses a #variable# that has no value; nothing is compiled. */
export class MissingVariableError extends Error {
  override name = 'MissingVariableError';
  readonly code = 'MISSING_VARIABLE';
  constructor(
    readonly variable: string,
    readonly missing: readonly string[],
    readonly provided: readonly string[],
  ) {
    const list = provided.length > 0 ? provided.join(', ') : 'none';
    super(`template variable #${variable}# has no value (missing: ${missing.join(', ')}; values given: ${list})`);
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

type LiteralPart = string | { name: string };
type Segment = { kind: 'sql'; text: string } | { kind: 'value'; name: string } | { kind: 'literal'; parts: LiteralPart[] };

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

/** End (exclusive) of a comment or backtick identifier starting at i, or -1 when none starts there. */
function opaqueEnd(text: string, i: number): number {
  const two = text.slice(i, i + 2);
  if (two === '--') {
    const end = text.indexOf('\n', i);
    return end === -1 ? text.length : end;
  }
  if (two === '/*') {
    const end = text.indexOf('*/', i + 2);
    return end === -1 ? text.length : end + 2;
  }
  if (text[i] === '`') {
    const end = text.indexOf('`', i + 1);
    return end === -1 ? -1 : end + 1;
  }
  return -1;
}

/** Cuts a template into SQL text, bound variables and string literals that contain variables. */
function parseTemplate(text: string, backslash: boolean): Segment[] {
  const segments: Segment[] = [];
  let buffer = '';
  const flush = () => {
    if (buffer) segments.push({ kind: 'sql', text: buffer });
    buffer = '';
  };
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    const opaque = opaqueEnd(text, i);
    if (opaque !== -1) {
      // Comments and identifiers are kept verbatim: a #var# there is not a value to bind.
      buffer += text.slice(i, opaque);
      i = opaque;
      continue;
    }
    const close = CLOSING_QUOTE[ch];
    const end = close === undefined ? -1 : closingQuote(text, i, close, backslash);
    if (close !== undefined && end !== -1) {
      const body = text.slice(i + 1, end);
      const symmetric = ch === close;
      const parts = extractVariables(body).length === 0 ? null : literalParts(body, symmetric ? ch : '', backslash && symmetric);
      if (parts === null) buffer += text.slice(i, end + 1);
      else {
        flush();
        const only = parts.length === 1 ? parts[0] : undefined;
        // '#x#' binds x itself (its type kept); 'a #x# b' binds the whole literal's text with x written into it.
        segments.push(typeof only === 'object' ? { kind: 'value', name: only.name } : { kind: 'literal', parts });
      }
      i = end + 1;
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

/** Parses the template, checks every variable has a value, and assembles the RawBuilder. */
function prepare(
  template: string,
  values: TemplateValues,
  backslash: boolean,
  dialect?: TemplateDialect,
): { builder: RawBuilder<unknown>; variables: string[] } {
  const segments = parseTemplate(template, backslash);
  const variables = boundNames(segments);
  const missing = variables.filter((name) => !lookup(values, name).found);
  if (missing[0] !== undefined) throw new MissingVariableError(missing[0], missing, Object.keys(values));
  const pieces = segments.map((segment) => {
    if (segment.kind === 'sql') return sql.raw(segment.text);
    if (segment.kind === 'value') return bound(resolve(values, segment.name), dialect);
    const text = segment.parts.map((part) => (typeof part === 'string' ? part : interpolated(resolve(values, part.name)))).join('');
    return bound(text);
  });
  return { builder: sql.join(pieces, sql.raw('')), variables };
}

/** Builds a Kysely RawBuilder from a #var# template: SQL text stays raw, every value is a bound parameter. */
export function toRawSql(template: string, values: TemplateValues, options: TemplateOptions = {}): RawBuilder<unknown> {
  return prepare(template, values, options.dialect === 'mysql', options.dialect).builder;
}

const compilers = new Map<TemplateDialect, Kysely<unknown>>();

/** A Kysely instance that only compiles (DummyDriver), one per dialect. */
function compilerFor(dialect: TemplateDialect): Kysely<unknown> {
  let db = compilers.get(dialect);
  if (db) return db;
  const parts = {
    postgres: { adapter: PostgresAdapter, compiler: PostgresQueryCompiler, introspector: PostgresIntrospector },
    mysql: { adapter: MysqlAdapter, compiler: MysqlQueryCompiler, introspector: MysqlIntrospector },
    sqlite: { adapter: SqliteAdapter, compiler: SqliteQueryCompiler, introspector: SqliteIntrospector },
  }[dialect];
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

/** Compiles a #var# template to SQL with positional placeholders for the dialect, and its parameters. */
export function compileTemplate(template: string, values: TemplateValues, dialect: TemplateDialect): CompiledTemplate {
  const { builder, variables } = prepare(template, values, dialect === 'mysql');
  const compiled = builder.compile(compilerFor(dialect));
  return { sql: compiled.sql, parameters: [...compiled.parameters], variables };
}
