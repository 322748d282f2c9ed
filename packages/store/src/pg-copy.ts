import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Kysely, sql, type Transaction } from 'kysely';
import type * as PgModule from 'pg';
import type * as PgCopyStreamsModule from 'pg-copy-streams';
import type { Database } from './schema';

// Kysely keeps its pg client private, and COPY needs the client itself (pg-copy-streams submits to it). Every client a
// CRM pool opens is remembered by its backend pid; a transaction asks PostgreSQL for its pid and finds its own client,
// which it holds until it commits, so nothing else can use it while the COPY runs.

const clientsOf = new WeakMap<Kysely<Database>, Map<number, PgModule.PoolClient>>();

const pidOf = (client: PgModule.PoolClient) => (client as PgModule.PoolClient & { processID?: number }).processID;

/** Remembers the clients of a CRM database's pool (createDatabase calls it), so that its transactions may COPY. */
export function trackCopyClients(db: Kysely<Database>, pool: PgModule.Pool): void {
  const byPid = new Map<number, PgModule.PoolClient>();
  pool.on('connect', (client) => {
    const pid = pidOf(client);
    if (typeof pid === 'number') byPid.set(pid, client);
  });
  pool.on('remove', (client) => {
    const pid = pidOf(client);
    if (typeof pid === 'number' && byPid.get(pid) === client) byPid.delete(pid);
  });
  clientsOf.set(db, byPid);
}

/**
 * Runs `COPY … FROM STDIN` (`statement`) inside the transaction `trx` of `db`, feeding it `text` (COPY's text format).
 * Returns false, having done nothing, when `db` was not opened by createDatabase (its clients are unknown): the caller
 * then writes another way.
 */
export async function copyFromText(
  db: Kysely<Database>,
  trx: Transaction<Database>,
  statement: string,
  text: Iterable<string>,
): Promise<boolean> {
  const byPid = clientsOf.get(db);
  if (!byPid) return false;
  const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(trx);
  const client = byPid.get(Number(rows[0]?.pid));
  if (!client) return false;
  // Loaded on first use: only a PostgreSQL CRM that runs GET pulls needs it.
  const { from } = require('pg-copy-streams') as typeof PgCopyStreamsModule;
  await pipeline(Readable.from(text, { objectMode: false }), client.query(from(statement)));
  return true;
}
