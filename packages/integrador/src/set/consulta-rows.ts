import type { Database, DialectName } from '@integrador/store';
import type { Kysely } from 'kysely';
import { parseConsulta } from '../consulta';
import { compileTemplate, toRawSql } from '../template';

/** SQL text of a consulta column: JSON-SQL (`{"consulta": "SELECT …"}`) or, in dependencias, plain SQL. */
export function consultaSql(text: string): string {
  return text.trim().startsWith('{') ? parseConsulta(text).sql : text;
}

/** Runs a consulta with its #vars# bound as parameters and returns the rows. */
export async function runConsulta(
  db: Kysely<Database>,
  dialect: DialectName,
  text: string,
  values: Readonly<Record<string, unknown>>,
): Promise<Record<string, unknown>[]> {
  const result = await toRawSql(consultaSql(text), values, { dialect }).execute(db);
  return result.rows as Record<string, unknown>[];
}

/** The SQL and bound values a consulta would run with (for previews). */
export function describeConsulta(dialect: DialectName, text: string, values: Readonly<Record<string, unknown>>) {
  const compiled = compileTemplate(consultaSql(text), values, dialect);
  return { sql: compiled.sql, parameters: compiled.parameters };
}
