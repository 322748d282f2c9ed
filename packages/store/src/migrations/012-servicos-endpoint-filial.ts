import type { Kysely, Migration } from 'kysely';

/**
 * A JSON endpoint service belongs to the filial whose key created it (null = the whole empresa, e.g. created by an
 * empresa-wide key or the CLI), so the filial rule (filial-scope.ts) applies to services as to integracoes. The table
 * already carries the tenant guard (migration 007); adding a column does not change it.
 */
export function servicosEndpointFilialMigration(): Migration {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are written against the database as it was then, not today's types.
    async up(db: Kysely<any>) {
      await db.schema.alterTable('servicos_endpoint').addColumn('empresa_filial_id', 'integer').execute();
    },
    // biome-ignore lint/suspicious/noExplicitAny: see above.
    async down(db: Kysely<any>) {
      await db.schema.alterTable('servicos_endpoint').dropColumn('empresa_filial_id').execute();
    },
  };
}
