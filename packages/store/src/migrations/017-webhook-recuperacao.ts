import type { Kysely, Migration } from 'kysely';

/**
 * The recover that owns a pending webhook delivery (`webhook_entregas.recuperacao`, the recover's id; null for a
 * delivery never recovered): a recover's job carries its id and runs only on a row that names it, so a held job left
 * by a recover that failed midway (its add's outcome unknown, its restart unread) never starts a second retry chain
 * beside the one of the recover run again. The table already has its tenant guard (migration 007); no new table here.
 */
export function webhookRecuperacaoMigration(): Migration {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are written against the database as it was then, not today's types.
    async up(db: Kysely<any>) {
      await db.schema.alterTable('webhook_entregas').addColumn('recuperacao', 'varchar(32)').execute();
    },
    // biome-ignore lint/suspicious/noExplicitAny: see up().
    async down(db: Kysely<any>) {
      await db.schema.alterTable('webhook_entregas').dropColumn('recuperacao').execute();
    },
  };
}
