import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../create-database';
import { dropTenantGuard, dropTenantGuardSupport, installTenantGuard, installTenantGuardSupport } from '../tenant-guard';

/** Every table of the schema at this point that holds rows of one empresa (an empresa_id column). */
export const GUARDED_TABLES = [
  'api_keys',
  'empresa_filiais',
  'conexao_integracao',
  'integracao',
  'cidades',
  'contas',
  'contatos',
  'oportunidades',
  'atividades',
  'eventos',
  'usuarios',
  'ligacoes',
  'integracao_execucoes',
  'servicos_endpoint',
  'servicos_endpoint_eventos',
  'integracao_sincronizacao',
  'integracao_sincronizacao_chaves',
  'integracao_sincronizacao_execucoes',
  'limites_tenant',
] as const;

/**
 * Tenant guards (tenant-guard.ts): in a run's scoped transaction, no write may touch another empresa's row, whatever
 * SQL the configuration holds. Tables added later call installTenantGuard in their own migration.
 */
export function tenantGuardMigration(dialect: DialectName): Migration {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are written against the database as it was then, not today's types.
    async up(db: Kysely<any>) {
      await installTenantGuardSupport(db, dialect);
      for (const table of GUARDED_TABLES) await installTenantGuard(db, dialect, table);
    },
    // biome-ignore lint/suspicious/noExplicitAny: see above.
    async down(db: Kysely<any>) {
      for (const table of GUARDED_TABLES) await dropTenantGuard(db, dialect, table);
      await dropTenantGuardSupport(db, dialect);
    },
  };
}
