import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../create-database';

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the database as it was then, not today's types.
type Db = Kysely<any>;

/**
 * The history tables the purge reads by tenant and age that had no index leading with both (index, table, columns);
 * the id last, in the order the purge pages through them (by age, then id).
 */
export const RETENTION_INDEXES = [
  ['integracao_execucoes_empresa_tempo', 'integracao_execucoes', ['empresa_id', 'atualizado_em', 'id']],
  ['integracao_sincronizacao_execucoes_tempo', 'integracao_sincronizacao_execucoes', ['empresa_id', 'iniciado_em', 'id']],
  ['webhook_entregas_empresa_tempo', 'webhook_entregas', ['empresa_id', 'atualizado_em', 'id']],
  ['webhook_mensagens_empresa_tempo', 'webhook_mensagens', ['empresa_id', 'criado_em', 'id']],
  ['crm_mudancas_empresa_tempo', 'crm_mudancas', ['empresa_id', 'criado_em', 'id']],
] as const;

/**
 * History retention (RETENTION_*_DAYS): the purge pages through each tenant's rows older than its retention by
 * (empresa_id, age column, id); without these indexes PostgreSQL walked the primary key and filtered every tenant's rows
 * (EXPLAIN: 37 000 rows read per batch of 500 among 50 tenants, and the whole table for the last batch). registro_jobs, auditoria_acoes and ligacoes
 * have theirs already (migrations 010 and 008), the attempts tables theirs by parent row (002, 009).
 */
export function retencaoHistoricoMigration(dialect: DialectName): Migration {
  return {
    async up(db: Db) {
      for (const [name, table, columns] of RETENTION_INDEXES)
        await db.schema
          .createIndex(name)
          .on(table)
          .columns([...columns])
          .execute();
    },
    async down(db: Db) {
      for (const [name, table] of [...RETENTION_INDEXES].reverse())
        await (dialect === 'mysql' ? db.schema.dropIndex(name).on(table) : db.schema.dropIndex(name)).execute();
    },
  };
}
