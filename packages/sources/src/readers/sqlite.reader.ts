import Database from 'better-sqlite3';
import { assertChunkSize } from '../chunks';
import type { SourceQuery, SourceReader, SourceRow, StreamOptions } from '../source-reader';
import type { SourceTarget } from '../source-target';

// Raw better-sqlite3: Kysely's SqliteDialect streams only its own SELECT nodes and refuses raw SQL.
// SQLite has no date type: a column declared DATE, DATETIME or TIMESTAMP whose value is ISO text becomes a Date.
// Text without a zone is read as UTC and a bound Date is written 'YYYY-MM-DD HH:MM:SS[.sss]' in UTC: the format and
// zone of SQLite's own CURRENT_TIMESTAMP and datetime(), so `DATALT >= ?` compares like with like.

type Column = { name: string; type: string | null };
const DATE_TYPE = /^(DATE|DATETIME|TIMESTAMP)\b/i;
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/;

/** ISO text as a Date: UTC without a zone (SQLite's convention), else at its own offset; undefined when not a date. */
export function parseSqliteDate(text: string): Date | undefined {
  const match = ISO.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '0', zone] = match;
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number(frac.padEnd(3, '0').slice(0, 3)));
  if (!zone || zone === 'Z') return new Date(utc);
  const offset = /([+-])(\d{2}):?(\d{2})/.exec(zone);
  const minutes = offset ? (offset[1] === '-' ? -1 : 1) * (Number(offset[2]) * 60 + Number(offset[3])) : 0;
  return new Date(utc - minutes * 60_000);
}

/** A Date as SQLite writes one: 'YYYY-MM-DD HH:MM:SS' in UTC, with .sss only when there are milliseconds. */
export function formatSqliteDate(date: Date): string {
  const iso = date.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, date.getUTCMilliseconds() === 0 ? 19 : 23)}`;
}

function fromSqlite(value: unknown, dateColumn: boolean): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (dateColumn && typeof value === 'string') return parseSqliteDate(value) ?? value;
  return value;
}

/** Values the driver can bind: integers as INTEGER (not REAL), dates as SQLite's UTC text, booleans as 0/1. */
function toSqlite(value: unknown): unknown {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (value instanceof Date) return formatSqliteDate(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value === undefined ? null : value;
}

function rowReader(columns: readonly Column[]): (raw: Record<string, unknown>) => SourceRow {
  const dates = new Set(columns.filter((column) => column.type !== null && DATE_TYPE.test(column.type)).map((column) => column.name));
  return (raw) => {
    const row: SourceRow = {};
    for (const key of Object.keys(raw)) row[key] = fromSqlite(raw[key], dates.has(key));
    return row;
  };
}

function prepare(db: Database.Database, query: SourceQuery) {
  const statement = db.prepare(query.sql);
  if (!statement.reader) throw new Error('a source query must return rows (SELECT or WITH … SELECT)');
  statement.safeIntegers(true);
  return { statement, convert: rowReader(statement.columns()), parameters: query.parameters.map(toSqlite) };
}

/** Streams from its own read-only handle, so a lookup on the reader's handle is never "busy". */
function* streamFile(file: string, query: SourceQuery, { chunkSize, signal }: StreamOptions): Generator<SourceRow[]> {
  assertChunkSize(chunkSize);
  signal?.throwIfAborted();
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const { statement, convert, parameters } = prepare(db, query);
    let chunk: SourceRow[] = [];
    for (const raw of statement.iterate(...parameters) as IterableIterator<Record<string, unknown>>) {
      chunk.push(convert(raw));
      if (chunk.length < chunkSize) continue;
      yield chunk;
      chunk = [];
      signal?.throwIfAborted();
    }
    if (chunk.length > 0) yield chunk;
  } finally {
    db.close();
  }
}

/** A SQLite file, opened read-only (it must exist): integers as numbers while exact, else strings. */
export function openSqliteReader(target: SourceTarget): SourceReader {
  const file = target.database;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  return {
    driver: 'sqlite',
    async *stream(query, options) {
      yield* streamFile(file, query, options);
    },
    async query(query) {
      const { statement, convert, parameters } = prepare(db, query);
      return (statement.all(...parameters) as Record<string, unknown>[]).map(convert);
    },
    async close() {
      if (db.open) db.close();
    },
  };
}
