import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../create-database';
import { columnTypes, nowColumn, withId } from './column-types';

/**
 * The outbox of SET pushes: one row per record a job sends (its idempotency key is the job and the record),
 * recording the receptor's answer BEFORE the write-back, so a crash in between never sends the record twice;
 * and one row per attempt with the raw request and response.
 */
export function execucoesMigration(dialect: DialectName): Migration {
  const { timestamp } = columnTypes(dialect);
  const now = nowColumn(dialect);
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are written against the database as it was then, not today's types.
    async up(db: Kysely<any>) {
      await withId(db.schema.createTable('integracao_execucoes'), dialect)
        .addColumn('empresa_id', 'integer', (c) => c.notNull())
        .addColumn('integracao_id', 'integer', (c) => c.notNull())
        .addColumn('chave', 'varchar(200)', (c) => c.notNull().unique())
        .addColumn('job_id', 'varchar(100)')
        .addColumn('status', 'varchar(20)', (c) => c.notNull())
        .addColumn('valores', 'text')
        .addColumn('mensagem', 'text')
        .addColumn('tentativas', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('criado_em', timestamp, now)
        .addColumn('atualizado_em', timestamp, now)
        .execute();
      await db.schema
        .createIndex('integracao_execucoes_integracao')
        .on('integracao_execucoes')
        .columns(['empresa_id', 'integracao_id'])
        .execute();
      await withId(db.schema.createTable('integracao_tentativas'), dialect)
        .addColumn('execucao_id', 'integer', (c) => c.notNull())
        .addColumn('tentativa', 'integer', (c) => c.notNull())
        .addColumn('url', 'varchar(1000)')
        .addColumn('requisicao', 'text')
        .addColumn('resposta', 'text')
        .addColumn('status_http', 'integer')
        .addColumn('duracao_ms', 'integer')
        .addColumn('erro', 'text')
        .addColumn('criado_em', timestamp, now)
        .execute();
      await db.schema.createIndex('integracao_tentativas_execucao').on('integracao_tentativas').column('execucao_id').execute();
    },
    // biome-ignore lint/suspicious/noExplicitAny: see above.
    async down(db: Kysely<any>) {
      await db.schema.dropTable('integracao_tentativas').execute();
      await db.schema.dropTable('integracao_execucoes').execute();
    },
  };
}
