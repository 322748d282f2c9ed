import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../create-database';
import { columnTypes, nowColumn, withId } from './column-types';

/** How many JSON endpoint services an empresa may create when its contract says nothing else (seed 003). */
export const DEFAULT_SERVICE_LIMIT = 5;

/**
 * Seed 003 (Rubeus): JSON endpoint services per tenant and their event types, the contract's limit of services per
 * empresa, and the columns the contato / evento payloads need in the CRM (with the unique keys their upserts use).
 */
export function servicosEndpointMigration(dialect: DialectName): Migration {
  const { timestamp } = columnTypes(dialect);
  const now = nowColumn(dialect);
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are written against the database as it was then, not today's types.
    async up(db: Kysely<any>) {
      await withId(db.schema.createTable('servicos_endpoint'), dialect)
        .addColumn('empresa_id', 'integer', (c) => c.notNull())
        .addColumn('nome', 'varchar(200)', (c) => c.notNull())
        .addColumn('url_base', 'varchar(1000)', (c) => c.notNull())
        // basic | bearer | nenhuma; the secret itself is never stored, only the ${NOME} reference the worker resolves.
        .addColumn('autenticacao', 'varchar(10)', (c) => c.notNull())
        .addColumn('usuario', 'varchar(200)')
        .addColumn('segredo_ref', 'varchar(200)')
        // Only an operator (CLI) may let a service reach loopback / private addresses.
        .addColumn('permitir_rede_privada', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('ativo', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('status', 'varchar(20)', (c) => c.notNull().defaultTo('nunca_executado'))
        .addColumn('status_motivo', 'text')
        .addColumn('ultima_execucao_em', timestamp)
        .addColumn('criado_em', timestamp, now)
        .addColumn('atualizado_em', timestamp, now)
        .execute();
      await db.schema
        .createIndex('servicos_endpoint_empresa_nome_uq')
        .on('servicos_endpoint')
        .columns(['empresa_id', 'nome'])
        .unique()
        .execute();
      await withId(db.schema.createTable('servicos_endpoint_eventos'), dialect)
        .addColumn('servico_id', 'integer', (c) => c.notNull())
        .addColumn('empresa_id', 'integer', (c) => c.notNull())
        .addColumn('tipo', 'varchar(10)', (c) => c.notNull())
        .addColumn('url', 'varchar(1000)', (c) => c.notNull())
        .addColumn('status', 'varchar(20)', (c) => c.notNull().defaultTo('nunca_executado'))
        .addColumn('ultimo_relatorio', 'text')
        .addColumn('ultima_execucao_em', timestamp)
        .execute();
      await db.schema
        .createIndex('servicos_endpoint_eventos_servico_tipo_uq')
        .on('servicos_endpoint_eventos')
        .columns(['servico_id', 'tipo'])
        .unique()
        .execute();
      await db.schema
        .alterTable('empresas')
        .addColumn('limite_servicos_endpoint', 'integer', (c) => c.notNull().defaultTo(DEFAULT_SERVICE_LIMIT))
        .execute();

      for (const [name, type] of [
        ['cpf', 'varchar(14)'],
        ['dados', 'text'],
        ['campos_personalizados', 'text'],
      ] as const) {
        await db.schema.alterTable('contatos').addColumn(name, type).execute();
      }
      await db.schema.createIndex('contatos_empresa_codigo_uq').on('contatos').columns(['empresa_id', 'codigo']).unique().execute();
      for (const [name, type] of [
        ['chave', 'varchar(100)'],
        ['cod_registro', 'varchar(100)'],
        ['data_vencimento', timestamp],
        ['servico_endpoint_id', 'integer'],
      ] as const) {
        await db.schema.alterTable('eventos').addColumn(name, type).execute();
      }
      await db.schema.createIndex('eventos_empresa_chave_uq').on('eventos').columns(['empresa_id', 'chave']).unique().execute();
    },
    // biome-ignore lint/suspicious/noExplicitAny: see above.
    async down(db: Kysely<any>) {
      // MySQL names the table of an index; PostgreSQL and SQLite do not accept it.
      const dropIndex = (name: string, table: string) =>
        (dialect === 'mysql' ? db.schema.dropIndex(name).on(table) : db.schema.dropIndex(name)).execute();
      await dropIndex('eventos_empresa_chave_uq', 'eventos');
      for (const name of ['servico_endpoint_id', 'data_vencimento', 'cod_registro', 'chave']) {
        await db.schema.alterTable('eventos').dropColumn(name).execute();
      }
      await dropIndex('contatos_empresa_codigo_uq', 'contatos');
      for (const name of ['campos_personalizados', 'dados', 'cpf']) await db.schema.alterTable('contatos').dropColumn(name).execute();
      await db.schema.alterTable('empresas').dropColumn('limite_servicos_endpoint').execute();
      await db.schema.dropTable('servicos_endpoint_eventos').execute();
      await db.schema.dropTable('servicos_endpoint').execute();
    },
  };
}
