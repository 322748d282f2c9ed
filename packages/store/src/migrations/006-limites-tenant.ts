import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../create-database';
import { columnTypes, nowColumn, withId } from './column-types';

/**
 * Per-tenant limits: one row per scope — an empresa, optionally one filial, optionally one connection.
 * The source of truth; workers read a Redis mirror of it, rewritten by `integrador limits set|remove|sync`.
 */
export function limitesTenantMigration(dialect: DialectName): Migration {
  const { timestamp } = columnTypes(dialect);
  const now = nowColumn(dialect);
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are written against the database as it was then, not today's types.
    async up(db: Kysely<any>) {
      await withId(db.schema.createTable('limites_tenant'), dialect)
        .addColumn('empresa_id', 'integer', (c) => c.notNull())
        .addColumn('empresa_filial_id', 'integer')
        .addColumn('nome_conexao', 'varchar(200)')
        .addColumn('taxa_por_segundo', 'real', (c) => c.notNull().defaultTo(0))
        .addColumn('rajada', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('concorrencia_maxima', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('criado_em', timestamp, now)
        .addColumn('atualizado_em', timestamp, now)
        .execute();
      await db.schema.createIndex('limites_tenant_empresa').on('limites_tenant').column('empresa_id').execute();
    },
    // biome-ignore lint/suspicious/noExplicitAny: see above.
    async down(db: Kysely<any>) {
      await db.schema.dropTable('limites_tenant').execute();
    },
  };
}
