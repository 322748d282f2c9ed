import { guardedDatabaseSocket } from '@integrador/connections';
import { Client, Pool, type PoolClient, type PoolConfig, types } from 'pg';
import Cursor from 'pg-cursor';
import { assertChunkSize, raceAbort } from '../chunks';
import type { SourceReaderOptions } from '../reader-options';
import { withDefaults } from '../reader-options';
import type { SourceQuery, SourceReader, SourceRow, StreamOptions } from '../source-reader';
import type { SourceTarget } from '../source-target';

// Raw pg + pg-cursor rather than Kysely's PostgresDialect (which streams through the same cursor): an abort must be
// able to cut a fetch that is still running (a slow first chunk), and that needs the client, which Kysely keeps private.

const INT8_OID = 20;

/** bigint as a number while it is exact, else its text (pg's default is always text), the rule of every reader. */
function parseInt8(text: string): number | string {
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : text;
}

// Per pool, not pg's global registry: the CRM store in the same process keeps pg's defaults.
const SOURCE_TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? parseInt8 : types.getTypeParser(oid, format)) as typeof types.getTypeParser,
};

function poolConfig(target: SourceTarget, options: Required<SourceReaderOptions>): PoolConfig {
  const where = target.url
    ? { connectionString: target.url }
    : { host: target.host, port: target.port, database: target.database, user: target.user, password: target.password };
  return {
    ...where,
    ...(target.options.ssl === undefined ? {} : { ssl: target.options.ssl as PoolConfig['ssl'] }),
    // The guard again where pg connects: its own DNS answer is judged, not only the one assertPublicDatabase saw.
    stream: () => guardedDatabaseSocket(target.allowPrivateNetwork),
    max: options.poolSize,
    connectionTimeoutMillis: options.connectTimeoutMs,
    application_name: 'integrador',
    types: SOURCE_TYPES,
  };
}

/**
 * Cancels the client's running statement with pg_cancel_backend from a connection of its own (the pool may have no
 * free one): closing the client alone would leave the server running the statement until it next writes.
 */
function cancelRunning(config: PoolConfig, client: PoolClient): void {
  const pid = (client as PoolClient & { processID?: number }).processID;
  if (typeof pid !== 'number') return;
  const canceller = new Client(config);
  canceller.on('error', () => {});
  canceller
    .connect()
    .then(() => canceller.query('SELECT pg_cancel_backend($1)', [pid]))
    .catch(() => {})
    .finally(() => void canceller.end().catch(() => {}));
}

/** How long closing a cursor may take before its connection is given up (a server that stopped answering). */
const CLOSE_TIMEOUT_MS = 5000;

/** True when the cursor closed within the time; false on an error or when the server did not answer. */
function closeWithin(cursor: Cursor<SourceRow>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    cursor.close().then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      () => {
        clearTimeout(timer);
        resolve(false);
      },
    );
  });
}

/** Streams a query through a server-side cursor, `chunkSize` rows per fetch. */
async function* streamCursor(
  pool: Pool,
  config: PoolConfig,
  query: SourceQuery,
  { chunkSize, signal }: StreamOptions,
): AsyncGenerator<SourceRow[]> {
  assertChunkSize(chunkSize);
  signal?.throwIfAborted();
  const client: PoolClient = await pool.connect();
  let released = false;
  const release = (destroy: boolean) => {
    if (released) return;
    released = true;
    client.release(destroy);
  };
  // A connection lost while the cursor holds it (restart, pg_terminate_backend) can never answer a close: remember it.
  let lost = false;
  const onLost = () => {
    lost = true;
  };
  client.on('error', onLost);
  const cursor = client.query(new Cursor<SourceRow>(query.sql, [...query.parameters]));
  cursor.on('error', () => {}); // the failure reaches the pending read(); unheard, the event would crash the process
  try {
    while (true) {
      signal?.throwIfAborted();
      const rows = await raceAbort(cursor.read(chunkSize), signal, () => {
        cancelRunning(config, client);
        release(true);
      });
      if (rows.length === 0) return;
      yield rows;
    }
  } catch (error) {
    release(true);
    throw error;
  } finally {
    client.off('error', onLost);
    if (!released) {
      // Closing waits for the server: on a lost connection it would wait for ever, so the client is destroyed instead.
      const closed = !lost && (await closeWithin(cursor, CLOSE_TIMEOUT_MS));
      release(!closed);
    }
  }
}

/** A PostgreSQL source: numeric as exact strings, bigint as a number while exact (else a string), timestamps and dates as Date. */
export function openPostgresReader(target: SourceTarget, options?: SourceReaderOptions): SourceReader {
  const config = poolConfig(target, withDefaults(options));
  const pool = new Pool(config);
  pool.on('error', () => {}); // an idle connection closed by the server is dropped; the next query reconnects
  // A connection lost while a cursor holds it emits 'error' on the client (the pool hears idle clients only): the
  // pending read fails with it and the run retries; unheard, the event would crash the worker.
  pool.on('connect', (client) => client.on('error', () => {}));
  let closed: Promise<void> | undefined;
  return {
    driver: 'postgres',
    stream: (query, streamOptions) => streamCursor(pool, config, query, streamOptions),
    async query(query) {
      return (await pool.query<SourceRow>(query.sql, [...query.parameters])).rows;
    },
    close() {
      closed ??= pool.end();
      return closed;
    },
  };
}
