import type { DialectName } from '@integrador/store';
import type { ColumnClass } from './crm-table';

const pad = (n: number) => String(n).padStart(2, '0');

/** A Date as the calendar day it stands for (drivers read DATE columns as local midnight). */
function localDay(date: Date): string {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** A source value as text (PostgreSQL's staged arrays, SQLite's TEXT columns), or null. */
export function asText(value: unknown, kind: ColumnClass): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return kind === 'date' ? localDay(value) : value.toISOString();
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/**
 * A source value for a bound parameter of MySQL or SQLite: text columns get text (a number bound into SQLite's
 * TEXT column would read back as "501.0"), SQLite integers go as BigInt, dates as ISO text on SQLite.
 */
export function asParameter(value: unknown, kind: ColumnClass, dialect: DialectName): unknown {
  if (value === null || value === undefined) return null;
  if (kind === 'text') return asText(value, kind);
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (dialect === 'sqlite') {
    if (value instanceof Date) return asText(value, kind);
    if (kind === 'integer' && typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
    if (typeof value === 'object' && !Buffer.isBuffer(value)) return JSON.stringify(value);
  }
  return value;
}
