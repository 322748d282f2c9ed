import { type Kysely, type Migration, sql } from 'kysely';
import type { DialectName } from '../create-database';
import { installTenantGuard } from '../tenant-guard';
import { columnTypes, nowColumn, withId } from './column-types';

/** How much of a job's key parameters and error the search column keeps (bounded so MySQL/SQLite LIKE stays cheap). */
export const SEARCH_TEXT_MAX = 1000;

/**
 * The operators' dashboard: the hub's own record of every job (so search and counts never scan Redis), the
 * operators who log in, their sessions and tenants, and the audit log of every action they (or a script) took.
 * Free-text search: PostgreSQL gets a trigram GIN index on `busca` when pg_trgm is available (ILIKE uses it);
 * MySQL and SQLite search `busca` with LIKE within the tenant's newest rows (documented in packages/dashboard/README.md).
 */
export function dashboardMigration(dialect: DialectName): Migration {
  const { timestamp } = columnTypes(dialect);
  const now = nowColumn(dialect);
  const text = 'text';
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are written against the database as it was then, not today's types.
    async up(db: Kysely<any>) {
      await withId(db.schema.createTable('registro_jobs'), dialect)
        .addColumn('empresa_id', 'integer', (c) => c.notNull())
        .addColumn('empresa_filial_id', 'integer')
        .addColumn('fila', 'varchar(20)', (c) => c.notNull())
        .addColumn('job_id', 'varchar(100)', (c) => c.notNull())
        .addColumn('nome_job', 'varchar(60)', (c) => c.notNull())
        .addColumn('integracao_id', 'integer')
        .addColumn('parametros', text)
        .addColumn('estado', 'varchar(30)', (c) => c.notNull())
        .addColumn('tentativas', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('max_tentativas', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('erro_classe', 'varchar(100)')
        .addColumn('erro_codigo', 'varchar(100)')
        .addColumn('erro_mensagem', text)
        .addColumn('busca', `varchar(${SEARCH_TEXT_MAX})`, (c) => c.notNull().defaultTo(''))
        .addColumn('criado_em', timestamp, now)
        .addColumn('iniciado_em', timestamp)
        .addColumn('finalizado_em', timestamp)
        .addColumn('atualizado_em', timestamp, now)
        .addUniqueConstraint('registro_jobs_fila_job', ['fila', 'job_id'])
        .execute();
      // The failures list and the overview: one tenant's rows in a state, newest first.
      await db.schema
        .createIndex('registro_jobs_empresa_estado')
        .on('registro_jobs')
        .columns(['empresa_id', 'estado', 'atualizado_em'])
        .execute();
      // An admin's failures list spans every tenant: state first.
      await db.schema.createIndex('registro_jobs_estado').on('registro_jobs').columns(['estado', 'atualizado_em']).execute();
      await db.schema.createIndex('registro_jobs_empresa_tempo').on('registro_jobs').columns(['empresa_id', 'atualizado_em']).execute();
      await db.schema
        .createIndex('registro_jobs_integracao')
        .on('registro_jobs')
        .columns(['empresa_id', 'integracao_id', 'atualizado_em'])
        .execute();
      if (dialect === 'postgres') {
        const available = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_available_extensions WHERE name = 'pg_trgm'`.execute(
          db,
        );
        if ((available.rows[0]?.n ?? 0) > 0) {
          await sql`CREATE EXTENSION IF NOT EXISTS pg_trgm`.execute(db);
          await sql`CREATE INDEX registro_jobs_busca_trgm ON registro_jobs USING gin (busca gin_trgm_ops)`.execute(db);
        }
      }

      await withId(db.schema.createTable('operadores'), dialect)
        .addColumn('login', 'varchar(100)', (c) => c.notNull().unique())
        .addColumn('nome', 'varchar(200)', (c) => c.notNull())
        .addColumn('senha_hash', 'varchar(300)', (c) => c.notNull())
        .addColumn('papel', 'varchar(20)', (c) => c.notNull())
        .addColumn('fuso_horario', 'varchar(60)', (c) => c.notNull().defaultTo('America/Sao_Paulo'))
        .addColumn('idioma', 'varchar(10)', (c) => c.notNull().defaultTo('pt-BR'))
        .addColumn('ativo', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('criado_em', timestamp, now)
        .execute();
      await db.schema
        .createTable('operadores_empresas')
        .addColumn('operador_id', 'integer', (c) => c.notNull())
        .addColumn('empresa_id', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('operadores_empresas_pk', ['operador_id', 'empresa_id'])
        .execute();
      await withId(db.schema.createTable('sessoes_operador'), dialect)
        .addColumn('operador_id', 'integer', (c) => c.notNull())
        .addColumn('token_hash', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('csrf_token', 'varchar(64)', (c) => c.notNull())
        .addColumn('expira_em', timestamp, (c) => c.notNull())
        .addColumn('criado_em', timestamp, now)
        .execute();
      await withId(db.schema.createTable('auditoria_acoes'), dialect)
        .addColumn('autor', 'varchar(120)', (c) => c.notNull())
        .addColumn('operador_id', 'integer')
        .addColumn('empresa_id', 'integer')
        .addColumn('acao', 'varchar(40)', (c) => c.notNull())
        .addColumn('alvo', text)
        .addColumn('quantidade', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('detalhe', text)
        .addColumn('criado_em', timestamp, now)
        .execute();
      // A GET schedule an operator paused: the schedule reconciler keeps no job scheduler for it until resumed.
      await db.schema
        .createTable('agendamentos_pausados')
        .addColumn('empresa_id', 'integer', (c) => c.notNull())
        .addColumn('integracao_id', 'integer', (c) => c.notNull())
        .addColumn('pausado_por', 'varchar(120)', (c) => c.notNull())
        .addColumn('pausado_em', timestamp, now)
        .addPrimaryKeyConstraint('agendamentos_pausados_pk', ['empresa_id', 'integracao_id'])
        .execute();
      await db.schema.createIndex('auditoria_acoes_empresa').on('auditoria_acoes').columns(['empresa_id', 'criado_em']).execute();
      // Tables holding one empresa's rows get the tenant guard (007): a run's SQL cannot write another tenant's rows.
      for (const table of ['registro_jobs', 'auditoria_acoes', 'agendamentos_pausados']) await installTenantGuard(db, dialect, table);
    },
    // biome-ignore lint/suspicious/noExplicitAny: see above.
    async down(db: Kysely<any>) {
      for (const table of [
        'agendamentos_pausados',
        'auditoria_acoes',
        'sessoes_operador',
        'operadores_empresas',
        'operadores',
        'registro_jobs',
      ]) {
        await db.schema.dropTable(table).execute();
      }
    },
  };
}
