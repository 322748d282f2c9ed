import type { Kysely, Migration } from 'kysely';

/**
 * SET micro-batching, opt-in per integration: integracao.lote_maximo = how many pending pushes of the same integration
 * and tenant a worker may send in one receptor call (Senior G5's GravarClientes takes several dadosGeraisCliente).
 * NULL, 0 or 1 = one push per call, as before (the default).
 */
export function loteSetMigration(): Migration {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are written against the database as it was then, not today's types.
    async up(db: Kysely<any>) {
      await db.schema.alterTable('integracao').addColumn('lote_maximo', 'integer').execute();
    },
    // biome-ignore lint/suspicious/noExplicitAny: see above.
    async down(db: Kysely<any>) {
      await db.schema.alterTable('integracao').dropColumn('lote_maximo').execute();
    },
  };
}
