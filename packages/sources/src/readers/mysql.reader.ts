import type { Readable } from 'node:stream';
import { guardedMysqlStream } from '@integrador/connections';
import mysql, { type Pool, type PoolConnection, type PoolOptions } from 'mysql2';
import { abortReason, assertChunkSize, chunkRows } from '../chunks';
import type { SourceReaderOptions } from '../reader-options';
import { withDefaults } from '../reader-options';
import type { SourceQuery, SourceReader, SourceRow, StreamOptions } from '../source-reader';
import type { SourceTarget } from '../source-target';

// Raw mysql2 rather than Kysely's MysqlDialect: the MySQL protocol cannot stop a result half-way, and Kysely's stream,
// left early, hands the connection back to the pool while the server is still sending the rest. Here a stream left
// early destroys its connection, and an abort also sends KILL QUERY so the server stops working on it.

const DATE_TYPES = new Set(['DATE', 'NEWDATE', 'DATETIME', 'TIMESTAMP']);
const DATE_TEXT = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?)?$/;

/**
 * A DATE/DATETIME/TIMESTAMP as the server wrote it, read as mysql2 reads it (a Date in `timezone`: 'local', 'Z' or an
 * offset), except MySQL's zero dates: `0000-00-00`, `0000-00-00 00:00:00` and any with a zero month or day are NULL,
 * as MySQL's own connectors read them with zeroDateTimeBehavior=convertToNull. mysql2 would give 1899-11-30 for a zero
 * DATE and an Invalid Date for a zero DATETIME. A date that does not exist (`2021-02-30`, stored with
 * ALLOW_INVALID_DATES) is an Invalid Date, never the next month's day: the GET write refuses that row, naming its key.
 */
function sourceDate(text: string, timezone: string): Date | null {
  const match = DATE_TEXT.exec(text.trim());
  if (!match) return new Date(Number.NaN);
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map((part) => Number(part ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month === 0 || day === 0) return null;
  // Date would roll 30 February over into March: a day the calendar does not have stays invalid.
  const utc = new Date(0);
  utc.setUTCFullYear(year, month, 0);
  if (month > 12 || day > utc.getUTCDate()) return new Date(Number.NaN);
  const ms = Number((match[7] ?? '').padEnd(3, '0').slice(0, 3));
  if (timezone === 'local') {
    const date = new Date(2000, 0, 1, hour, minute, second, ms);
    date.setFullYear(year, month - 1, day);
    return date;
  }
  const iso = `${match[1]}-${match[2]}-${match[3]}T${match[4] ?? '00'}:${match[5] ?? '00'}:${match[6] ?? '00'}.${String(ms).padStart(3, '0')}`;
  const date = new Date(`${iso}${timezone}`);
  return date;
}

function poolOptions(target: SourceTarget, options: Required<SourceReaderOptions>): PoolOptions {
  const where = target.url
    ? { uri: target.url.replace(/^mariadb:/i, 'mysql:') }
    : { host: target.host, port: target.port, database: target.database, user: target.user, password: target.password };
  const timezone = typeof target.options.timezone === 'string' ? target.options.timezone : 'local';
  return {
    ...where,
    ...(target.options.ssl === undefined ? {} : { ssl: target.options.ssl as PoolOptions['ssl'] }),
    // The guard again where mysql2 connects: its own DNS answer is judged, not only the one assertPublicDatabase saw.
    stream: guardedMysqlStream(target.allowPrivateNetwork),
    connectionLimit: options.poolSize,
    connectTimeout: options.connectTimeoutMs,
    charset: 'utf8mb4',
    // DECIMAL as exact text; BIGINT as a number while exact, else text; DATETIME/DATE as Date in the worker's zone.
    supportBigNumbers: true,
    bigNumberStrings: false,
    decimalNumbers: false,
    dateStrings: false,
    timezone,
    // Dates through sourceDate: a zero date is NULL, not 1899-11-30 or an Invalid Date.
    typeCast: (field, next) => {
      if (!DATE_TYPES.has(field.type)) return next();
      const text = field.string('ascii');
      return text === null ? null : sourceDate(text, timezone);
    },
  };
}

function connectionOf(pool: Pool): Promise<PoolConnection> {
  return new Promise((resolve, reject) => pool.getConnection((error, connection) => (error ? reject(error) : resolve(connection))));
}

/** KILL QUERY from a connection of its own: the pool may have no free one, and the streaming one is busy. */
function killQuery(options: PoolOptions, threadId: number): void {
  const killer = mysql.createConnection(options);
  killer.on('error', () => {});
  killer.query('KILL QUERY ?', [threadId], () => killer.destroy());
}

async function* streamRows(
  pool: Pool,
  options: PoolOptions,
  query: SourceQuery,
  { chunkSize, signal }: StreamOptions,
): AsyncGenerator<SourceRow[]> {
  assertChunkSize(chunkSize);
  signal?.throwIfAborted();
  const connection = await connectionOf(pool);
  let destroyed = false;
  const destroy = () => {
    if (destroyed) return;
    destroyed = true;
    connection.destroy(); // also takes it out of the pool
  };
  const onAbort = () => {
    killQuery(options, connection.threadId);
    destroy();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  // highWaterMark bounds the rows mysql2 buffers before it pauses the socket.
  const rows = connection.query(query.sql, [...query.parameters]).stream({ objectMode: true, highWaterMark: chunkSize }) as Readable;
  let complete = false;
  try {
    for await (const chunk of chunkRows(rows, chunkSize)) {
      signal?.throwIfAborted();
      yield chunk;
    }
    signal?.throwIfAborted();
    complete = true;
  } catch (error) {
    throw signal?.aborted ? abortReason(signal) : error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (complete) connection.release();
    else destroy();
  }
}

/** A MySQL/MariaDB source: DECIMAL as exact strings, BIGINT as a number while exact (else a string), dates as Date. */
export function openMysqlReader(target: SourceTarget, options?: SourceReaderOptions): SourceReader {
  const config = poolOptions(target, withDefaults(options));
  const pool = mysql.createPool(config);
  pool.on('connection', (connection) => connection.on('error', () => {}));
  let closed: Promise<void> | undefined;
  return {
    driver: 'mysql',
    stream: (query, streamOptions) => streamRows(pool, config, query, streamOptions),
    async query(query) {
      const [rows] = await pool.promise().query(query.sql, [...query.parameters]);
      return Array.isArray(rows) ? (rows as SourceRow[]) : [];
    },
    close() {
      closed ??= pool.promise().end();
      return closed;
    },
  };
}
