import { type Kysely, type Migration, sql } from 'kysely';
import type { DialectName } from '../create-database';
import { EXECUCOES_FILLFACTOR } from './016-outbox-storage';
import { CLAIMS } from './024-set-registro-em-voo';

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the database as it was then, not today's types.
type Db = Kysely<any>;

/** The purge's index of the SET outbox before this migration (023) and after it. */
const BY_UPDATE = 'integracao_execucoes_empresa_tempo';
export const BY_CREATION = 'integracao_execucoes_empresa_criado';
const IN_FLIGHT = 'integracao_execucoes_em_voo';
/** PostgreSQL: the share of each new page of the outbox its inserts fill; the rest is for its rows' updates. */
export const EXECUCOES_HOT_FILLFACTOR = 50;

/**
 * The two updates of every SET push's outbox row (attempt → `enviado`, write-back → `concluido`) heap-only (HOT) on
 * PostgreSQL where a guarantee allows it (issue 14, bench/README.md "The outbox row's updates HOT"). PostgreSQL writes an
 * update as HOT — no new entry in any of the table's indexes — only when no column an index names (in its columns, its
 * expressions or its predicate) changes value. Both updates changed `atualizado_em` (023's purge index) and `status`
 * (024's in-flight guard's predicate), so each one wrote six index entries; 0 of 41,179 were HOT.
 *
 * - The purge pages through a tenant's outbox rows by `(empresa_id, criado_em, id)` instead of `(empresa_id,
 *   atualizado_em, id)`, on every dialect (one purge query for all). A row's age is still judged by `atualizado_em`
 *   (the retention counts from its last change, as before), read from the row: `criado_em` ≤ `atualizado_em`, so every
 *   row past its retention is in the index's range, and what the range reads besides (rows created before the cutoff
 *   and changed since) stays.
 * - PostgreSQL: the in-flight guard indexes a stored generated column, `registro_em_voo` (the record's key while its row
 *   claims it: `enviando`/`enviado` or `retido`, else NULL), as MySQL/MariaDB's already does (a virtual one, 024);
 *   `enviando` → `enviado` leaves its value as it was, so that update no longer touches an indexed column. The same rows
 *   are unique as before (same columns, same claims): the index is built from rows the old one admitted.
 *   Adding the column rewrites the table once (an ACCESS EXCLUSIVE lock while it runs: SET pushes wait).
 * - PostgreSQL: new pages are filled to 50 % (016's 85 left room for a few of them): a grouped attempt updates up to 50
 *   rows of a few pages in one statement, before any old version can be pruned, and a HOT version must fit in its
 *   row's page (85: 17–37 % of the attempts HOT in the measurement; 50: 93–98 %).
 * - The purge reads a row's age as a column, not a condition (retention.repository.ts): with both ranges as conditions
 *   PostgreSQL chose a bitmap scan of the tenant's whole old range and a sort for every batch.
 *
 * The write-back (`enviado` → `concluido`) of a record known by its id stays a non-HOT update: it is the update that lets
 * the record go, so the guard's indexed value must change there (to NULL), or a later push of the record would be
 * refused. A row without `registro` (a record known by its position) has both updates HOT.
 * MySQL/MariaDB and SQLite keep their guard (no HOT there: InnoDB and SQLite update only the indexes whose columns
 * change). MySQL/MariaDB commit each DDL statement on its own: up() and down() skip what a failed run already did.
 */
export function execucoesHotMigration(dialect: DialectName): Migration {
  return {
    async up(db: Db) {
      if (dialect === 'postgres') {
        // Dropped before the rewrite (ADD COLUMN … STORED rebuilds every index the table has), made again after it.
        await sql.raw(`DROP INDEX ${IN_FLIGHT}`).execute(db);
        await sql.raw(`DROP INDEX ${BY_UPDATE}`).execute(db);
        await sql`ALTER TABLE integracao_execucoes ADD COLUMN registro_em_voo varchar(200)
          GENERATED ALWAYS AS (CASE WHEN ${CLAIMS} THEN registro END) STORED`.execute(db);
        await db.schema
          .createIndex(IN_FLIGHT)
          .unique()
          .on('integracao_execucoes')
          .columns(['empresa_id', 'integracao_id', 'registro_em_voo'])
          .where(sql<boolean>`registro_em_voo IS NOT NULL`)
          .execute();
        // After the rewrite: the rows written so far stay packed as they were; new pages keep room for the updates.
        await sql.raw(`ALTER TABLE integracao_execucoes SET (fillfactor = ${EXECUCOES_HOT_FILLFACTOR})`).execute(db);
      }
      await replaceIndex(db, dialect, BY_UPDATE, BY_CREATION, 'criado_em');
    },
    async down(db: Db) {
      await replaceIndex(db, dialect, BY_CREATION, BY_UPDATE, 'atualizado_em');
      if (dialect !== 'postgres') return;
      await sql.raw(`ALTER TABLE integracao_execucoes SET (fillfactor = ${EXECUCOES_FILLFACTOR})`).execute(db);
      await sql.raw(`DROP INDEX ${IN_FLIGHT}`).execute(db);
      await sql`ALTER TABLE integracao_execucoes DROP COLUMN registro_em_voo`.execute(db);
      // 024's index, as 024 made it.
      await db.schema
        .createIndex(IN_FLIGHT)
        .unique()
        .on('integracao_execucoes')
        .columns(['empresa_id', 'integracao_id', 'registro'])
        .where(sql<boolean>`registro IS NOT NULL AND (${CLAIMS})`)
        .execute();
    },
  };
}

/** The purge's index by (empresa_id, `age`, id) made as `created`, then `dropped` goes: the purge always has one. */
async function replaceIndex(db: Db, dialect: DialectName, dropped: string, created: string, age: string): Promise<void> {
  if (!(await hasIndex(db, dialect, created)))
    await db.schema.createIndex(created).on('integracao_execucoes').columns(['empresa_id', age, 'id']).execute();
  if (await hasIndex(db, dialect, dropped))
    await (dialect === 'mysql' ? db.schema.dropIndex(dropped).on('integracao_execucoes') : db.schema.dropIndex(dropped)).execute();
}

async function hasIndex(db: Db, dialect: DialectName, name: string): Promise<boolean> {
  const query =
    dialect === 'postgres'
      ? sql`SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() AND indexname = ${name}`
      : dialect === 'mysql'
        ? sql`SELECT 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'integracao_execucoes' AND INDEX_NAME = ${name}`
        : sql`SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ${name}`;
  return (await query.execute(db)).rows.length > 0;
}
