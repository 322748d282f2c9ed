import type { ConnectionKind } from '@integrador/connections';
import { GET_SYNC_TABLES, type Integracao } from '@integrador/store';
import { repeatedSelectedColumn } from '../consulta';
import { queueForTipo } from '../runs/runnability';
import { type GetConfigProblem, getConfigError } from './get-config-messages';

export type GetMode = 'full' | 'incremental';

/** A GET integracao's sync settings, validated (identifiers checked: they are written into SQL as names). */
export interface GetSettings {
  mode: GetMode;
  sqlConsulta: string;
  /** CRM key column(s), lower case; always scoped by empresa_id. */
  keyColumns: string[];
  /** The cursor column as sql_consulta names it; null without one. */
  cursorColumn: string | null;
  /** Built-in upsert into `table`, or the row's sql_update / sql_insert templates. */
  write: 'upsert' | 'templates';
  table: string | null;
  sqlInsert: string | null;
  sqlUpdate: string | null;
  /** Hours between reconciles; null = never, 0 = every run. */
  reconcileHours: number | null;
  chunkSize: number;
}

export const DEFAULT_CHUNK_SIZE = 5000;
export const MAX_CHUNK_SIZE = 50000;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]*$/;

const text = (value: string | null | undefined): string | null => (value?.trim() ? value.trim() : null);

/** Refuses the row for one problem (worded by GET_CONFIG_PROBLEMS; the message names the integracao for the logs). */
function fail(integracao: Integracao, problem: GetConfigProblem, values: Record<string, string | number> = {}): never {
  throw getConfigError(problem, values, { where: `integracao #${integracao.id} (${integracao.nome})` });
}

/** Reads and checks the GET columns of an integracao row; GetConfigError names the first problem. */
export function parseGetSettings(integracao: Integracao): GetSettings {
  // Read as admission and the schedules read it (' get ' is a GET): runnability's one reading of the column.
  if (queueForTipo(integracao.tipo_servico) !== 'get') fail(integracao, 'TIPO_NOT_GET', { tipo: integracao.tipo_servico });
  const sqlConsulta = text(integracao.sql_consulta)?.replace(/;\s*$/, '') ?? null;
  if (!sqlConsulta) fail(integracao, 'SQL_CONSULTA_MISSING');
  // Two values for one CRM column: the driver keeps the later one, silently (the run's planColumns sees one name).
  const repeated = repeatedSelectedColumn(sqlConsulta);
  if (repeated) fail(integracao, 'COLUMN_TWICE', { primeira: repeated[0], segunda: repeated[1] });
  const cursorColumn = text(integracao.campo_cursor);
  if (cursorColumn !== null && !IDENTIFIER.test(cursorColumn)) fail(integracao, 'CURSOR_NOT_A_NAME', { cursor: cursorColumn });
  const mode = modeOf(integracao, cursorColumn);
  const keyColumns = getKeyColumns(integracao);
  if (keyColumns === null) fail(integracao, 'KEY_NOT_NAMES', { chave: integracao.chave ?? '' });
  const sqlInsert = text(integracao.sql_insert);
  const sqlUpdate = text(integracao.sql_update);
  const write = sqlInsert || sqlUpdate ? 'templates' : 'upsert';
  const table = text(integracao.tabela)?.toLowerCase() ?? null;
  if (write === 'upsert') {
    const allowed = GET_SYNC_TABLES.join(', ');
    if (table === null) fail(integracao, 'TABLE_MISSING', { permitidas: allowed });
    if (!(GET_SYNC_TABLES as readonly string[]).includes(table))
      fail(integracao, 'TABLE_NOT_ALLOWED', { tabela: integracao.tabela ?? '', permitidas: allowed });
  }
  const reconcileHours = integracao.reconciliacao_horas;
  const chunkSize = integracao.tamanho_lote ?? DEFAULT_CHUNK_SIZE;
  const invalid = invalidGetNumbers(integracao);
  if (invalid.includes('reconciliacao_horas')) fail(integracao, 'RECONCILE_HOURS_INVALID', { valor: String(reconcileHours) });
  if (reconcileHours !== null && write === 'templates') fail(integracao, 'RECONCILE_NEEDS_UPSERT');
  if (invalid.includes('tamanho_lote')) fail(integracao, 'CHUNK_SIZE_INVALID', { maximo: MAX_CHUNK_SIZE, valor: String(chunkSize) });
  return { mode, sqlConsulta, keyColumns, cursorColumn, write, table, sqlInsert, sqlUpdate, reconcileHours, chunkSize };
}

/**
 * The CRM key columns of a GET row (chave, lower case; id_erp when empty), or null when one is no column name. The run
 * (parseGetSettings) and the configuration lint read the same rule.
 */
export function getKeyColumns(integracao: Pick<Integracao, 'chave'>): string[] | null {
  const keyColumns = (text(integracao.chave) ?? 'id_erp').split(',').map((part) => part.trim().toLowerCase());
  return keyColumns.every((key) => IDENTIFIER.test(key)) ? keyColumns : null;
}

/**
 * The numeric columns of a GET row out of range: reconciliacao_horas (hours ≥ 0, or NULL: never) and tamanho_lote
 * (1 to MAX_CHUNK_SIZE rows, or NULL: the default). The run (getSettings) and the configuration lint read the same rule.
 */
export function invalidGetNumbers(
  integracao: Pick<Integracao, 'reconciliacao_horas' | 'tamanho_lote'>,
): Array<'reconciliacao_horas' | 'tamanho_lote'> {
  const invalid: Array<'reconciliacao_horas' | 'tamanho_lote'> = [];
  const hours = integracao.reconciliacao_horas;
  if (hours !== null && !(hours >= 0)) invalid.push('reconciliacao_horas');
  const chunk = integracao.tamanho_lote;
  if (chunk !== null && (!Number.isInteger(chunk) || chunk < 1 || chunk > MAX_CHUNK_SIZE)) invalid.push('tamanho_lote');
  return invalid;
}

/**
 * The mode a run of this GET integration takes by its configuration (as parseGetSettings decides it, without its
 * checks): modo, or incremental when only campo_cursor is set. For showing a run that left no history row.
 */
export function configuredGetMode(integracao: Pick<Integracao, 'modo' | 'campo_cursor'>): GetMode {
  const modo = text(integracao.modo)?.toLowerCase() ?? null;
  if (modo === null) return text(integracao.campo_cursor) ? 'incremental' : 'full';
  return modo === 'incremental' ? 'incremental' : 'full';
}

/**
 * What is wrong with a GET's mode settings, if anything: an unknown modo, or incremental without its cursor column.
 * The run (modeOf) and the configuration lint read the same rule.
 */
export function invalidGetMode(integracao: Pick<Integracao, 'modo'>, cursorColumn: string | null): 'modo' | 'campo_cursor' | null {
  const modo = text(integracao.modo)?.toLowerCase() ?? null;
  if (modo !== null && modo !== 'completo' && modo !== 'full' && modo !== 'incremental') return 'modo';
  if (modo === 'incremental' && !cursorColumn) return 'campo_cursor';
  return null;
}

/** configuredGetMode, checked: an unknown modo, or incremental without its cursor column, fails the run. */
function modeOf(integracao: Integracao, cursorColumn: string | null): GetMode {
  const invalid = invalidGetMode(integracao, cursorColumn);
  if (invalid === 'modo') fail(integracao, 'MODE_UNKNOWN', { modo: integracao.modo ?? '' });
  if (invalid === 'campo_cursor') fail(integracao, 'CURSOR_MISSING');
  return configuredGetMode(integracao);
}

/**
 * Whether a GET can read its source through a connection of this kind (the connections file's `tipo`): a GET runs
 * sql_consulta, so only a database; a web service or a JSON API has no SQL to run. The run (the source readers) and
 * the configuration lint read the same rule.
 */
export function isGetSource<C extends { kind: ConnectionKind }>(connection: C): connection is Extract<C, { kind: 'database' }> {
  return connection.kind === 'database';
}
