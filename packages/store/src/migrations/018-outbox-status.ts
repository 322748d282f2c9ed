import { type Kysely, type Migration, sql } from 'kysely';
import type { DialectName } from '../create-database';

/**
 * The capture outbox keeps the status a change set (`webhook_outbox.status`): the engine decides an
 * atividade.concluida from it, not from the row as it is when the outbox is drained (an atividade concluded then
 * reopened before the drain fired nothing; one moved x → y → concluída fired two). NULL means "not captured": a row
 * the triggers wrote before this migration (the engine then reads the row, as before); the new triggers write '' for a
 * NULL status. Capture triggers already installed (packages/webhooks capture-triggers.ts) are rewritten here so they
 * fill it at once — and back on down(), before the column goes (SQLite refuses to drop a column a trigger names).
 * The trigger text is this migration's own copy, as of this version. No new table: the tenant guard stays as it is.
 */

/** The capture triggers whose statement names the status (the tables whose status changes are told apart). */
const STATUS_TABLES = ['oportunidades', 'atividades'] as const;

const triggerName = (table: string, kind: 'ins' | 'upd') => `integrador_wh_${table}_${kind}`;

function outboxInsert(dialect: DialectName, table: string, operacao: string, withStatus: boolean): string {
  if (!withStatus)
    return `INSERT INTO webhook_outbox (empresa_id, tabela, registro_id, operacao) VALUES (NEW.empresa_id, '${table}', NEW.id, ${operacao})`;
  const status = dialect === 'postgres' ? `COALESCE(NEW.status::text, '')` : `COALESCE(NEW.status, '')`;
  return `INSERT INTO webhook_outbox (empresa_id, tabela, registro_id, operacao, status) VALUES (NEW.empresa_id, '${table}', NEW.id, ${operacao}, ${status})`;
}

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the database as it was then, not today's types.
type Db = Kysely<any>;

async function exists(db: Db, dialect: DialectName, name: string): Promise<boolean> {
  const query =
    dialect === 'postgres'
      ? sql`SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE p.proname = ${name} AND n.nspname = current_schema()`
      : dialect === 'mysql'
        ? sql`SELECT 1 FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() AND TRIGGER_NAME = ${name}`
        : sql`SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = ${name}`;
  return (await query.execute(db)).rows.length > 0;
}

/** Rewrites the installed capture triggers of the status tables, with or without the status; absent ones stay absent. */
async function rewriteTriggers(db: Db, dialect: DialectName, withStatus: boolean): Promise<void> {
  if (dialect === 'postgres') {
    // One function per table serves its insert and update trigger; replacing it is atomic (the migration's transaction).
    for (const table of STATUS_TABLES) {
      const fn = triggerName(table, 'ins');
      if (!(await exists(db, dialect, fn))) continue;
      const operacao = `CASE WHEN TG_OP = 'INSERT' THEN 'criado' WHEN OLD.status IS DISTINCT FROM NEW.status THEN 'status_alterado' ELSE 'alterado' END`;
      const body = outboxInsert(dialect, table, operacao, withStatus);
      await sql
        .raw(`CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ${body}; RETURN NULL; END $$`)
        .execute(db);
    }
    return;
  }
  const mariadb =
    dialect === 'mysql' && /mariadb/i.test(String((await sql<{ v: string }>`SELECT VERSION() AS v`.execute(db)).rows[0]?.v ?? ''));
  const statusChanged = dialect === 'mysql' ? 'NOT (NEW.status <=> OLD.status)' : 'NEW.status IS NOT OLD.status';
  const wrap = (text: string) => (dialect === 'mysql' ? text : `BEGIN ${text}; END`);
  const replacements: string[][] = [];
  for (const table of STATUS_TABLES) {
    for (const kind of ['ins', 'upd'] as const) {
      const trigger = triggerName(table, kind);
      if (!(await exists(db, dialect, trigger))) continue;
      const operacao = kind === 'ins' ? `'criado'` : `CASE WHEN ${statusChanged} THEN 'status_alterado' ELSE 'alterado' END`;
      const create = `TRIGGER ${trigger} AFTER ${kind === 'ins' ? 'INSERT' : 'UPDATE'} ON ${table} FOR EACH ROW ${wrap(outboxInsert(dialect, table, operacao, withStatus))}`;
      // MariaDB replaces a trigger in one statement; MySQL and SQLite drop it first (SQLite in one transaction, below).
      replacements.push(mariadb ? [`CREATE OR REPLACE ${create}`] : [`DROP TRIGGER IF EXISTS ${trigger}`, `CREATE ${create}`]);
    }
  }
  if (dialect === 'sqlite') {
    // Kysely runs SQLite migrations outside a transaction: one here, so no write of the CRM meets a dropped trigger.
    await db.transaction().execute(async (trx) => {
      for (const statement of replacements.flat()) await sql.raw(statement).execute(trx);
    });
    return;
  }
  for (const statement of replacements.flat()) await sql.raw(statement).execute(db);
}

export function outboxStatusMigration(dialect: DialectName): Migration {
  return {
    async up(db: Db) {
      // text: a CRM's status of any length or type (an integer is stored as its text), never refused by the trigger.
      await db.schema.alterTable('webhook_outbox').addColumn('status', 'text').execute();
      await rewriteTriggers(db, dialect, true);
    },
    async down(db: Db) {
      await rewriteTriggers(db, dialect, false);
      await db.schema.alterTable('webhook_outbox').dropColumn('status').execute();
    },
  };
}
