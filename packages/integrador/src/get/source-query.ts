import type { DatabaseDriver } from '@integrador/connections';
import type { SourceQuery } from '@integrador/sources';
import { compileTemplate, type TemplateValues } from '../template';
import { type CursorValue, cursorParameter } from './cursor';
import type { GetSettings } from './get-settings';

/**
 * The source statement of a run, compiled for the source's own dialect with every #var# bound. Incremental runs wrap
 * sql_consulta so the rows come ordered by the cursor column, from the saved cursor on (>=, never >: rows sharing
 * the last value are re-read and deduplicated by key), which is what lets each chunk commit its own cursor.
 */
export function buildSourceQuery(
  settings: Pick<GetSettings, 'mode' | 'sqlConsulta' | 'cursorColumn'>,
  driver: DatabaseDriver,
  values: TemplateValues,
  cursor: CursorValue | null,
): SourceQuery {
  const bound = { ...values, cursor: cursor === null ? null : cursorParameter(cursor) };
  let template = settings.sqlConsulta;
  if (settings.mode === 'incremental' && settings.cursorColumn) {
    // campo_cursor passed parseGetSettings' identifier check; unquoted, it folds like the unquoted alias in sql_consulta.
    const column = `q.${settings.cursorColumn}`;
    template = `SELECT * FROM (${settings.sqlConsulta}) q${cursor === null ? '' : ` WHERE ${column} >= #cursor#`} ORDER BY ${column}`;
  }
  const compiled = compileTemplate(template, bound, driver);
  return { sql: compiled.sql, parameters: compiled.parameters };
}
