// Seed 004 writes ids as strings, dates as `YYYY-MM-DD hh:mm` (local time of the CRM: America/Sao_Paulo) and birth
// dates as `YYYY-MM-DD`, and `null` for anything not available. These helpers keep every payload to that form.
//
// The rule for the CRM's date/time columns: a value without a zone (SQLite's `YYYY-MM-DD HH:MM:SS` text, a PostgreSQL
// `timestamp without time zone`, a MySQL DATETIME; crm-wall-clock.ts hands the last two over as that text) is a
// wall-clock time of the CRM and is printed as it is; a value with a zone (a timestamptz or MySQL TIMESTAMP read as a
// Date, ISO text with `Z` or an offset) is an instant and is printed in the payload's zone, São Paulo's.

/** The zone an instant is printed in: seed 004's (the CRM's local time). */
export const PAYLOAD_TIME_ZONE = 'America/Sao_Paulo';

const LOCAL_TIME = new Intl.DateTimeFormat('en-CA', {
  timeZone: PAYLOAD_TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

type Stored = Date | string | number | null | undefined;

/** `YYYY-MM-DD`, optionally ` HH:MM[:SS[.fff]]` or `THH:MM…`, and nothing after: no `Z`, no offset. */
const ZONELESS = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?)?$/;

/** `YYYY-MM-DD hh:mm`: zone-less text as it is, an instant in São Paulo time; null when empty or not a date. */
export function dateTimeText(value: Stored): string | null {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value === 'string') {
    const wallClock = ZONELESS.exec(value.trim());
    if (wallClock) return `${wallClock[1]} ${wallClock[2] ?? '00'}:${wallClock[3] ?? '00'}`;
  }
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return null;
  const parts = Object.fromEntries(LOCAL_TIME.formatToParts(date).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

/** `YYYY-MM-DD` (a time or zone after it ignored), or the Brazilian `DD/MM/YYYY` a text column may hold. */
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:$|[ T])/;
const BR_DATE = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;

/** `YYYY-MM-DD` when year, month and day make a real date (no 2023-02-30), else null. */
function calendarDate(year: string, month: string, day: string): string | null {
  const date = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  const text = `${year}-${month.padStart(2, '0')}-${day.padStart(2, '0')}`;
  return date.toISOString().slice(0, 10) === text ? text : null;
}

/**
 * A calendar date (`date` column, or a birth date a text column holds) as `YYYY-MM-DD`, or null. It arrives as text
 * (crm-wall-clock.ts) or a UTC midnight; text is `YYYY-MM-DD` (a time after it is dropped) or `DD/MM/YYYY`, as a
 * Brazilian CRM may store it. Anything else (another form, an epoch number, an impossible day) is null: seed 004's
 * rule for a value that cannot have the field's type, where sending it as it is would break a receiver's parser.
 */
export function dateText(value: Stored): string | null {
  if (value === null || value === undefined || value === '') return null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString().slice(0, 10);
  if (typeof value !== 'string') return null;
  const text = value.trim();
  const iso = ISO_DATE.exec(text);
  if (iso) return calendarDate(iso[1] as string, iso[2] as string, iso[3] as string);
  const br = BR_DATE.exec(text);
  return br ? calendarDate(br[3] as string, br[2] as string, br[1] as string) : null;
}

/** An id as the seed writes it (a string), or null. */
export function idText(value: unknown): string | null {
  return value === null || value === undefined || value === '' ? null : String(value);
}

/** A JSON column parsed to an object, or null when empty or not an object. */
export function jsonObject(text: string | null | undefined): Record<string, unknown> | null {
  if (!text) return null;
  try {
    const value = JSON.parse(text) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** A field of the row's `dados` JSON under the seed's own name, or null. */
export function fromDados(dados: Record<string, unknown> | null, name: string): unknown {
  const value = dados?.[name];
  return value === undefined ? null : value;
}

/** A text column, or null when empty. */
export function text(value: unknown): string | null {
  return value === null || value === undefined || value === '' ? null : String(value);
}
