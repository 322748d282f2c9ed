import { createHash } from 'node:crypto';
import type { SourceRow } from '@integrador/sources';
import type { CrmTable } from './crm-table';
import { getConfigError } from './get-config-messages';
import type { GetSettings } from './get-settings';

/** Columns the engine writes itself; a sql_consulta may not set them. */
export const ENGINE_COLUMNS = [
  'id',
  'empresa_id',
  'empresa_filial_id',
  'origem_integracao_id',
  'origem_geracao',
  'removido_origem_em',
  'atualizado_em',
];

/** How the source's columns land in the CRM, decided from the first row (Oracle/Firebird upper-case names: matched case-insensitively). */
export interface ColumnPlan {
  /** Source column → CRM column (lower case), in the source's order. */
  pairs: { source: string; target: string }[];
  /** Source columns of the key, in the order of settings.keyColumns. */
  keySources: string[];
  cursorSource: string | null;
  /** For each key column, its index in `pairs` (written as the trimmed key text). */
  keyIndexes: number[];
}

/**
 * One source row ready to write: its key (text), cursor and the values in the plan's column order. The signature
 * (a hash of the row) is computed only for the rows that need one (`signatureOf`): those at the cursor's edge.
 */
export interface SyncRecord {
  key: string;
  /** The cursor column's value as read (null for none): made text (cursorOf) only for the rows that need it. */
  cursorValue: unknown;
  /** Values in the order of ColumnPlan.pairs; key columns hold the trimmed key text. */
  values: unknown[];
  /** The row as read (for sql_insert / sql_update #vars#, and the signature). */
  row: SourceRow;
}

const KEY_SEPARATOR = '\u001f';

/** Matches the first row's columns to the CRM table (or, for templates, just finds key and cursor). */
export function planColumns(settings: GetSettings, sourceColumns: readonly string[], table: CrmTable | null): ColumnPlan {
  const byLower = new Map<string, string>();
  for (const column of sourceColumns) {
    const lower = column.toLowerCase();
    if (byLower.has(lower)) throw getConfigError('COLUMN_TWICE', { primeira: byLower.get(lower) ?? '', segunda: column });
    byLower.set(lower, column);
  }
  const found = [...byLower.values()].join(', ');
  const cursorLower = settings.cursorColumn?.toLowerCase() ?? null;
  const cursorSource = cursorLower === null ? null : (byLower.get(cursorLower) ?? null);
  if (cursorLower !== null && cursorSource === null && settings.mode === 'incremental')
    throw getConfigError('CURSOR_NOT_SELECTED', { cursor: settings.cursorColumn ?? '', colunas: found });
  const pairs: ColumnPlan['pairs'] = [];
  for (const [lower, source] of byLower) {
    if (table === null) {
      pairs.push({ source, target: lower });
      continue;
    }
    if (lower === cursorLower && !table.columns.has(lower)) continue;
    if (ENGINE_COLUMNS.includes(lower)) throw getConfigError('ENGINE_COLUMN', { coluna: source, colunas: ENGINE_COLUMNS.join(', ') });
    if (!table.columns.has(lower)) {
      const known = [...table.columns.keys()].filter((c) => !ENGINE_COLUMNS.includes(c)).join(', ');
      throw getConfigError('UNKNOWN_COLUMN', { coluna: source, tabela: table.name, colunas: known });
    }
    pairs.push({ source, target: lower });
  }
  const keySources = settings.keyColumns.map((key) => {
    const source = byLower.get(key);
    if (source === undefined) throw getConfigError('KEY_NOT_SELECTED', { chave: key, colunas: found });
    return source;
  });
  const keyIndexes = settings.keyColumns.map((key) => pairs.findIndex((p) => p.target === key));
  return { pairs, keySources, cursorSource, keyIndexes };
}

function keyText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  const text = String(value).trim();
  return text === '' ? null : text;
}

/** A hash of the row's values (in the plan's order), stored with the keys at the cursor to skip unchanged re-reads. */
export function signatureOf(plan: ColumnPlan, record: SyncRecord): string {
  const ordered = plan.pairs.map(({ source }) => record.row[source] ?? null);
  const json = JSON.stringify(ordered, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  return createHash('sha1').update(json).digest('base64');
}

/** Maps one source row; null when its key is empty (it cannot be matched in the CRM). */
export function toRecord(plan: ColumnPlan, row: SourceRow): SyncRecord | null {
  const { keySources, pairs, keyIndexes } = plan;
  let key = '';
  const parts: string[] = [];
  for (let i = 0; i < keySources.length; i++) {
    const part = keyText(row[keySources[i] as string]);
    if (part === null) return null;
    key = i === 0 ? part : `${key}${KEY_SEPARATOR}${part}`;
    parts.push(part);
  }
  const values = new Array<unknown>(pairs.length);
  for (let i = 0; i < pairs.length; i++) values[i] = row[(pairs[i] as { source: string }).source] ?? null;
  for (let i = 0; i < keyIndexes.length; i++) {
    const index = keyIndexes[i] as number;
    if (index >= 0) values[index] = parts[i];
  }
  const cursorValue = plan.cursorSource === null ? null : (row[plan.cursorSource] ?? null);
  return { key, cursorValue, values, row };
}
