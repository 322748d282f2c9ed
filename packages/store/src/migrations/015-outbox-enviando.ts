import type { Kysely, Migration } from 'kysely';

/**
 * The SET outbox gained `enviando` (a record whose call may have reached the receptor). Before it, a record stayed
 * `pendente` across a timeout or a reset, so a `pendente` row left by an older version has an unknown outcome: it
 * becomes `enviando`, and its retry re-sends it only when its request carries a key the receptor upserts by
 * (packages/integrador/src/set/resend-safety.ts). Data only; `down` keeps the rows as they are (both states retry).
 */
export function outboxEnviandoMigration(): Migration {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are written against the database as it was then, not today's types.
    async up(db: Kysely<any>) {
      await db.updateTable('integracao_execucoes').set({ status: 'enviando' }).where('status', '=', 'pendente').execute();
    },
    async down() {},
  };
}
