import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../create-database';
import { columnTypes, nowColumn, withId } from './column-types';

/** CRM tables a GET pull may upsert into without sql_insert/sql_update: each has id_erp, the default key. */
export const GET_SYNC_TABLES = ['contas', 'contatos', 'oportunidades', 'cidades'] as const;

/**
 * GET pulls (seed 000): the integracao columns a sync needs; on the CRM tables it writes, the tenant-scoped unique
 * key (empresa_id, id_erp) and where each row came from (for the reconcile that marks rows gone from the source);
 * the sync state per (empresa, integracao) with its cursor, lease and the keys committed at the cursor value;
 * and one history row per run.
 */
export function getSyncMigration(dialect: DialectName): Migration {
  const { timestamp } = columnTypes(dialect);
  const now = nowColumn(dialect);
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are written against the database as it was then, not today's types.
    async up(db: Kysely<any>) {
      const integracaoColumns: [string, 'varchar(200)' | 'varchar(100)' | 'varchar(20)' | 'integer'][] = [
        ['chave', 'varchar(200)'],
        ['campo_cursor', 'varchar(100)'],
        ['modo', 'varchar(20)'],
        ['reconciliacao_horas', 'integer'],
        ['tamanho_lote', 'integer'],
      ];
      for (const [name, type] of integracaoColumns) {
        await db.schema.alterTable('integracao').addColumn(name, type).execute();
      }
      for (const table of GET_SYNC_TABLES) {
        await db.schema.alterTable(table).addColumn('origem_integracao_id', 'integer').execute();
        await db.schema.alterTable(table).addColumn('origem_geracao', 'integer').execute();
        await db.schema.alterTable(table).addColumn('removido_origem_em', timestamp).execute();
        await db.schema.createIndex(`${table}_empresa_id_erp_uq`).on(table).columns(['empresa_id', 'id_erp']).unique().execute();
      }
      await withId(db.schema.createTable('integracao_sincronizacao'), dialect)
        .addColumn('empresa_id', 'integer', (c) => c.notNull())
        .addColumn('integracao_id', 'integer', (c) => c.notNull())
        .addColumn('cursor_valor', 'text')
        .addColumn('cursor_tipo', 'varchar(10)')
        .addColumn('geracao', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('reconciliando', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('ultima_reconciliacao_em', timestamp)
        .addColumn('execucao_dono', 'varchar(200)')
        .addColumn('execucao_expira_em', timestamp)
        .addColumn('status', 'varchar(20)')
        .addColumn('linhas_lidas', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('linhas_gravadas', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('linhas_ignoradas', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('linhas_removidas', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('iniciado_em', timestamp)
        .addColumn('concluido_em', timestamp)
        .addColumn('erro', 'text')
        .addColumn('atualizado_em', timestamp, now)
        .execute();
      await db.schema
        .createIndex('integracao_sincronizacao_uq')
        .on('integracao_sincronizacao')
        .columns(['empresa_id', 'integracao_id'])
        .unique()
        .execute();
      await withId(db.schema.createTable('integracao_sincronizacao_chaves'), dialect)
        .addColumn('empresa_id', 'integer', (c) => c.notNull())
        .addColumn('integracao_id', 'integer', (c) => c.notNull())
        .addColumn('chave', 'varchar(255)', (c) => c.notNull())
        .addColumn('assinatura', 'varchar(64)', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('integracao_sincronizacao_chaves_uq')
        .on('integracao_sincronizacao_chaves')
        .columns(['empresa_id', 'integracao_id', 'chave'])
        .unique()
        .execute();
      await withId(db.schema.createTable('integracao_sincronizacao_execucoes'), dialect)
        .addColumn('empresa_id', 'integer', (c) => c.notNull())
        .addColumn('integracao_id', 'integer', (c) => c.notNull())
        .addColumn('job_id', 'varchar(100)')
        .addColumn('gatilho', 'varchar(20)')
        .addColumn('modo', 'varchar(20)', (c) => c.notNull())
        .addColumn('reconciliacao', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('status', 'varchar(20)', (c) => c.notNull())
        .addColumn('linhas_lidas', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('linhas_gravadas', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('linhas_ignoradas', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('linhas_removidas', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('lotes', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('cursor_inicial', 'text')
        .addColumn('cursor_final', 'text')
        .addColumn('erro', 'text')
        .addColumn('iniciado_em', timestamp, now)
        .addColumn('concluido_em', timestamp)
        .addColumn('duracao_ms', 'integer')
        .execute();
      await db.schema
        .createIndex('integracao_sincronizacao_execucoes_integracao')
        .on('integracao_sincronizacao_execucoes')
        .columns(['empresa_id', 'integracao_id'])
        .execute();
    },
    // biome-ignore lint/suspicious/noExplicitAny: see above.
    async down(db: Kysely<any>) {
      await db.schema.dropTable('integracao_sincronizacao_execucoes').execute();
      await db.schema.dropTable('integracao_sincronizacao_chaves').execute();
      await db.schema.dropTable('integracao_sincronizacao').execute();
      for (const table of GET_SYNC_TABLES) {
        const drop = db.schema.dropIndex(`${table}_empresa_id_erp_uq`);
        // Only MySQL names the table in DROP INDEX.
        await (dialect === 'mysql' ? drop.on(table) : drop).execute();
        for (const column of ['removido_origem_em', 'origem_geracao', 'origem_integracao_id']) {
          await db.schema.alterTable(table).dropColumn(column).execute();
        }
      }
      for (const column of ['tamanho_lote', 'reconciliacao_horas', 'modo', 'campo_cursor', 'chave']) {
        await db.schema.alterTable('integracao').dropColumn(column).execute();
      }
    },
  };
}
