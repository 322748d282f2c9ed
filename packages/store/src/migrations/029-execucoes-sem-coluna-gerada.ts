import { type Kysely, type Migration, sql } from 'kysely';
import type { DialectName } from '../create-database';
import { EXECUCOES_FILLFACTOR } from './016-outbox-storage';
import { CLAIMS } from './024-set-registro-em-voo';

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the database as it was then, not today's types.
type Db = Kysely<any>;

const IN_FLIGHT = 'integracao_execucoes_em_voo';

/**
 * PostgreSQL only: takes out what migration 028 did there before it was released (a stored generated column
 * `registro_em_voo` under the in-flight guard, the outbox's pages filled to 50 %), measured to cost the CRM server more
 * CPU a SET push than the heap-only updates it bought (bench/README.md "Migration 028 decided"). A database that applied
 * that 028 gets 024's partial unique index back (the same rows claim the same records: the index is built from rows the
 * other one admitted) and 016's fillfactor for new pages; dropping the column does not rewrite the table, rebuilding
 * the guard's index reads it once. Every other database (028 as it is now, MySQL/MariaDB, SQLite) has nothing to undo.
 * down() leaves the schema as it is: the removed part was a regression, and 028's down() restores 023's purge index.
 */
export function execucoesSemColunaGeradaMigration(dialect: DialectName): Migration {
  return {
    async up(db: Db) {
      if (dialect !== 'postgres') return;
      const { rows } = await sql`SELECT 1 FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name = 'integracao_execucoes' AND column_name = 'registro_em_voo'`.execute(db);
      if (rows.length === 0) return;
      await sql.raw(`DROP INDEX ${IN_FLIGHT}`).execute(db);
      await sql`ALTER TABLE integracao_execucoes DROP COLUMN registro_em_voo`.execute(db);
      await db.schema
        .createIndex(IN_FLIGHT)
        .unique()
        .on('integracao_execucoes')
        .columns(['empresa_id', 'integracao_id', 'registro'])
        .where(sql<boolean>`registro IS NOT NULL AND (${CLAIMS})`)
        .execute();
      await sql.raw(`ALTER TABLE integracao_execucoes SET (fillfactor = ${EXECUCOES_FILLFACTOR})`).execute(db);
    },
    async down() {},
  };
}
