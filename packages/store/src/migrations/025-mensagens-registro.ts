import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../create-database';

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the database as it was then, not today's types.
type Db = Kysely<any>;

/**
 * A webhook body is the record's whole state: an oportunidade's `status_alterado` body carries the `criacao` its
 * `criada` body sent (the table has no creation column), read from the record's latest earlier message
 * (packages/webhooks payloads.ts). That read goes through this index, not a scan of every message of the empresa.
 */
export function mensagensRegistroMigration(dialect: DialectName): Migration {
  return {
    async up(db: Db) {
      await db.schema
        .createIndex('webhook_mensagens_registro')
        .on('webhook_mensagens')
        .columns(['empresa_id', 'tabela', 'registro_id'])
        .execute();
    },
    async down(db: Db) {
      const drop = db.schema.dropIndex('webhook_mensagens_registro');
      await (dialect === 'mysql' ? drop.on('webhook_mensagens') : drop).execute();
    },
  };
}
