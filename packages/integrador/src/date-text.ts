/** A calendar date and wall-clock time, without a time zone. */
export interface DateParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const BRAZILIAN = /^(\d{2})\/(\d{2})\/(\d{4})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/;

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Whether Intl knows the IANA time zone name (e.g. America/Sao_Paulo). */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock parts of an instant in a time zone, or in the process's local time when none is given. */
export function dateParts(date: Date, timeZone?: string): DateParts {
  if (timeZone === undefined)
    return {
      year: date.getFullYear(),
      month: date.getMonth() + 1,
      day: date.getDate(),
      hour: date.getHours(),
      minute: date.getMinutes(),
      second: date.getSeconds(),
    };
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    const two = '2-digit';
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: two,
      day: two,
      hour: two,
      minute: two,
      second: two,
    });
    formatters.set(timeZone, formatter);
  }
  const found = formatter.formatToParts(date);
  const part = (type: Intl.DateTimeFormatPartTypes) => Number(found.find((p) => p.type === type)?.value ?? 0);
  return { year: part('year'), month: part('month'), day: part('day'), hour: part('hour'), minute: part('minute'), second: part('second') };
}

function valid(parts: DateParts): boolean {
  const days = new Date(Date.UTC(parts.year, parts.month, 0)).getUTCDate();
  return (
    parts.month >= 1 &&
    parts.month <= 12 &&
    parts.day >= 1 &&
    parts.day <= days &&
    parts.hour <= 23 &&
    parts.minute <= 59 &&
    parts.second <= 59
  );
}

/** Minutes east of UTC of an ISO offset (`Z`, `-03:00`, `-0300`, `-03`). */
function offsetMinutes(offset: string): number {
  if (offset.toUpperCase() === 'Z') return 0;
  const sign = offset.startsWith('-') ? -1 : 1;
  const digits = offset.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0));
}

/**
 * Reads a Date or a date text: ISO 8601 (`2024-03-05`, `2024-03-05T10:20:30Z`), SQL (`2024-03-05 10:20:30`) or
 * Brazilian (`05/03/2024 10:20`). Text without an offset is taken as written; a Date, or text with an offset, is
 * read in `timeZone` (process local time when absent). Null when it is not a valid date.
 */
export function readDate(value: unknown, timeZone?: string): DateParts | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : dateParts(value, timeZone);
  if (typeof value !== 'string') return null;
  const text = value.trim();
  const iso = ISO.exec(text);
  const br = iso ? null : BRAZILIAN.exec(text);
  const match = iso ?? br;
  if (!match) return null;
  const [year, month, day] = iso ? [iso[1], iso[2], iso[3]] : [match[3], match[2], match[1]];
  const parts: DateParts = {
    year: Number(year),
    month: Number(month),
    day: Number(day),
    hour: Number(match[4] ?? 0),
    minute: Number(match[5] ?? 0),
    second: Number(match[6] ?? 0),
  };
  if (!valid(parts)) return null;
  const offset = iso?.[7];
  if (offset === undefined) return parts;
  const instant = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second) - offsetMinutes(offset) * 60_000;
  return dateParts(new Date(instant), timeZone);
}

/**
 * The instant whose wall clock in `timeZone` reads `parts` (e.g. 2026-12-05 09:49:52 in America/Sao_Paulo →
 * 12:49:52Z): what an operator types without a zone, read in the zone the hub shows times in. In a DST gap the
 * hour after; in an overlap the first.
 */
export function zonedInstant(parts: DateParts, timeZone: string): Date {
  const wallOf = (p: DateParts) => Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  const wall = wallOf(parts);
  let instant = wall;
  // Two corrections: the zone's offset at the first guess, then at the result (they differ only across a change).
  for (let i = 0; i < 2; i++) instant += wall - wallOf(dateParts(new Date(instant), timeZone));
  return new Date(instant);
}

const pad = (value: number, width: number) => String(value).padStart(width, '0');

/** Writes date parts with the tokens yyyy MM dd HH mm ss; every other character is kept as is. */
export function formatDate(parts: DateParts, format: string): string {
  const tokens: Record<string, string> = {
    yyyy: pad(parts.year, 4),
    MM: pad(parts.month, 2),
    dd: pad(parts.day, 2),
    HH: pad(parts.hour, 2),
    mm: pad(parts.minute, 2),
    ss: pad(parts.second, 2),
  };
  return format.replace(/yyyy|MM|dd|HH|mm|ss/g, (token) => tokens[token] ?? token);
}
