import { type Kysely, type Migration, sql } from 'kysely';
import type { DialectName } from '../create-database';

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the database as it was then, not today's types.
type Db = Kysely<any>;

/** The purge's index of the SET outbox before this migration (023) and after it. */
const BY_UPDATE = 'integracao_execucoes_empresa_tempo';
const BY_CREATION = 'integracao_execucoes_empresa_criado';

/**
 * The purge pages through a tenant's SET outbox rows by `(empresa_id, criado_em, id)` instead of 023's `(empresa_id,
 * atualizado_em, id)`, on every dialect (one purge query for all): an outbox row's two updates (attempt → `enviado`,
 * write-back → `concluido`) change `atualizado_em` but never `criado_em`, so MySQL/MariaDB and SQLite no longer rewrite
 * a purge index entry at each of them. A row's age is still judged by `atualizado_em` (the retention counts from its
 * last change, as before), read from the row: `criado_em` ≤ `atualizado_em`, so every row past its retention is in the
 * index's range, and what the range reads besides (rows created before the cutoff and changed since) stays. The purge
 * reads a row's age as a column, not a condition (retention.repository.ts): with both ranges as conditions PostgreSQL
 * chose a bitmap scan of the tenant's whole old range and a sort for every batch.
 *
 * Before it was released this migration also made the attempt's update heap-only (HOT) on PostgreSQL (a stored
 * generated column under the in-flight guard, fillfactor 50): HOT it was, but the CRM server spent more CPU a push in
 * every quiet A/B (bench/README.md "Migration 028 decided"), so that part is gone; migration 029 takes it out of a
 * database that applied it. MySQL/MariaDB commit each DDL statement on its own: up() and down() skip what a failed run
 * already did.
 */
export function execucoesHotMigration(dialect: DialectName): Migration {
  return {
    async up(db: Db) {
      await replaceIndex(db, dialect, BY_UPDATE, BY_CREATION, 'criado_em');
    },
    async down(db: Db) {
      await replaceIndex(db, dialect, BY_CREATION, BY_UPDATE, 'atualizado_em');
    },
  };
}

/** The purge's index by (empresa_id, `age`, id) made as `created`, then `dropped` goes: the purge always has one. */
async function replaceIndex(db: Db, dialect: DialectName, dropped: string, created: string, age: string): Promise<void> {
  if (!(await hasIndex(db, dialect, created)))
    await db.schema.createIndex(created).on('integracao_execucoes').columns(['empresa_id', age, 'id']).execute();
  if (await hasIndex(db, dialect, dropped))
    await (dialect === 'mysql' ? db.schema.dropIndex(dropped).on('integracao_execucoes') : db.schema.dropIndex(dropped)).execute();
}

async function hasIndex(db: Db, dialect: DialectName, name: string): Promise<boolean> {
  const query =
    dialect === 'postgres'
      ? sql`SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() AND indexname = ${name}`
      : dialect === 'mysql'
        ? sql`SELECT 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'integracao_execucoes' AND INDEX_NAME = ${name}`
        : sql`SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ${name}`;
  return (await query.execute(db)).rows.length > 0;
}
