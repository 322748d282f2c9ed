import type { DialectName } from '@integrador/store';
import { dateParts } from '../date-text';
import type { ColumnClass } from './crm-table';

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** The CRM's zone: its zone-less date/times are Brasília wall clocks (seed 003; the webhook payloads read them so). */
export const CRM_TIME_ZONE = 'America/Sao_Paulo';

/**
 * A source's instant as the CRM's wall clock, `YYYY-MM-DD HH:MM:SS` (`.mmm` when it has milliseconds): what a
 * zone-less CRM column (PostgreSQL `timestamp`, MySQL DATETIME, SQLite text) must hold for the CRM's screens to show
 * the time the ERP meant (the readers turn the ERP's own zone-less values into instants in the worker's zone).
 */
export function crmWallClock(date: Date): string {
  const p = dateParts(date, CRM_TIME_ZONE);
  const ms = date.getUTCMilliseconds();
  const text = `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}`;
  return ms === 0 ? text : `${text}.${pad(ms, 3)}`;
}

/**
 * A Date as the calendar day it stands for in a CRM `date` column. The drivers read an ERP DATE as midnight in the
 * worker's zone (`TZ`): such a value keeps that calendar day. Any other instant (a timestamptz, or a zone-less
 * timestamp the reader placed in `TZ`) takes its day in the CRM's zone, as datetime columns take its wall clock there
 * (crmWallClock): 2026-12-05 23:30 in Brasília is the 5th whatever the worker's zone. An instant falling exactly on the
 * worker's midnight is read as a DATE (with `TZ=America/Sao_Paulo`, the documented setting, both readings agree).
 */
function crmDay(date: Date): string {
  const midnight = date.getHours() === 0 && date.getMinutes() === 0 && date.getSeconds() === 0 && date.getMilliseconds() === 0;
  const p = midnight ? dateParts(date) : dateParts(date, CRM_TIME_ZONE);
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}`;
}

/** A source value as text (PostgreSQL's staged arrays, SQLite's TEXT columns), or null. */
export function asText(value: unknown, kind: ColumnClass): string | null {
  if (value === null || value === undefined) return null;
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
