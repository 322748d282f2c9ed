import { type Kysely, type Migration, sql } from 'kysely';
import type { DialectName } from '../create-database';

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the database as it was then, not today's types.
type Db = Kysely<any>;

/**
 * At most one claim of a record per integration: SET runs of one integration are not serialised, so two jobs (a
 * scheduled run and an operator's retry of a held one, two events of one conta) could each send the same record.
 * A job's outbox row of a record known by its id now keeps `registro` from its claim, and a unique index over the rows
 * that claim it — `enviando` or `enviado` (the receptor may have it, nothing written back yet) or holding it
 * (`retido`) — refuses a second one: the claim that loses waits (packages/integrador set/run-set.ts). The claim's own
 * insert or status change hits it, so it costs no statement of its own. PostgreSQL and SQLite index those rows only (a
 * partial index); MySQL/MariaDB, without partial indexes, index a virtual column that holds `registro` while the row
 * claims it and NULL otherwise. On MySQL/MariaDB `registro` and that column compare with utf8mb4_bin (as 020's keys):
 * under the table's default collation `idP1` and `idp1` (an id aliased from a code column), two records, would claim
 * each other. utf8mb4_bin still ignores trailing spaces (PAD SPACE), so the rows it would take for one record are
 * deduplicated alike. A record held by several rows (a race of the version before) keeps its newest hold, the one a
 * run reads. MySQL/MariaDB commit each DDL statement on its own: up() drops what a failed run left (the column, the
 * index) and builds it again, so `migrate` can simply run again once the cause is fixed.
 */
export const CLAIMS = sql`status IN ('enviando', 'enviado') OR retido = 1`;

/** The record keys a unique index over `registro` takes as one: exact, and on MySQL/MariaDB (PAD SPACE) trailing spaces ignored. */
function sameRecordKey(dialect: DialectName, registro: string): string {
  return dialect === 'mysql' ? registro.replace(/ +$/, '') : registro;
}

async function mysqlHas(db: Db, what: 'column' | 'index', name: string): Promise<boolean> {
  const { rows } =
    what === 'column'
      ? await sql`SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'integracao_execucoes' AND COLUMN_NAME = ${name}`.execute(
          db,
        )
      : await sql`SELECT 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'integracao_execucoes' AND INDEX_NAME = ${name}`.execute(
          db,
        );
  return rows.length > 0;
}

export function setRegistroEmVooMigration(dialect: DialectName): Migration {
  return {
    async up(db: Db) {
      if (dialect === 'mysql') {
        // What a failed run left (DDL is not transactional here): built again below.
        if (await mysqlHas(db, 'index', 'integracao_execucoes_em_voo'))
          await db.schema.dropIndex('integracao_execucoes_em_voo').on('integracao_execucoes').execute();
        if (await mysqlHas(db, 'column', 'registro_em_voo'))
          await db.schema.alterTable('integracao_execucoes').dropColumn('registro_em_voo').execute();
        // The record's key compared byte by byte, in the held-record lookup too.
        await sql`ALTER TABLE integracao_execucoes MODIFY registro varchar(200) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL`.execute(db);
      }
      const holds = await db
        .selectFrom('integracao_execucoes')
        .select(['id', 'empresa_id', 'integracao_id', 'registro'])
        .where('retido', '=', 1)
        .orderBy('id', 'desc')
        .execute();
      const kept = new Set<string>();
      for (const hold of holds as { id: number; empresa_id: number; integracao_id: number; registro: string }[]) {
        const key = `${hold.empresa_id}:${hold.integracao_id}:${sameRecordKey(dialect, hold.registro)}`;
        if (!kept.has(key)) kept.add(key);
        else await db.updateTable('integracao_execucoes').set({ retido: 0 }).where('id', '=', hold.id).execute();
      }
      if (dialect === 'mysql') {
        await sql`ALTER TABLE integracao_execucoes ADD COLUMN registro_em_voo varchar(200) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin
          GENERATED ALWAYS AS (CASE WHEN ${CLAIMS} THEN registro END) VIRTUAL`.execute(db);
        await db.schema
          .createIndex('integracao_execucoes_em_voo')
          .unique()
          .on('integracao_execucoes')
          .columns(['empresa_id', 'integracao_id', 'registro_em_voo'])
          .execute();
        return;
      }
      await db.schema
        .createIndex('integracao_execucoes_em_voo')
        .unique()
        .on('integracao_execucoes')
        .columns(['empresa_id', 'integracao_id', 'registro'])
        .where(sql<boolean>`registro IS NOT NULL AND (${CLAIMS})`)
        .execute();
    },
    async down(db: Db) {
      if (dialect === 'mysql') {
        await db.schema.dropIndex('integracao_execucoes_em_voo').on('integracao_execucoes').execute();
        await db.schema.alterTable('integracao_execucoes').dropColumn('registro_em_voo').execute();
        // `registro` takes the table's collation back (as 020's down()); it cannot fail on records differing only by
        // case: the one unique index on it (integracao_execucoes_em_voo) is dropped just above.
        const { rows } = await sql<{ collation: string }>`SELECT TABLE_COLLATION AS collation FROM information_schema.TABLES
          WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'integracao_execucoes'`.execute(db);
        const collation = rows[0]?.collation ?? 'utf8mb4_general_ci';
        if (!/^[a-z0-9_]+$/i.test(collation)) throw new Error(`unexpected collation name: ${collation}`);
        await sql
          .raw(
            `ALTER TABLE integracao_execucoes MODIFY registro varchar(200) CHARACTER SET ${collation.split('_')[0]} COLLATE ${collation} NULL`,
          )
          .execute(db);
        return;
      }
      await db.schema.dropIndex('integracao_execucoes_em_voo').execute();
    },
  };
}
