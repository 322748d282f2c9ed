import type net from 'node:net';
import type { Readable } from 'node:stream';
import * as Firebird from 'node-firebird';
import FirebirdPool from 'node-firebird/lib/pool';
import { abortReason, assertChunkSize, chunkRows } from '../chunks';
import type { SourceReaderOptions } from '../reader-options';
import { withDefaults } from '../reader-options';
import type { SourceQuery, SourceReader, SourceRow, StreamOptions } from '../source-reader';
import type { SourceTarget } from '../source-target';

// The raw driver: the community kysely-firebird dialect does not stream. node-firebird's queryStream fetches with
// backpressure (it pauses while its buffer is full), aborts on a signal with an out-of-band op_cancel, and a stream
// destroyed early releases its statement.

/** The driver's options for a target (the password is in them: never log them). */
export function firebirdOptions(target: SourceTarget, connectTimeoutMs: number): Firebird.Options {
  return {
    host: target.host,
    port: target.port,
    database: target.database,
    user: target.user,
    password: target.password,
    role: typeof target.options.role === 'string' ? target.options.role : undefined,
    encoding: 'UTF8',
    blobAsText: true,
    // BIGINT and INT64-backed NUMERIC as numbers while exact, else exact strings.
    numericMode: 'safe',
    lowercase_keys: false,
    connectTimeout: connectTimeoutMs,
  };
}

/** The wire connection node-firebird opened for an attach (its socket is a Proxy over the net.Socket). */
type WireConnection = NonNullable<typeof Firebird.connection>;

/** Closes an attachment's socket for good: detach() first marks it as closed on purpose, else it reconnects. */
function discard(connection: WireConnection | undefined): void {
  const socket = connection?._socket as unknown as net.Socket | undefined;
  if (!connection || !socket || socket.destroyed) return;
  connection.detach(undefined);
  socket.destroy();
}

/**
 * Attaches one connection (no pool), closing its socket when the attach fails or outlasts `timeoutMs`: node-firebird's
 * attach() keeps a failed attachment's socket open (a missing database file holds it until the server gives up,
 * hgourvest/node-firebird#299) and has no timeout of its own (only its pool reads connectTimeout).
 */
export function attachFirebird(options: Firebird.Options, timeoutMs: number): Promise<Firebird.Database> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let connection: WireConnection | undefined;
    let timer: NodeJS.Timeout | undefined;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      discard(connection ?? Firebird.connection);
      reject(error);
    };
    // The callback can come twice (a refused login also reports "Connection is closed."): the first one counts.
    Firebird.attach(options, (error, db) => {
      if (error) return fail(error);
      if (settled) return connection ? discard(connection) : db.detach();
      settled = true;
      clearTimeout(timer);
      resolve(db);
    });
    // attach() publishes the connection it opens on the module, synchronously: read before anything else can attach.
    // Without it (a driver that stopped publishing it) a failed attach could not be closed: refuse rather than leak.
    connection = Firebird.connection;
    if (!connection) return fail(new Error('node-firebird did not expose the connection it opened (Firebird.connection)'));
    // 0 = no limit of its own, as the driver's pool reads connectTimeout.
    if (timeoutMs > 0) {
      timer = setTimeout(() => fail(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })), timeoutMs);
    }
  });
}

function attached(pool: Firebird.ConnectionPool): Promise<Firebird.Database> {
  return new Promise((resolve, reject) => pool.get((error, db) => (error ? reject(error) : resolve(db))));
}

async function* streamRows(
  pool: Firebird.ConnectionPool,
  query: SourceQuery,
  { chunkSize, signal }: StreamOptions,
): AsyncGenerator<SourceRow[]> {
  assertChunkSize(chunkSize);
  signal?.throwIfAborted();
  const db = await attached(pool);
  const rows: Readable = db.queryStream(query.sql, [...query.parameters], { highWaterMark: chunkSize, ...(signal ? { signal } : {}) });
  try {
    for await (const chunk of chunkRows(rows, chunkSize)) {
      signal?.throwIfAborted();
      yield chunk;
    }
  } catch (error) {
    throw signal?.aborted ? abortReason(signal) : error;
  } finally {
    rows.destroy();
    db.detach(); // a pooled attachment goes back to the pool
  }
}

/** A Firebird source (3.0+): column names upper-case as Firebird stores unquoted names, TIMESTAMP/DATE as Date. */
export function openFirebirdReader(target: SourceTarget, options?: SourceReaderOptions): SourceReader {
  const { poolSize, connectTimeoutMs } = withDefaults(options);
  // Firebird.pool() with attachFirebird in place of the driver's attach, which leaves a failed attachment's socket open.
  const pool: Firebird.ConnectionPool = new FirebirdPool(
    (attachOptions: Firebird.Options, done: (error: unknown, db?: Firebird.Database) => void) =>
      attachFirebird(attachOptions, connectTimeoutMs).then((db) => done(undefined, db), done),
    poolSize,
    { ...firebirdOptions(target, connectTimeoutMs), isPool: true },
  );
  pool.on('error', () => {});
  let closed: Promise<void> | undefined;
  return {
    driver: 'firebird',
    stream: (query, streamOptions) => streamRows(pool, query, streamOptions),
    async query(query) {
      const db = await attached(pool);
      try {
        return (await db.queryAsync<SourceRow>(query.sql, [...query.parameters])) ?? [];
      } finally {
        db.detach();
      }
    },
    close() {
      closed ??= new Promise((resolve) => pool.destroy(() => resolve()));
      return closed;
    },
  };
}
