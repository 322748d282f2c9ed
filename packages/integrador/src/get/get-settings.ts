import { GET_SYNC_TABLES, type Integracao } from '@integrador/store';
import { GetConfigError } from './get-errors';

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

function fail(integracao: Integracao, column: string, message: string): never {
  throw new GetConfigError('GET_CONFIG', `integracao #${integracao.id} (${integracao.nome}) ${column}: ${message}`);
}

/** Reads and checks the GET columns of an integracao row; GetConfigError names the first problem. */
export function parseGetSettings(integracao: Integracao): GetSettings {
  if (integracao.tipo_servico !== 'GET') fail(integracao, 'tipo_servico', `expected GET, found ${integracao.tipo_servico}`);
  const sqlConsulta = text(integracao.sql_consulta)?.replace(/;\s*$/, '') ?? null;
  if (!sqlConsulta) fail(integracao, 'sql_consulta', 'expected the SELECT that reads the source, found nothing');
  const cursorColumn = text(integracao.campo_cursor);
  if (cursorColumn !== null && !IDENTIFIER.test(cursorColumn))
    fail(integracao, 'campo_cursor', `expected a column name (letters, digits, _), found "${cursorColumn}"`);
  const mode = modeOf(integracao, cursorColumn);
  const keyColumns = (text(integracao.chave) ?? 'id_erp').split(',').map((part) => part.trim().toLowerCase());
  for (const key of keyColumns)
    if (!IDENTIFIER.test(key)) fail(integracao, 'chave', `expected CRM column names separated by commas, found "${integracao.chave}"`);
  const sqlInsert = text(integracao.sql_insert);
  const sqlUpdate = text(integracao.sql_update);
  const write = sqlInsert || sqlUpdate ? 'templates' : 'upsert';
  const table = text(integracao.tabela)?.toLowerCase() ?? null;
  if (write === 'upsert') {
    const allowed = GET_SYNC_TABLES.join(', ');
    if (table === null) fail(integracao, 'tabela', `expected the CRM table to upsert into (one of ${allowed}) or sql_insert/sql_update`);
    if (!(GET_SYNC_TABLES as readonly string[]).includes(table))
      fail(integracao, 'tabela', `"${integracao.tabela}" is not a CRM table a GET may write (expected one of ${allowed})`);
  }
  const reconcileHours = integracao.reconciliacao_horas;
  const chunkSize = integracao.tamanho_lote ?? DEFAULT_CHUNK_SIZE;
  const invalid = invalidGetNumbers(integracao);
  if (invalid.includes('reconciliacao_horas'))
    fail(integracao, 'reconciliacao_horas', `expected hours ≥ 0 or NULL, found ${reconcileHours}`);
  if (reconcileHours !== null && write === 'templates')
    fail(integracao, 'reconciliacao_horas', 'a reconcile needs the built-in upsert into tabela (without sql_insert/sql_update)');
  if (invalid.includes('tamanho_lote'))
    fail(integracao, 'tamanho_lote', `expected rows per chunk from 1 to ${MAX_CHUNK_SIZE}, found ${chunkSize}`);
  return { mode, sqlConsulta, keyColumns, cursorColumn, write, table, sqlInsert, sqlUpdate, reconcileHours, chunkSize };
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
  if (invalid === 'modo') fail(integracao, 'modo', `expected completo or incremental, found "${integracao.modo}"`);
  if (invalid === 'campo_cursor') fail(integracao, 'campo_cursor', 'modo incremental needs the cursor column (e.g. DATALT)');
  return configuredGetMode(integracao);
}
