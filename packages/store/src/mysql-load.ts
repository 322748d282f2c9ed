import { Readable } from 'node:stream';
import { type Kysely, sql, type Transaction } from 'kysely';
import type * as Mysql2Module from 'mysql2';
import type { Database } from './schema';

// Kysely keeps its mysql2 connection private, and LOAD DATA LOCAL INFILE needs the connection itself (the query's
// infileStreamFactory feeds it). Every connection a CRM pool opens is remembered by its thread id; a transaction asks
// the server for CONNECTION_ID() and finds its own connection, which it holds until it commits.

interface LoadTarget {
  byThread: Map<number, Mysql2Module.PoolConnection>;
  /** The server's local_infile, read once (false, too, after the server refused the command); null until then. */
  allowed: boolean | null;
}

const targets = new WeakMap<Kysely<Database>, LoadTarget>();

/** Remembers the connections of a CRM database's pool (createDatabase calls it), so that its transactions may LOAD DATA. */
export function trackLoadConnections(db: Kysely<Database>, pool: Mysql2Module.Pool): void {
  const byThread = new Map<number, Mysql2Module.PoolConnection>();
  pool.on('connection', (connection) => {
    const thread = connection.threadId;
    byThread.set(thread, connection);
    connection.once('end', () => {
      if (byThread.get(thread) === connection) byThread.delete(thread);
    });
  });
  targets.set(db, { byThread, allowed: null });
}

/** Errors of a server or client that refuses LOCAL INFILE (MySQL 1148 and 3948, MariaDB 4166). */
const REFUSED = new Set([1148, 3948, 4166]);

export type LoadOutcome = { loaded: true; rows: number } | { loaded: false; reason: string };

/**
 * Runs `LOAD DATA LOCAL INFILE` (`statement`, whose file name is ignored: `data` is what the server reads) inside the
 * transaction `trx` of `db`. Returns why not, having changed nothing, when `db` was not opened by createDatabase or the
 * server has local_infile off (checked once per database); the caller then writes another way.
 */
export async function loadDataLocal(
  db: Kysely<Database>,
  trx: Transaction<Database>,
  statement: string,
  data: Iterable<Buffer | string>,
): Promise<LoadOutcome> {
  const target = targets.get(db);
  if (!target) return { loaded: false, reason: 'the database was not opened by createDatabase' };
  // Asked on the transaction's own connection: a second one from a small pool could wait for this very transaction.
  if (target.allowed === null) {
    const { rows } = await sql<{ on: number | string }>`SELECT @@GLOBAL.local_infile AS ${sql.id('on')}`.execute(trx);
    target.allowed = Number(rows[0]?.on) === 1;
  }
  if (!target.allowed) return { loaded: false, reason: 'the server has local_infile = OFF' };
  const { rows } = await sql<{ thread: number | string }>`SELECT CONNECTION_ID() AS thread`.execute(trx);
  const connection = target.byThread.get(Number(rows[0]?.thread));
  if (!connection) return { loaded: false, reason: "the transaction's connection is unknown" };
  try {
    const rowsLoaded = await new Promise<number>((resolve, reject) => {
      connection.query<Mysql2Module.ResultSetHeader>(
        { sql: statement, infileStreamFactory: () => Readable.from(data, { objectMode: false }) },
        (err, result) => (err ? reject(err) : resolve(result.affectedRows)),
      );
    });
    return { loaded: true, rows: rowsLoaded };
  } catch (err) {
    // A refused LOAD DATA changed nothing and leaves the transaction usable: remember it and write another way.
    const errno = (err as { errno?: unknown }).errno;
    if (typeof errno !== 'number' || !REFUSED.has(errno)) throw err;
    target.allowed = false;
    return { loaded: false, reason: `the server refused LOAD DATA LOCAL INFILE (${(err as Error).message})` };
  }
}
