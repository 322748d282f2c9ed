import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../create-database';
import { dropTenantGuard, installTenantGuard } from '../tenant-guard';
import { columnTypes, nowColumn, withId } from './column-types';

const WEBHOOK_TABLES = [
  'webhook_endpoints',
  'webhook_mensagens',
  'webhook_entregas',
  'webhook_tentativas',
  'crm_mudancas',
  'webhook_outbox',
];

/**
 * Outbound webhooks (seed 004): endpoints per tenant, one stored payload per CRM change (mensagem), one delivery per
 * (change, endpoint) with every attempt recorded, the change events received (idempotency) and the outbox the capture
 * triggers fill. oportunidades and atividades get seed 004's `dados` / `campos_personalizados` JSON columns, as
 * contatos and eventos already have (seed 003).
 */
export function webhooksMigration(dialect: DialectName): Migration {
  const { timestamp } = columnTypes(dialect);
  const now = nowColumn(dialect);
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are written against the database as it was then, not today's types.
    async up(db: Kysely<any>) {
      await withId(db.schema.createTable('webhook_endpoints'), dialect)
        .addColumn('empresa_id', 'integer', (c) => c.notNull())
        .addColumn('nome', 'varchar(200)', (c) => c.notNull())
        .addColumn('url', 'varchar(2000)', (c) => c.notNull())
        // Comma-separated gatilhos (contato.criado,oportunidade.status_alterado…).
        .addColumn('gatilhos', 'varchar(500)', (c) => c.notNull())
        .addColumn('ativo', 'integer', (c) => c.notNull().defaultTo(1))
        // The signing secret, sealed (AES-256-GCM under WEBHOOK_SECRET_KEY) or marked plain when no key is set.
        .addColumn('segredo', 'varchar(500)', (c) => c.notNull())
        .addColumn('segredo_anterior', 'varchar(500)')
        .addColumn('segredo_anterior_expira_em', timestamp)
        .addColumn('cabecalhos', 'text')
        .addColumn('limite_por_segundo', 'integer')
        .addColumn('primeira_falha_em', timestamp)
        .addColumn('desativado_motivo', 'text')
        .addColumn('criado_em', timestamp, now)
        .addColumn('atualizado_em', timestamp, now)
        .execute();
      await db.schema.createIndex('webhook_endpoints_empresa').on('webhook_endpoints').column('empresa_id').execute();

      await withId(db.schema.createTable('webhook_mensagens'), dialect)
        .addColumn('empresa_id', 'integer', (c) => c.notNull())
        .addColumn('chave', 'varchar(200)', (c) => c.notNull())
        .addColumn('gatilho', 'varchar(50)', (c) => c.notNull())
        .addColumn('tabela', 'varchar(50)', (c) => c.notNull())
        .addColumn('registro_id', 'varchar(50)', (c) => c.notNull())
        .addColumn('webhook_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('criado_em', timestamp, now)
        .execute();
      await db.schema.createIndex('webhook_mensagens_chave').on('webhook_mensagens').columns(['empresa_id', 'chave']).unique().execute();

      await withId(db.schema.createTable('webhook_entregas'), dialect)
        .addColumn('empresa_id', 'integer', (c) => c.notNull())
        .addColumn('endpoint_id', 'integer', (c) => c.notNull())
        .addColumn('mensagem_id', 'integer', (c) => c.notNull())
        .addColumn('status', 'varchar(20)', (c) => c.notNull().defaultTo('pendente'))
        .addColumn('tentativas', 'integer', (c) => c.notNull().defaultTo(0))
        // Attempts made before the current retry cycle (a recover starts a new cycle of the schedule).
        .addColumn('ciclo_inicio', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('proxima_tentativa_em', timestamp)
        .addColumn('ultimo_status_http', 'integer')
        .addColumn('ultimo_erro', 'text')
        .addColumn('entregue_em', timestamp)
        .addColumn('criado_em', timestamp, now)
        .addColumn('atualizado_em', timestamp, now)
        .execute();
      await db.schema.createIndex('webhook_entregas_par').on('webhook_entregas').columns(['mensagem_id', 'endpoint_id']).unique().execute();
      await db.schema.createIndex('webhook_entregas_endpoint').on('webhook_entregas').columns(['endpoint_id', 'status']).execute();

      await withId(db.schema.createTable('webhook_tentativas'), dialect)
        .addColumn('empresa_id', 'integer', (c) => c.notNull())
        .addColumn('entrega_id', 'integer', (c) => c.notNull())
        .addColumn('numero', 'integer', (c) => c.notNull())
        .addColumn('origem', 'varchar(20)', (c) => c.notNull())
        .addColumn('cabecalhos', 'text', (c) => c.notNull())
        .addColumn('status_http', 'integer')
        .addColumn('resposta', 'text')
        .addColumn('duracao_ms', 'integer', (c) => c.notNull())
        .addColumn('classe_erro', 'varchar(40)')
        .addColumn('erro', 'text')
        .addColumn('criado_em', timestamp, now)
        .execute();
      await db.schema.createIndex('webhook_tentativas_entrega').on('webhook_tentativas').column('entrega_id').execute();

      await withId(db.schema.createTable('crm_mudancas'), dialect)
        .addColumn('empresa_id', 'integer', (c) => c.notNull())
        .addColumn('chave', 'varchar(200)', (c) => c.notNull())
        .addColumn('tabela', 'varchar(100)', (c) => c.notNull())
        .addColumn('registro_id', 'varchar(50)')
        .addColumn('operacao', 'varchar(30)', (c) => c.notNull())
        .addColumn('resultado', 'text')
        .addColumn('criado_em', timestamp, now)
        .execute();
      await db.schema.createIndex('crm_mudancas_chave').on('crm_mudancas').columns(['empresa_id', 'chave']).unique().execute();

      // Filled by the capture triggers (installed on demand, see packages/webhooks capture-triggers.ts), drained by worker-webhook.
      await withId(db.schema.createTable('webhook_outbox'), dialect)
        .addColumn('empresa_id', 'integer', (c) => c.notNull())
        .addColumn('tabela', 'varchar(50)', (c) => c.notNull())
        .addColumn('registro_id', 'integer', (c) => c.notNull())
        .addColumn('operacao', 'varchar(30)', (c) => c.notNull())
        .addColumn('criado_em', timestamp, now)
        .execute();

      for (const table of ['oportunidades', 'atividades']) {
        await db.schema.alterTable(table).addColumn('dados', 'text').execute();
        await db.schema.alterTable(table).addColumn('campos_personalizados', 'text').execute();
      }
      // Migration 007's tenant guard on every new table with an empresa_id.
      for (const table of WEBHOOK_TABLES) await installTenantGuard(db, dialect, table);
    },
    // biome-ignore lint/suspicious/noExplicitAny: see above.
    async down(db: Kysely<any>) {
      for (const table of WEBHOOK_TABLES) await dropTenantGuard(db, dialect, table);
      for (const table of ['oportunidades', 'atividades']) {
        await db.schema.alterTable(table).dropColumn('campos_personalizados').execute();
        await db.schema.alterTable(table).dropColumn('dados').execute();
      }
      for (const table of [
        'webhook_outbox',
        'crm_mudancas',
        'webhook_tentativas',
        'webhook_entregas',
        'webhook_mensagens',
        'webhook_endpoints',
      ]) {
        await db.schema.dropTable(table).ifExists().execute();
      }
    },
  };
}
