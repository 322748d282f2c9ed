import type { Kysely, Migration } from 'kysely';

/**
 * A JSON endpoint service's optional schedule (seed 003 services run on a cron like GET integrations): worker-get's
 * schedule reconciler keeps one BullMQ job scheduler per active service with a cron, read in SCHEDULE_TIMEZONE.
 * The table already has its tenant guard (migration 007 covers every table with empresa_id); no new table here.
 */
export function endpointCronMigration(): Migration {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are written against the database as it was then, not today's types.
    async up(db: Kysely<any>) {
      await db.schema.alterTable('servicos_endpoint').addColumn('cron', 'varchar(100)').execute();
    },
    // biome-ignore lint/suspicious/noExplicitAny: see up().
    async down(db: Kysely<any>) {
      await db.schema.alterTable('servicos_endpoint').dropColumn('cron').execute();
    },
  };
}
