import type { DialectName } from '@integrador/store';
// The CRM's date rules (its zone, its wall clock, a DATE's day) are one module's, shared with the SET side.
import { crmDay, crmWallClock } from '../crm-dates';
import type { ColumnClass } from './crm-table';

/**
 * A source date no calendar has (an Invalid Date: a reader's value for `2021-02-30`). The row's value, not the CRM
 * database: SQLSTATE 22007 (invalid datetime format) makes it a row fault like the database's own (isStatementError),
 * so the pull fails at once as GET_WRITE_FAILED naming the ERP key, instead of retrying as a lost CRM connection.
 */
export class InvalidSourceDateError extends Error {
  override name = 'InvalidSourceDateError';
  readonly code = '22007';
  constructor() {
    super('the source row has a date that does not exist (an invalid or zero date): correct it at the source');
  }
}

/**
 * A text longer than its CRM column declares, on SQLite, which keeps any length whatever the declaration: refused as
 * PostgreSQL and MySQL refuse it (SQLSTATE 22001, string data right truncation: a row fault, GET_WRITE_FAILED naming the
 * ERP key), never cut.
 */
export class TextTooLongError extends Error {
  override name = 'TextTooLongError';
  readonly code = '22001';
  constructor(column: string, maxLength: number, length: number) {
    super(`value too long for column ${column} (varchar(${maxLength})): ${length} characters`);
  }
}

/** Throws TextTooLongError for a text over the column's declared length (SQLite, which does not check it). */
export function assertFitsColumn(value: unknown, column: { name: string; maxLength?: number }): void {
  if (typeof value !== 'string' || column.maxLength === undefined || value.length <= column.maxLength) return;
  // Characters as the databases count them (code points), not UTF-16 units.
  const length = [...value].length;
  if (length > column.maxLength) throw new TextTooLongError(column.name, column.maxLength, length);
}

function assertValidDate(value: unknown): void {
  if (value instanceof Date && Number.isNaN(value.getTime())) throw new InvalidSourceDateError();
}

/** A source value as text (PostgreSQL's staged arrays, SQLite's TEXT columns), or null. */
export function asText(value: unknown, kind: ColumnClass): string | null {
  if (value === null || value === undefined) return null;
  assertValidDate(value);
  if (value instanceof Date) return kind === 'date' ? crmDay(value) : kind === 'datetime' ? crmWallClock(value) : value.toISOString();
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/**
 * A source value for a bound parameter of MySQL or SQLite: text columns get text (a number bound into SQLite's
 * TEXT column would read back as "501.0"), SQLite integers go as BigInt. A date/time goes into a zone-less column as
 * the CRM's wall clock — on SQLite every column is (its dates are text), on MySQL a DATETIME (a Date would be bound
 * as UTC); a TIMESTAMP gets the Date (an instant: the session's zone is UTC like the pool's).
 */
export function asParameter(value: unknown, kind: ColumnClass, dialect: DialectName): unknown {
  if (value === null || value === undefined) return null;
  assertValidDate(value);
  if (value instanceof Date && kind === 'date') return crmDay(value);
  if (value instanceof Date && (dialect === 'sqlite' || kind === 'datetime')) return crmWallClock(value);
  if (kind === 'text') return asText(value, kind);
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (dialect === 'sqlite') {
    if (value instanceof Date) return asText(value, kind);
    if (kind === 'integer' && typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
    if (typeof value === 'object' && !Buffer.isBuffer(value)) return JSON.stringify(value);
  }
  return value;
}
