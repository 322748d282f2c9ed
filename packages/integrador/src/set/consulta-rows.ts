import { type Database, type DialectName, isPreparedStatementRefusal } from '@integrador/store';
import type { Kysely } from 'kysely';
import { parseConsulta } from '../consulta';
import { bindEngineValues, type CrmScope, scopeStatement } from '../runs/tenant-scope';
import { compileTemplate, toRawSql } from '../template';
import { PermanentError } from './permanent-error';

/** SQL text of a consulta column: JSON-SQL (`{"consulta": "SELECT …"}`) or, in dependencias, plain SQL. */
export function consultaSql(text: string): string {
  let known = consultaSqls.get(text);
  if (known === undefined) {
    known = text.trim().startsWith('{') ? parseConsulta(text).sql : text;
    if (consultaSqls.size >= CONSULTA_SQLS_MAX) consultaSqls.clear();
    consultaSqls.set(text, known);
  }
  return known;
}

/** The SQL of each consulta text read so far: the same text is parsed on every push otherwise (a refusal is not kept). */
const consultaSqls = new Map<string, string>();
const CONSULTA_SQLS_MAX = 500;

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

/** A consulta's SQL bound to the run's tenant (tenant-scope.ts), with the engine's values bound last. */
function scoped(dialect: DialectName, text: string, values: Readonly<Record<string, unknown>>, scope: CrmScope) {
  return {
    template: scopeStatement(consultaSql(text), dialect, scope.tables, scope.tenant),
    values: bindEngineValues(values, scope.tenant),
  };
}

/** Runs a consulta of the run's tenant with its #vars# bound as parameters and returns the rows (none of another tenant). */
export async function runConsulta(
  db: Kysely<Database>,
  dialect: DialectName,
  text: string,
  values: Readonly<Record<string, unknown>>,
  scope: CrmScope,
): Promise<Record<string, unknown>[]> {
  const statement = scoped(dialect, text, values, scope);
  try {
    const result = await toRawSql(statement.template, statement.values, { dialect }).execute(db);
    return result.rows as Record<string, unknown>[];
  } catch (err) {
    if (isStatementError(err)) throw new PermanentError('CONSULTA_FAILED', `consulta failed: ${(err as Error).message}`, { cause: err });
    throw err;
  }
}

/** The SQL and bound values a consulta would run with (for previews). */
export function describeConsulta(dialect: DialectName, text: string, values: Readonly<Record<string, unknown>>, scope: CrmScope) {
  const statement = scoped(dialect, text, values, scope);
  const compiled = compileTemplate(statement.template, statement.values, dialect);
  return { sql: compiled.sql, parameters: compiled.parameters };
}
