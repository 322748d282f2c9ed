import { type Kysely, MysqlAdapter, type RawBuilder, sql, type Transaction } from 'kysely';
import type { Database } from './schema';

/**
 * The database's current time at the precision its timestamp columns keep (columnTypes: `datetime(3)` on
 * MySQL/MariaDB), for a statement that sets one. A bare CURRENT_TIMESTAMP has whole seconds there, so a row updated in
 * the second it was created (its `criado_em` defaulting to CURRENT_TIMESTAMP(3)) would read as changed before it was
 * created — the SET outbox's purge pages by creation and judges age by the last change, and relies on the opposite.
 */
export function currentTimestamp(db: Kysely<Database> | Transaction<Database>): RawBuilder<string> {
  return db.getExecutor().adapter instanceof MysqlAdapter ? sql<string>`CURRENT_TIMESTAMP(3)` : sql<string>`CURRENT_TIMESTAMP`;
}
