import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../create-database';

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the database as it was then, not today's types.
type Db = Kysely<any>;

/**
 * A SET push the receptor accepted whose answer lacked a key sql_update uses is concluded with nothing written back
 * (the CRM row keeps no id_erp), so a later run would select it and send it again: a duplicate customer in the ERP.
 * Its outbox row now keeps the record's key (`registro`), the keys the answer lacked (`retorno_ausente`, worded where
 * it is shown) and `retido` = 1 while a new push of that record is held back (packages/integrador set/held-records.ts);
 * an operator's retry of the held job, or a configuration that no longer needs those keys, clears it.
 * `registro_jobs.erro_codigo` gets its index: a dashboard search that matches failure codes reads them through it.
 */
export function setRetencaoMigration(dialect: DialectName): Migration {
  const dropIndex = (db: Db, name: string, table: string) =>
    (dialect === 'mysql' ? db.schema.dropIndex(name).on(table) : db.schema.dropIndex(name)).execute();
  return {
    async up(db: Db) {
      // One column per statement: SQLite adds one at a time.
      await db.schema.alterTable('integracao_execucoes').addColumn('registro', 'varchar(200)').execute();
      await db.schema.alterTable('integracao_execucoes').addColumn('retorno_ausente', 'varchar(500)').execute();
      await db.schema
        .alterTable('integracao_execucoes')
        .addColumn('retido', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .createIndex('integracao_execucoes_registro')
        .on('integracao_execucoes')
        .columns(['empresa_id', 'integracao_id', 'registro'])
        .execute();
      await db.schema.createIndex('registro_jobs_erro_codigo').on('registro_jobs').column('erro_codigo').execute();
    },
    async down(db: Db) {
      await dropIndex(db, 'registro_jobs_erro_codigo', 'registro_jobs');
      await dropIndex(db, 'integracao_execucoes_registro', 'integracao_execucoes');
      for (const column of ['retido', 'retorno_ausente', 'registro'])
        await db.schema.alterTable('integracao_execucoes').dropColumn(column).execute();
    },
  };
}
