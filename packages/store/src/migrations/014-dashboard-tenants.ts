import { type Kysely, type Migration, sql } from 'kysely';
import type { DialectName } from '../create-database';
import { installTenantGuard } from '../tenant-guard';
import { columnTypes, nowColumn } from './column-types';

/**
 * The dashboard's second step: tenants an operator paused (their schedules keep no job scheduler and their queued jobs
 * are not taken until resumed; packages/queue tenant-pause.ts), and on MySQL/MariaDB a FULLTEXT index on
 * `registro_jobs.busca` that narrows a free-text search to the rows holding its whole words before the substring
 * LIKE runs (registro-jobs.repository.ts).
 */
export function dashboardTenantsMigration(dialect: DialectName): Migration {
  const { timestamp } = columnTypes(dialect);
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are written against the database as it was then, not today's types.
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('empresas_pausadas')
        .addColumn('empresa_id', 'integer', (c) => c.primaryKey())
        .addColumn('pausado_por', 'varchar(120)', (c) => c.notNull())
        .addColumn('pausado_em', timestamp, nowColumn(dialect))
        .execute();
      await installTenantGuard(db, dialect, 'empresas_pausadas');
      if (dialect === 'mysql') await sql`ALTER TABLE registro_jobs ADD FULLTEXT INDEX registro_jobs_busca_ft (busca)`.execute(db);
    },
    // biome-ignore lint/suspicious/noExplicitAny: see above.
    async down(db: Kysely<any>) {
      if (dialect === 'mysql') await sql`ALTER TABLE registro_jobs DROP INDEX registro_jobs_busca_ft`.execute(db);
      await db.schema.dropTable('empresas_pausadas').execute();
    },
  };
}
