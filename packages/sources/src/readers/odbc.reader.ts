import { abortReason, assertChunkSize } from '../chunks';
import type { SourceReaderOptions } from '../reader-options';
import { withDefaults } from '../reader-options';
import type { SourceQuery, SourceReader, SourceRow, StreamOptions } from '../source-reader';
import type { SourceTarget } from '../source-target';
import type { OdbcConnection, OdbcCursor, OdbcModule, OdbcResult } from './odbc-api';

// IBM's node-odbc over unixODBC: DB2, c-tree, Caché… through the vendor's ODBC driver named in odbcinst.ini.
// One connection per stream (a cursor holds its statement until closed) and one shared connection for lookups,
// each opened on first use: the backend's cost of a login is unknown, so nothing is opened ahead.

// SQL type codes of the ODBC standard (sql.h) whose values node-odbc hands over as text or BigInt.
const SQL_TYPE_DATE = 91;
const SQL_TYPE_TIMESTAMP = 93;
const SQL_DATE = 9;
const SQL_TIMESTAMP = 11;

/** The values of `PWD=` in a connection string, to take out of any message (a driver may echo its attributes). */
export function odbcSecrets(connectionString: string | undefined): string[] {
  if (!connectionString) return [];
  const secrets = [...connectionString.matchAll(/(?:^|;)\s*(?:PWD|PASSWORD)\s*=\s*(\{(?:[^}]|\}\})*\}|[^;]*)/gi)].map((match) =>
    (match[1] ?? '').replace(/^\{|\}$/g, '').replace(/\}\}/g, '}'),
  );
  return [connectionString, ...secrets];
}

/**
 * node-odbc's own message is only "[odbc] Error executing the sql statement": the driver's records (SQLSTATE and text)
 * are appended so the database's own words reach the run's error; `odbcErrors` stays for classifySourceError.
 */
export function withDriverMessage(error: unknown): unknown {
  const records = (error as { odbcErrors?: unknown }).odbcErrors;
  // Duck-typed: the native addon's errors are not `instanceof Error` of a Jest realm.
  if (typeof error !== 'object' || error === null || !Array.isArray(records) || records.length === 0) return error;
  const details = records.map(
    (record: { state?: unknown; message?: unknown }) => `[${String(record.state)}] ${String(record.message).trim()}`,
  );
  const own = (error as { message?: unknown }).message;
  (error as { message: string }).message = `${typeof own === 'string' ? own : '[odbc]'}: ${details.join('; ')}`;
  return error;
}

/** Runs a node-odbc call, rethrowing its error with the driver's own message. */
async function odbcCall<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw withDriverMessage(error);
  }
}

let odbcModule: OdbcModule | undefined;

/**
 * node-odbc is an optional native dependency (it builds only where unixODBC's headers are installed): it is loaded on
 * first use, so every other driver works without it, and a missing build says how to get it.
 */
function loadOdbc(): OdbcModule {
  if (odbcModule) return odbcModule;
  try {
    odbcModule = require('odbc') as OdbcModule;
    return odbcModule;
  } catch (err) {
    throw new Error(
      'the odbc driver needs the optional package "odbc", which builds only with unixODBC installed (Debian: apt-get install unixodbc-dev, then npm ci)',
      { cause: err },
    );
  }
}

/** Opens one connection (the whole connection string is secret: never log it). */
export function connectOdbc(target: SourceTarget, connectTimeoutMs: number): Promise<OdbcConnection> {
  const seconds = Math.max(1, Math.ceil(connectTimeoutMs / 1000));
  return odbcCall(() =>
    loadOdbc().connect({ connectionString: target.connectionString ?? '', connectionTimeout: seconds, loginTimeout: seconds }),
  );
}

const pad = (n: number, size = 2) => String(n).padStart(size, '0');

/** A Date as ODBC's `YYYY-MM-DD HH:MM:SS.fff` in local time (the time zone the ERP's TIMESTAMP columns are read in). */
export function formatOdbcTimestamp(date: Date): string {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** node-odbc binds numbers, strings and null only: dates become timestamps, BigInt and booleans numbers' text. */
export function odbcParameter(value: unknown): number | string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return formatOdbcTimestamp(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number' || typeof value === 'string') return value;
  return String(value);
}

/** `YYYY-MM-DD[ HH:MM:SS[.fff…]]` as a local Date (the text node-odbc gives for DATE and TIMESTAMP); other text unchanged. */
function parseOdbcDate(text: string): Date | string {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?)?$/.exec(text);
  if (!match) return text;
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '0'] = match;
  return new Date(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number(fraction.padEnd(3, '0').slice(0, 3)));
}

/** BIGINT as a number while exact, else exact text; DATE/TIMESTAMP text as Date; the rest as node-odbc gives it. */
function convertRows(result: OdbcResult<SourceRow>): SourceRow[] {
  const dateColumns = result.columns
    .filter((column) => [SQL_TYPE_DATE, SQL_TYPE_TIMESTAMP, SQL_DATE, SQL_TIMESTAMP].includes(column.dataType))
    .map((column) => column.name);
  const rows: SourceRow[] = [];
  for (const row of result) {
    for (const [name, value] of Object.entries(row)) {
      if (typeof value === 'bigint') row[name] = Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
    }
    for (const name of dateColumns) {
      const value = row[name];
      if (typeof value === 'string') row[name] = parseOdbcDate(value);
    }
    rows.push(row);
  }
  return rows;
}

const parametersOf = (query: SourceQuery) => query.parameters.map(odbcParameter) as (number | string)[];

async function* streamRows(
  open: () => Promise<OdbcConnection>,
  query: SourceQuery,
  { chunkSize, signal }: StreamOptions,
): AsyncGenerator<SourceRow[]> {
  assertChunkSize(chunkSize);
  signal?.throwIfAborted();
  const connection = await open();
  let cursor: OdbcCursor | undefined;
  try {
    cursor = await odbcCall(() =>
      connection.query<SourceRow>(query.sql, parametersOf(query), {
        cursor: true,
        fetchSize: chunkSize,
      }),
    );
    // An abort is seen between fetches: closing a statement while node-odbc's worker thread fetches on it is unsafe.
    while (!cursor.noData) {
      if (signal?.aborted) throw abortReason(signal);
      const open = cursor;
      const chunk = convertRows(await odbcCall(() => open.fetch<SourceRow>()));
      if (signal?.aborted) throw abortReason(signal);
      if (chunk.length > 0) yield chunk;
    }
  } finally {
    await cursor?.close().catch(() => {});
    await connection.close().catch(() => {});
  }
}

/** An ODBC source (`driver: odbc`): the connection string or DSN names the vendor's driver; `?` placeholders. */
export function openOdbcReader(target: SourceTarget, options?: SourceReaderOptions): SourceReader {
  const { connectTimeoutMs } = withDefaults(options);
  let closed = false;
  let lookup: Promise<OdbcConnection> | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  const open = () => (closed ? Promise.reject(new Error('the ODBC reader is closed')) : connectOdbc(target, connectTimeoutMs));
  const lookupConnection = () => {
    lookup ??= open();
    // A failed login is not kept: the next lookup tries again.
    lookup.catch(() => {
      lookup = undefined;
    });
    return lookup;
  };
  let closing: Promise<void> | undefined;
  return {
    driver: 'odbc',
    stream: (query, streamOptions) => streamRows(open, query, streamOptions),
    query(query) {
      // One statement at a time on the shared connection.
      const run = queue.then(async () => {
        const connection = await lookupConnection();
        return convertRows(await odbcCall(() => connection.query<SourceRow>(query.sql, parametersOf(query))));
      });
      queue = run.catch(() => {});
      return run;
    },
    close() {
      closed = true;
      closing ??= queue.then(async () => {
        const connection = await lookup?.catch(() => undefined);
        await connection?.close().catch(() => {});
      });
      return closing;
    },
  };
}
