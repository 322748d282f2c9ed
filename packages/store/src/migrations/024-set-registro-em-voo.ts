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
 * claims it and NULL otherwise. A record held by several rows (a race of the version before) keeps its newest hold,
 * the one a run reads.
 */
const CLAIMS = sql`status IN ('enviando', 'enviado') OR retido = 1`;
export function setRegistroEmVooMigration(dialect: DialectName): Migration {
  return {
    async up(db: Db) {
      const holds = await db
        .selectFrom('integracao_execucoes')
        .select(['id', 'empresa_id', 'integracao_id', 'registro'])
        .where('retido', '=', 1)
        .orderBy('id', 'desc')
        .execute();
      const kept = new Set<string>();
      for (const hold of holds as { id: number; empresa_id: number; integracao_id: number; registro: string }[]) {
        const key = `${hold.empresa_id}:${hold.integracao_id}:${hold.registro}`;
        if (!kept.has(key)) kept.add(key);
        else await db.updateTable('integracao_execucoes').set({ retido: 0 }).where('id', '=', hold.id).execute();
      }
      if (dialect === 'mysql') {
        await db.schema
          .alterTable('integracao_execucoes')
          .addColumn('registro_em_voo', 'varchar(200)', (c) => c.generatedAlwaysAs(sql`CASE WHEN ${CLAIMS} THEN registro END`))
          .execute();
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
        return;
      }
      await db.schema.dropIndex('integracao_execucoes_em_voo').execute();
    },
  };
}
