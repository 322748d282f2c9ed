import { type Database, type DialectName, isPreparedStatementRefusal } from '@integrador/store';
import type { Kysely } from 'kysely';
import { LRUCache } from 'lru-cache';
import { parseConsulta } from '../consulta';
import { bindEngineValues, type CrmScope, scopeStatement, type TenantTables } from '../runs/tenant-scope';
import { bindStatement, compileStatement, describeStatement, type TemplateStatement } from '../template';
import { PermanentError } from './permanent-error';

/** SQL text of a consulta column: JSON-SQL (`{"consulta": "SELECT …"}`) or, in dependencias, plain SQL. */
export function consultaSql(text: string): string {
  return text.trim().startsWith('{') ? parseConsulta(text).sql : text;
}

/**
 * Compiled reads per tenant-tables reading (a new reading, every 30 s, starts afresh), per dialect and filial or not,
 * by SQL text: the text is the definition's own string, so a lookup hashes nothing new on each push.
 */
const readsByTables = new WeakMap<TenantTables, Map<string, LRUCache<string, TemplateStatement>>>();
const READS_MAX = 500;

/**
 * A CRM read bound to the run's tenant (tenant-scope.ts) and compiled, once per (SQL text, dialect, tenant tables,
 * filial or not): the scoped SQL and its placeholders do not depend on the values. A refusal (TenantScopeError) is
 * not kept: the statement is judged again, and refused again, on the next push.
 */
export function crmReadStatement(sqlText: string, dialect: DialectName, scope: CrmScope): TemplateStatement {
  let variants = readsByTables.get(scope.tables);
  if (!variants) {
    variants = new Map();
    readsByTables.set(scope.tables, variants);
  }
  const variant = scope.tenant.filialId === null ? dialect : `${dialect}|filial`;
  let reads = variants.get(variant);
  if (!reads) {
    reads = new LRUCache({ max: READS_MAX });
    variants.set(variant, reads);
  }
  let statement = reads.get(sqlText);
  if (!statement) {
    statement = compileStatement(scopeStatement(sqlText, dialect, scope.tables, scope.tenant), dialect);
    reads.set(sqlText, statement);
  }
  return statement;
}

/**
 * True for errors the statement or its values cause (bad value for a column type, syntax, unknown column):
 * running it again cannot help. Connection and lock errors stay transient.
 */
export function isStatementError(err: unknown): boolean {
  // A prepared statement's name refused by the server (42P05, 26000, 0A000): the statement itself is fine, and runs
  // unnamed on the retry.
  if (isPreparedStatementRefusal(err)) return false;
  const code = String((err as { code?: unknown } | null)?.code ?? '');
  if (/^(22|42)[0-9A-Z]{3}$/.test(code)) return true; // PostgreSQL SQLSTATE classes 22 (data) and 42 (syntax, undefined objects)
  if (/^ER_(PARSE_ERROR|BAD_FIELD_ERROR|NO_SUCH_TABLE|TRUNCATED_WRONG_VALUE|WRONG_VALUE|DATA_TOO_LONG|BAD_NULL_ERROR)/.test(code))
    return true;
  return code === 'SQLITE_ERROR' || code === 'SQLITE_MISMATCH' || code === 'SQLITE_CONSTRAINT_NOTNULL';
}

/**
 * Runs a consulta (its SQL text, consultaSql) of the run's tenant with its #vars# bound as parameters, the engine's
 * values last, and returns the rows (none of another tenant).
 */
export function runConsulta(
  db: Kysely<Database>,
  dialect: DialectName,
  sqlText: string,
  values: Readonly<Record<string, unknown>>,
  scope: CrmScope,
): Promise<Record<string, unknown>[]> {
  return readRows(db, crmReadStatement(sqlText, dialect, scope), values, scope);
}

/** Runs a compiled CRM read (crmReadStatement) with one push's values, the engine's values bound last. */
export async function readRows(
  db: Kysely<Database>,
  statement: TemplateStatement,
  values: Readonly<Record<string, unknown>>,
  scope: CrmScope,
): Promise<Record<string, unknown>[]> {
  try {
    const result = await db.executeQuery(bindStatement(statement, bindEngineValues(values, scope.tenant)));
    return result.rows as Record<string, unknown>[];
  } catch (err) {
    if (isStatementError(err)) throw new PermanentError('CONSULTA_FAILED', `consulta failed: ${(err as Error).message}`, { cause: err });
    throw err;
  }
}

/** The SQL and bound values a compiled CRM read would run with (for previews). */
export function describeConsulta(statement: TemplateStatement, values: Readonly<Record<string, unknown>>, scope: CrmScope) {
  const compiled = describeStatement(statement, bindEngineValues(values, scope.tenant));
  return { sql: compiled.sql, parameters: compiled.parameters };
}
