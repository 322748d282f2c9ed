import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../create-database';

/**
 * A change event's idempotency key (crm_mudancas.chave) belongs to the key scope that sent it — the filial of a filial
 * key, 0 for a key of the whole empresa — and to the body it came with: another filial's event under the same chave is
 * its own event (it neither joins nor reads the first one's answer), and the same chave with another body is refused.
 * `impressao` is the body's fingerprint (sha256, hex); NULL for claims written before this migration (not compared):
 * those go under 0, and a filial's retry of one still finds it (the claim lookup falls back to a scope-0 claim without
 * impressao: a chave was the whole empresa's when it was written).
 * The unique key moves from (empresa_id, chave) to (empresa_id, filial_escopo, chave). No new table: the tenant guard
 * stays as it is.
 */
export function crmMudancasEscopoMigration(dialect: DialectName): Migration {
  // biome-ignore lint/suspicious/noExplicitAny: migrations are written against the database as it was then, not today's types.
  const dropIndex = (db: Kysely<any>, name: string) =>
    (dialect === 'mysql' ? db.schema.dropIndex(name).on('crm_mudancas') : db.schema.dropIndex(name)).execute();
  return {
    // biome-ignore lint/suspicious/noExplicitAny: see above.
    async up(db: Kysely<any>) {
      await db.schema
        .alterTable('crm_mudancas')
        .addColumn('filial_escopo', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.alterTable('crm_mudancas').addColumn('impressao', 'varchar(64)').execute();
      await dropIndex(db, 'crm_mudancas_chave');
      await db.schema
        .createIndex('crm_mudancas_escopo_chave')
        .on('crm_mudancas')
        .columns(['empresa_id', 'filial_escopo', 'chave'])
        .unique()
        .execute();
    },
    // biome-ignore lint/suspicious/noExplicitAny: see above.
    async down(db: Kysely<any>) {
      await dropIndex(db, 'crm_mudancas_escopo_chave');
      // Back to one key per empresa: the filiais' claims of a chave another scope also used go (they are a cache);
      // the others stay, as the empresa's. Ids first: MySQL/MariaDB refuse a DELETE whose subquery reads its own table.
      const clashing = await db
        .selectFrom('crm_mudancas as m')
        .select('m.id')
        .where('m.filial_escopo', '<>', 0)
        .where(({ exists, selectFrom }) =>
          exists(
            selectFrom('crm_mudancas as o')
              .select('o.id')
              .whereRef('o.empresa_id', '=', 'm.empresa_id')
              .whereRef('o.chave', '=', 'm.chave')
              .whereRef('o.filial_escopo', '<>', 'm.filial_escopo'),
          ),
        )
        .execute();
      const ids = clashing.map((row) => row.id as number);
      for (let at = 0; at < ids.length; at += 500) {
        await db
          .deleteFrom('crm_mudancas')
          .where('id', 'in', ids.slice(at, at + 500))
          .execute();
      }
      await db.schema.createIndex('crm_mudancas_chave').on('crm_mudancas').columns(['empresa_id', 'chave']).unique().execute();
      await db.schema.alterTable('crm_mudancas').dropColumn('impressao').execute();
      await db.schema.alterTable('crm_mudancas').dropColumn('filial_escopo').execute();
    },
  };
}
