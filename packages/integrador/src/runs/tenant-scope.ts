import type { Database, DialectName } from '@integrador/store';
import type { Kysely } from 'kysely';
import { setOwn } from '../value-lookup';

/**
 * Tenant binding of the SQL a run executes on the CRM database (consulta, dependencias lookups, component consultas,
 * sql_update, GET's sql_insert/sql_update).
 *
 * Reads: every tenant table a statement names (a table with an `empresa_id` column, and `empresas`) is shadowed by a
 * common table expression of the same name holding only the run's empresa (and filial) rows:
 * `SELECT … FROM contas c WHERE c.id = #contaId#` runs as
 * `WITH contas AS (SELECT * FROM contas WHERE empresa_id = #empresa_id#) SELECT … FROM contas c WHERE c.id = #contaId#`.
 * So the seed's own row, which has no empresa filter, reads only the caller's conta: another empresa's row is not
 * there, exactly like a missing one. Shapes the shadowing cannot cover safely are refused before any I/O.
 *
 * Writes: the database's tenant guard triggers refuse, in the run's scoped transaction, any write to another
 * empresa's row (packages/store/src/tenant-guard.ts).
 *
 * #empresa_id# and #empresa_filial_id# are engine variables: bound by the engine last, so parameters, upstream
 * values and source rows can never override them.
 */

/** The tenant a run works for: its empresa, and the filial when the integration (or the key) has one. */
export interface RunTenant {
  empresaId: number;
  filialId: number | null;
}

/** The tenant a run's SQL is bound to: the caller's empresa, and the integration's filial (else the caller's). */
export function runTenantOf(caller: RunTenant, integracao: { empresa_filial_id: number | null }): RunTenant {
  return { empresaId: caller.empresaId, filialId: integracao.empresa_filial_id ?? caller.filialId };
}

/** What a run's CRM statements are bound with: the tenant and the database's tenant tables. */
export interface CrmScope {
  tenant: RunTenant;
  tables: TenantTables;
}

/** Variables only the engine binds. */
export const ENGINE_VARIABLES = ['empresa_id', 'empresa_filial_id'] as const;
const ENGINE_KEYS: ReadonlySet<string> = new Set(ENGINE_VARIABLES);

/** The engine's own #vars# of a run. */
export function engineValues(tenant: RunTenant): Record<(typeof ENGINE_VARIABLES)[number], number | null> {
  return { empresa_id: tenant.empresaId, empresa_filial_id: tenant.filialId };
}

/** `values` with the engine variables bound last (nothing a caller, an upstream step or a row sends replaces them). */
export function bindEngineValues<T extends Readonly<Record<string, unknown>>>(values: T, tenant: RunTenant): Record<string, unknown> {
  const bound: Record<string, unknown> = {};
  // A differently-cased key (EMPRESA_ID from an Oracle row) must not survive next to the engine's. Copied key by key
  // rather than deleted afterwards: a deleted key turns the object into a slow dictionary (this runs several times a push).
  for (const key of Object.keys(values)) if (!ENGINE_KEYS.has(key.toLowerCase())) setOwn(bound, key, values[key]);
  bound.empresa_id = tenant.empresaId;
  bound.empresa_filial_id = tenant.filialId;
  return bound;
}

/** A statement the engine cannot bind to the tenant safely; refused before any I/O. */
export class TenantScopeError extends Error {
  override name = 'TenantScopeError';
  readonly code = 'TENANT_SCOPE';
  readonly permanent = true;
}

/** A tenant table as the shadowing needs it. */
export interface TenantTable {
  name: string;
  /** The column the empresa is compared with (`empresa_id`, or `id` for `empresas`). */
  empresaColumn: string;
  /** True when the table has `empresa_filial_id` (rows of another filial are hidden from a filial run). */
  filial: boolean;
}

/** Tenant tables by lower-case name. */
export type TenantTables = ReadonlyMap<string, TenantTable>;

const TABLES_TTL_MS = 30_000;
const tablesCache = new WeakMap<object, { at: number; tables: Promise<TenantTables> }>();

async function introspect(db: Kysely<Database>): Promise<TenantTables> {
  const tables = new Map<string, TenantTable>();
  for (const table of await db.introspection.getTables()) {
    const columns = new Set(table.columns.map((c) => c.name.toLowerCase()));
    const name = table.name;
    if (name.toLowerCase() === 'empresas') tables.set('empresas', { name, empresaColumn: 'id', filial: false });
    else if (columns.has('empresa_id'))
      tables.set(name.toLowerCase(), { name, empresaColumn: 'empresa_id', filial: columns.has('empresa_filial_id') });
  }
  return tables;
}

/** The CRM database's tenant tables (introspected, kept for 30 s so a new table is covered soon after it appears). */
export function tenantTablesOf(db: Kysely<Database>): Promise<TenantTables> {
  const cached = tablesCache.get(db);
  if (cached && Date.now() - cached.at < TABLES_TTL_MS) return cached.tables;
  const tables = introspect(db);
  tablesCache.set(db, { at: Date.now(), tables });
  tables.catch(() => tablesCache.delete(db));
  return tables;
}

interface Token {
  kind: 'word' | 'quoted' | 'punct';
  /** Lower case for words, the identifier for quoted names, the character for punctuation. */
  text: string;
  start: number;
  end: number;
}

const WORD = /[A-Za-z_][A-Za-z0-9_$]*/y;
const VARIABLE = /#[A-Za-z_][A-Za-z0-9_.]*#/y;
const STRING_CLOSE: Readonly<Record<string, string>> = { "'": "'", '\u2018': '\u2019', '\u201C': '\u201D' };

function skipQuoted(text: string, start: number, close: string, backslash: boolean): number {
  for (let i = start + 1; i < text.length; i++) {
    const ch = text[i];
    if (backslash && ch === '\\') i++;
    else if (ch === close) {
      if (text[i + 1] === close && text[start] === close) i++;
      else return i + 1;
    }
  }
  return text.length;
}

/** Words, quoted identifiers and punctuation outside literals, comments and #vars#. */
function tokenize(text: string, dialect: DialectName): Token[] {
  const tokens: Token[] = [];
  const backslash = dialect === 'mysql';
  // MySQL reads "…" as a string literal (ANSI_QUOTES off); PostgreSQL and SQLite as an identifier.
  const identifierQuotes = dialect === 'mysql' ? ['`'] : ['"', '`'];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (/\s/.test(ch)) i++;
    else if (ch === '-' && text[i + 1] === '-') i = text.indexOf('\n', i) === -1 ? text.length : text.indexOf('\n', i);
    else if (ch === '/' && text[i + 1] === '*') i = text.indexOf('*/', i + 2) === -1 ? text.length : text.indexOf('*/', i + 2) + 2;
    else if (STRING_CLOSE[ch] || (ch === '"' && dialect === 'mysql')) i = skipQuoted(text, i, STRING_CLOSE[ch] ?? '"', backslash);
    else if (identifierQuotes.includes(ch)) {
      const end = skipQuoted(text, i, ch, false);
      tokens.push({ kind: 'quoted', text: text.slice(i + 1, end - 1).replaceAll(ch + ch, ch), start: i, end });
      i = end;
    } else if (ch === '#') {
      VARIABLE.lastIndex = i;
      i = VARIABLE.test(text) ? VARIABLE.lastIndex : i + 1;
    } else {
      WORD.lastIndex = i;
      if (WORD.test(text)) {
        tokens.push({ kind: 'word', text: text.slice(i, WORD.lastIndex).toLowerCase(), start: i, end: WORD.lastIndex });
        i = WORD.lastIndex;
      } else {
        tokens.push({ kind: 'punct', text: ch, start: i, end: i + 1 });
        i++;
      }
    }
  }
  return tokens;
}

function quoteIdentifier(name: string, dialect: DialectName): string {
  return dialect === 'mysql' ? `\`${name}\`` : `"${name}"`;
}

/** The CTE standing in for one tenant table: only the run's rows. */
function shadow(table: TenantTable, dialect: DialectName, tenant: RunTenant): string {
  const name = quoteIdentifier(table.name, dialect);
  // SQLite reads a CTE that names itself as circular: its body names the real table through the main schema.
  const source = dialect === 'sqlite' ? `main.${name}` : name;
  const filial =
    table.filial && tenant.filialId !== null ? ' AND (empresa_filial_id IS NULL OR empresa_filial_id = #empresa_filial_id#)' : '';
  return `${name} AS (SELECT * FROM ${source} WHERE ${table.empresaColumn} = #empresa_id#${filial})`;
}

const WRITE_VERBS = new Set(['insert', 'update', 'delete', 'replace', 'merge']);

/**
 * The statement template bound to the run's tenant (see the module comment). Read statements get the shadowing
 * CTEs; write statements are returned as they are (the tenant guard triggers check every row they touch, in the
 * run's scoped transaction). Throws TenantScopeError for shapes that would escape the binding: a schema-qualified
 * tenant table, WITH RECURSIVE over a tenant table, or (MySQL/MariaDB, where an inner WITH does not see the outer
 * one) a nested WITH.
 */
export function scopeStatement(template: string, dialect: DialectName, tables: TenantTables, tenant: RunTenant): string {
  // The result depends on the text, the dialect, the tables and whether the run has a filial (the values stay #vars#):
  // the engine keeps it compiled per those (set/crm-statements.ts), so it is not cached here.
  const tokens = tokenize(template, dialect);
  const used = new Map<string, TenantTable>();
  tokens.forEach((token, index) => {
    if (token.kind === 'punct') return;
    const table = tables.get(token.text.toLowerCase());
    if (!table) return;
    const previous = tokens[index - 1];
    const next = tokens[index + 1];
    if (previous?.text === '.' && next?.text !== '.') {
      throw new TenantScopeError(
        `the statement names the tenant table ${table.name} with a schema or database qualifier; name it without one so the engine can bind it to the empresa`,
      );
    }
    if (previous?.text !== '.') used.set(table.name.toLowerCase(), table);
  });
  const first = tokens.find((t) => t.text !== '(');
  if (!first || used.size === 0 || WRITE_VERBS.has(first.text)) return template;
  const withAt = tokens.indexOf(first);
  const nested = tokens.some((t, i) => t.kind === 'word' && t.text === 'with' && i !== withAt);
  if (nested && dialect === 'mysql') {
    throw new TenantScopeError(
      'a WITH inside the statement over a tenant table cannot be bound to the empresa on MySQL/MariaDB; use a subquery',
    );
  }
  const shadows = [...used.values()].map((table) => shadow(table, dialect, tenant)).join(', ');
  if (first.text !== 'with') return `WITH ${shadows} ${template}`;
  if (tokens[withAt + 1]?.text === 'recursive') {
    throw new TenantScopeError(
      'WITH RECURSIVE over a tenant table cannot be bound to the empresa; read the table in a plain WITH or subquery',
    );
  }
  return `${template.slice(0, first.end)} ${shadows},${template.slice(first.end)}`;
}

/** True for a statement that writes (its tenant binding is the guard triggers, in a scoped transaction). */
export function isWriteStatement(template: string, dialect: DialectName): boolean {
  const first = tokenize(template, dialect).find((t) => t.text !== '(');
  return first !== undefined && WRITE_VERBS.has(first.text);
}
