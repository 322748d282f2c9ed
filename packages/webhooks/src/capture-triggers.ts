import type { CrmDatabase } from '@integrador/store';
import { sql } from 'kysely';

// Capture for CRMs that cannot call the change-event route: triggers on the CRM tables write one webhook_outbox row per
// inserted or updated row, in the same transaction as the change (so nothing is lost, whoever writes: the CRM, a GET
// pull, an endpoint sync). worker-webhook drains the outbox (outbox-drain.ts). The triggers only say what happened
// (criado / alterado / status_alterado) and, on the tables whose status changes are told apart, the status the change
// set (migration 018; '' for a NULL one): the engine decides the gatilho from it, not from the row as it is when the
// outbox is drained (an atividade concluded then reopened before the drain is still an atividade.concluida).

interface Captured {
  table: 'contatos' | 'oportunidades' | 'atividades' | 'eventos';
  /** Whether updates are captured, and whether a status change is told apart. */
  updates: 'none' | 'plain' | 'status';
}

const CAPTURED: readonly Captured[] = [
  { table: 'contatos', updates: 'plain' },
  { table: 'oportunidades', updates: 'status' },
  { table: 'atividades', updates: 'status' },
  { table: 'eventos', updates: 'none' },
];

const name = (table: string, kind: 'ins' | 'upd') => `integrador_wh_${table}_${kind}`;

/**
 * The outbox row a trigger writes. Where status changes are told apart, with the status the change set as text, never
 * NULL ('' for none): NULL in the column means "not captured" (a row of the triggers before migration 018).
 */
function outboxInsert(dialect: CrmDatabase['dialect'], { table, updates }: Captured, operacao: string): string {
  if (updates !== 'status')
    return `INSERT INTO webhook_outbox (empresa_id, tabela, registro_id, operacao) VALUES (NEW.empresa_id, '${table}', NEW.id, ${operacao})`;
  const status = dialect === 'postgres' ? `COALESCE(NEW.status::text, '')` : `COALESCE(NEW.status, '')`;
  return `INSERT INTO webhook_outbox (empresa_id, tabela, registro_id, operacao, status) VALUES (NEW.empresa_id, '${table}', NEW.id, ${operacao}, ${status})`;
}

function statements(dialect: CrmDatabase['dialect']): string[] {
  const list: string[] = [];
  if (dialect === 'postgres') {
    for (const captured of CAPTURED) {
      const { table, updates } = captured;
      const operacao =
        updates === 'status'
          ? `CASE WHEN TG_OP = 'INSERT' THEN 'criado' WHEN OLD.status IS DISTINCT FROM NEW.status THEN 'status_alterado' ELSE 'alterado' END`
          : `CASE WHEN TG_OP = 'INSERT' THEN 'criado' ELSE 'alterado' END`;
      list.push(
        `CREATE OR REPLACE FUNCTION ${name(table, 'ins')}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ${outboxInsert(dialect, captured, operacao)}; RETURN NULL; END $$`,
        `DROP TRIGGER IF EXISTS ${name(table, 'ins')} ON ${table}`,
        `CREATE TRIGGER ${name(table, 'ins')} AFTER INSERT${updates === 'none' ? '' : ' OR UPDATE'} ON ${table} FOR EACH ROW EXECUTE FUNCTION ${name(table, 'ins')}()`,
      );
    }
    return list;
  }
  for (const captured of CAPTURED) {
    const { table, updates } = captured;
    const statusChanged = dialect === 'mysql' ? 'NOT (NEW.status <=> OLD.status)' : 'NEW.status IS NOT OLD.status';
    const operacao = updates === 'status' ? `CASE WHEN ${statusChanged} THEN 'status_alterado' ELSE 'alterado' END` : `'alterado'`;
    const body = (sqlText: string) => (dialect === 'mysql' ? sqlText : `BEGIN ${sqlText}; END`);
    list.push(
      `DROP TRIGGER IF EXISTS ${name(table, 'ins')}`,
      `CREATE TRIGGER ${name(table, 'ins')} AFTER INSERT ON ${table} FOR EACH ROW ${body(outboxInsert(dialect, captured, `'criado'`))}`,
      `DROP TRIGGER IF EXISTS ${name(table, 'upd')}`,
    );
    if (updates !== 'none')
      list.push(
        `CREATE TRIGGER ${name(table, 'upd')} AFTER UPDATE ON ${table} FOR EACH ROW ${body(outboxInsert(dialect, captured, operacao))}`,
      );
  }
  return list;
}

/** Installs (or re-installs, idempotent) the capture triggers on the CRM database. */
export async function installCaptureTriggers(database: CrmDatabase): Promise<void> {
  for (const statement of statements(database.dialect)) await sql.raw(statement).execute(database.db);
}

/** Removes the capture triggers (the outbox stays; drain it first). */
export async function removeCaptureTriggers(database: CrmDatabase): Promise<void> {
  for (const { table } of CAPTURED) {
    for (const kind of ['ins', 'upd'] as const) {
      const drop =
        database.dialect === 'postgres'
          ? [`DROP TRIGGER IF EXISTS ${name(table, kind)} ON ${table}`, `DROP FUNCTION IF EXISTS ${name(table, kind)}()`]
          : [`DROP TRIGGER IF EXISTS ${name(table, kind)}`];
      for (const statement of drop) await sql.raw(statement).execute(database.db);
    }
  }
}
