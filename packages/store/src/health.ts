import { type Kysely, sql } from 'kysely';
import type { Database } from './schema';

/** Round-trips a trivial query; rejects when the database is unreachable. */
export async function pingDatabase(db: Kysely<Database>): Promise<void> {
  await sql`SELECT 1`.execute(db);
}
