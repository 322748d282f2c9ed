import { pgWallClock } from '@integrador/store';
import { dateParts } from './date-text';

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** The CRM's zone: its zone-less date/times are Brasília wall clocks (seed 003; the webhook payloads read them so). */
export const CRM_TIME_ZONE = 'America/Sao_Paulo';

/**
 * An instant as the CRM's wall clock, `YYYY-MM-DD HH:MM:SS` (`.mmm` when it has milliseconds): what a zone-less CRM
 * column (PostgreSQL `timestamp`, MySQL DATETIME, SQLite text) must hold for the CRM's screens to show the time the ERP
 * meant (the readers turn the ERP's own zone-less values into instants in the worker's zone).
 */
export function crmWallClock(date: Date, separator: ' ' | 'T' = ' '): string {
  const p = dateParts(date, CRM_TIME_ZONE);
  const ms = date.getUTCMilliseconds();
  const text = `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}${separator}${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}`;
  return ms === 0 ? text : `${text}.${pad(ms, 3)}`;
}

/** Whether a Date is exactly midnight in the worker's zone: how the drivers read a DATE column (no time of day). */
function isDriverDate(date: Date): boolean {
  return date.getHours() === 0 && date.getMinutes() === 0 && date.getSeconds() === 0 && date.getMilliseconds() === 0;
}

/**
 * A Date as the calendar day it stands for in a CRM `date` column. The drivers read a DATE as midnight in the
 * worker's zone (`TZ`): such a value keeps that calendar day. Any other instant (a timestamptz, or a zone-less
 * timestamp the reader placed in `TZ`) takes its day in the CRM's zone, as datetime columns take its wall clock there
 * (crmWallClock): 2026-12-05 23:30 in Brasília is the 5th whatever the worker's zone. An instant falling exactly on the
 * worker's midnight is read as a DATE (with `TZ=America/Sao_Paulo`, the documented setting, both readings agree).
 */
export function crmDay(date: Date): string {
  const p = isDriverDate(date) ? dateParts(date) : dateParts(date, CRM_TIME_ZONE);
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}`;
}

/** The CRM zone's offset from UTC at an instant, in minutes (Brasília: -180). */
function crmOffsetMinutes(instant: number): number {
  const p = dateParts(new Date(instant), CRM_TIME_ZONE);
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return Math.round((wall - Math.floor(instant / 1000) * 1000) / 60000);
}

function offsetText(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/**
 * A CRM date/time value as a SOAP or REST/JSON request carries it (whole or inside text), decided by the column it was
 * read from, never by the value: a `date` column is its day as written, `2020-02-29` (xsd:date); any other date/time
 * is an instant with its offset, `2020-03-01T00:30:00-03:00` (xsd:dateTime): the Brasília wall clock the CRM shows,
 * which a receiver in any zone reads as the same instant. A zone-less column (PostgreSQL `timestamp`, MySQL DATETIME)
 * is the wall clock as written, placed in Brasília. A regra `data` formats it otherwise.
 */
export function crmDateText(date: Date): string {
  if (Number.isNaN(date.getTime())) return '';
  // The CRM's handles note the text of each zone-less value they read (pgWallClock): a `date` column's is the day.
  const written = pgWallClock(date);
  if (written?.length === 10) return written;
  const ms = date.getUTCMilliseconds();
  if (written !== undefined) {
    const asUtc = Date.parse(`${written.replace(' ', 'T')}Z`);
    const offset = crmOffsetMinutes(asUtc - crmOffsetMinutes(asUtc) * 60000);
    return `${written.replace(' ', 'T')}${ms === 0 ? '' : `.${pad(ms, 3)}`}${offsetText(offset)}`;
  }
  return `${crmWallClock(date, 'T')}${offsetText(crmOffsetMinutes(date.getTime()))}`;
}

/**
 * A request body with every Date leaf written by crmDateText. node-soap writes a Date (an object without own keys) as
 * an empty element, and JSON as a UTC instant: neither is the day or time the CRM holds. A database receptor is given
 * the Dates themselves (its driver binds them as instants). Lists and plain objects are
 * copied, other values kept.
 */
export function withCrmDatesAsText<T>(value: T): T {
  if (value instanceof Date) return crmDateText(value) as T;
  if (Array.isArray(value)) return value.map((item) => withCrmDatesAsText(item)) as T;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) copy[key] = withCrmDatesAsText(item);
    return copy as T;
  }
  return value;
}
