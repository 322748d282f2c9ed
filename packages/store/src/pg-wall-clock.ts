import type * as PgModule from 'pg';

// pg builds a Date from a zone-less value (`timestamp without time zone`, `date`) in the process's local zone: a
// wall clock that does not exist there (02:30 on a day its clocks jump from 02:00 to 03:00) comes back shifted, and
// nothing on the Date says it came from a zone-less column. The CRM's handles keep pg's Date (what the engine binds
// back stays as it was) and note beside it the text the server sent, which is the CRM's wall clock as written.

const TIMESTAMP_OID = 1114;
const DATE_OID = 1082;

/** The text each Date came from, for the Dates the CRM's pg parsers built from zone-less values. */
const wallClocks = new WeakMap<Date, string>();

const WALL_CLOCK = /^\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2}:\d{2})?/;

type Parse = (text: string) => unknown;

/**
 * pg's parser wrapped to note the text, one wrapper per parser and length (pg asks for a parser per field of every
 * result, and hands the same function for `timestamp` and `date`).
 */
const wrappers = { 19: new WeakMap<Parse, Parse>(), 10: new WeakMap<Parse, Parse>() };

function noting(parse: Parse, length: 19 | 10): Parse {
  const known = wrappers[length].get(parse);
  if (known) return known;
  const wrapper: Parse = (text) => {
    const value = parse(text);
    const written = WALL_CLOCK.exec(text)?.[0];
    if (value instanceof Date && written !== undefined && written.length === length) wallClocks.set(value, written);
    return value;
  };
  wrappers[length].set(parse, wrapper);
  return wrapper;
}

/**
 * The type parsers of a CRM pool: pg's own (read at each call, so a global setTypeParser still applies), the zone-less
 * ones noting their text (pgWallClock).
 */
export function crmTypeParsers(types: typeof PgModule.types): { getTypeParser: typeof PgModule.types.getTypeParser } {
  const getTypeParser = (oid: number, format?: 'text' | 'binary') => {
    const parse = types.getTypeParser(oid, format ?? 'text');
    if (format === 'binary') return parse;
    if (oid === TIMESTAMP_OID) return noting(parse as Parse, 19);
    if (oid === DATE_OID) return noting(parse as Parse, 10);
    return parse;
  };
  return { getTypeParser: getTypeParser as typeof PgModule.types.getTypeParser };
}

/**
 * Notes the text a MySQL/MariaDB CRM handle read a zone-less value from (DATE `YYYY-MM-DD`, DATETIME
 * `YYYY-MM-DD HH:MM:SS`): its pool reads them as UTC (`timezone: 'Z'`), so the Date's UTC fields are that text.
 */
export function noteMysqlWallClock(value: unknown, type: string): unknown {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) return value;
  const iso = value.toISOString();
  if (type === 'DATE' || type === 'NEWDATE') wallClocks.set(value, iso.slice(0, 10));
  else if (type === 'DATETIME') wallClocks.set(value, iso.slice(0, 19).replace('T', ' '));
  return value;
}

/**
 * The wall clock a Date read from a CRM's zone-less column stands for, as the server sent it — PostgreSQL `timestamp
 * without time zone` / MySQL DATETIME (`YYYY-MM-DD HH:MM:SS`) or `date` (`YYYY-MM-DD`); undefined for any other value
 * (timestamptz and MySQL TIMESTAMP give instants). What tells a `date` column from a date-time one, whatever the value.
 */
export function pgWallClock(value: unknown): string | undefined {
  return value instanceof Date ? wallClocks.get(value) : undefined;
}
