import type SQLiteModule from 'better-sqlite3';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema';

// Kysely prepares every statement it runs; a chunk of a GET pull is thousands of rows of the same INSERT. The embedded
// database's own handle prepares it once and runs it per row, inside the transaction Kysely holds (SQLite has one
// connection, and Kysely's transaction keeps it until it commits).

const handles = new WeakMap<Kysely<Database>, SQLiteModule.Database>();

/** Remembers the better-sqlite3 handle behind a CRM database (createDatabase calls it). */
export function trackSqliteHandle(db: Kysely<Database>, handle: SQLiteModule.Database): void {
  handles.set(db, handle);
}

/**
 * Runs `statement` once per parameter row on the embedded database of `db`, inside its transaction `_trx` (taken to
 * say that the caller holds it); returns the rows changed, or null, having done nothing, when `db` was not opened by
 * createDatabase (the caller then writes another way).
 */
export function runPerRow(
  db: Kysely<Database>,
  _trx: Transaction<Database>,
  statement: string,
  rows: Iterable<readonly unknown[]>,
): number | null {
  const handle = handles.get(db);
  if (!handle?.inTransaction) return null;
  const prepared = handle.prepare(statement);
  let changes = 0;
  for (const row of rows) changes += prepared.run(...row).changes;
  return changes;
}
