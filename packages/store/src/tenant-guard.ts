import { randomUUID } from 'node:crypto';
import { type Kysely, type RawBuilder, sql, type Transaction } from 'kysely';
import type { DialectName } from './create-database';
import type { Database } from './schema';

/**
 * The database's own last line of tenant isolation for writes. Every table with an `empresa_id` column carries a
 * trigger that, inside a tenant-scoped transaction (`withTenantScope`), refuses to insert, update or delete a row
 * of any other empresa — whatever the statement looks like (sql_update, sql_insert, multi-table updates, subqueries).
 * Outside a scoped transaction the trigger does nothing, so the store's own repositories are unaffected.
 *
 * The scope lives where only the scoped transaction sees it: PostgreSQL a transaction-local setting
 * (`integrador.empresa_id`), MySQL/MariaDB and SQLite an uncommitted row of `integrador_escopo_tenant` (invisible to
 * other transactions, deleted before commit, gone with a rollback or a crash).
 */

/** Text every guard violation carries, whatever the dialect wraps it in. */
export const TENANT_GUARD_MARKER = 'INTEGRADOR_TENANT_SCOPE';

const SCOPE_TABLE = 'integrador_escopo_tenant';
const PG_FUNCTION = 'integrador_tenant_guard';

/** Creates what every guard needs once per database (the PostgreSQL trigger function, or the scope table). */
// biome-ignore lint/suspicious/noExplicitAny: migrations run against the database as it was then.
export async function installTenantGuardSupport(db: Kysely<any>, dialect: DialectName): Promise<void> {
  if (dialect === 'postgres') {
    await sql
      .raw(`CREATE OR REPLACE FUNCTION ${PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE scope text := current_setting('integrador.empresa_id', true);
BEGIN
  IF scope IS NULL OR scope = '' THEN
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.empresa_id::text IS DISTINCT FROM scope THEN
    RAISE EXCEPTION '${TENANT_GUARD_MARKER}: % of a row of empresa % refused in a run of empresa %', TG_OP, OLD.empresa_id, scope;
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.empresa_id::text IS DISTINCT FROM scope THEN
    RAISE EXCEPTION '${TENANT_GUARD_MARKER}: % of a row of empresa % refused in a run of empresa %', TG_OP, NEW.empresa_id, scope;
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$`)
      .execute(db);
    return;
  }
  await db.schema
    .createTable(SCOPE_TABLE)
    .addColumn('token', 'varchar(64)', (c) => c.notNull())
    .addColumn('empresa_id', 'integer', (c) => c.notNull())
    .execute();
  // Deleting by token locks only the transaction's own row (InnoDB would otherwise wait on others' uncommitted rows).
  await db.schema.createIndex(`${SCOPE_TABLE}_token`).on(SCOPE_TABLE).column('token').execute();
}

/** Removes what installTenantGuardSupport created. */
// biome-ignore lint/suspicious/noExplicitAny: see above.
export async function dropTenantGuardSupport(db: Kysely<any>, dialect: DialectName): Promise<void> {
  if (dialect === 'postgres') await sql.raw(`DROP FUNCTION IF EXISTS ${PG_FUNCTION}()`).execute(db);
  else await db.schema.dropTable(SCOPE_TABLE).ifExists().execute();
}

function mysqlTrigger(table: string, event: 'INSERT' | 'UPDATE' | 'DELETE'): string {
  const scope = `(SELECT empresa_id FROM ${SCOPE_TABLE} LIMIT 1)`;
  const checks: string[] = [];
  if (event !== 'INSERT') checks.push(`NOT (OLD.empresa_id <=> ${scope})`);
  if (event !== 'DELETE') checks.push(`NOT (NEW.empresa_id <=> ${scope})`);
  return `CREATE TRIGGER ${table}_tg_${event.toLowerCase()} BEFORE ${event} ON \`${table}\` FOR EACH ROW
BEGIN
  IF EXISTS (SELECT 1 FROM ${SCOPE_TABLE}) AND (${checks.join(' OR ')}) THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '${TENANT_GUARD_MARKER}: ${event} of a row of another empresa refused on ${table}';
  END IF;
END`;
}

function sqliteTrigger(table: string, event: 'INSERT' | 'UPDATE' | 'DELETE'): string {
  const scope = `(SELECT empresa_id FROM ${SCOPE_TABLE} LIMIT 1)`;
  const checks: string[] = [];
  if (event !== 'INSERT') checks.push(`OLD.empresa_id IS NOT ${scope}`);
  if (event !== 'DELETE') checks.push(`NEW.empresa_id IS NOT ${scope}`);
  return `CREATE TRIGGER ${table}_tg_${event.toLowerCase()} BEFORE ${event} ON "${table}" FOR EACH ROW
WHEN EXISTS (SELECT 1 FROM ${SCOPE_TABLE}) AND (${checks.join(' OR ')})
BEGIN SELECT RAISE(ABORT, '${TENANT_GUARD_MARKER}: ${event} of a row of another empresa refused on ${table}'); END`;
}

const EVENTS = ['INSERT', 'UPDATE', 'DELETE'] as const;

/**
 * Guards one table (it must have an `empresa_id` column). A migration that adds a tenant table calls this, so
 * that runs can never write another empresa's rows into it.
 */
// biome-ignore lint/suspicious/noExplicitAny: see above.
export async function installTenantGuard(db: Kysely<any>, dialect: DialectName, table: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(table)) throw new Error(`tenant guard: invalid table name ${table}`);
  if (dialect === 'postgres') {
    await sql
      .raw(
        `CREATE TRIGGER ${table}_tenant_guard BEFORE INSERT OR UPDATE OR DELETE ON "${table}" FOR EACH ROW EXECUTE FUNCTION ${PG_FUNCTION}()`,
      )
      .execute(db);
    return;
  }
  for (const event of EVENTS) await sql.raw(dialect === 'mysql' ? mysqlTrigger(table, event) : sqliteTrigger(table, event)).execute(db);
}

/** Removes one table's guard. */
// biome-ignore lint/suspicious/noExplicitAny: see above.
export async function dropTenantGuard(db: Kysely<any>, dialect: DialectName, table: string): Promise<void> {
  if (dialect === 'postgres') {
    await sql.raw(`DROP TRIGGER IF EXISTS ${table}_tenant_guard ON "${table}"`).execute(db);
    return;
  }
  for (const event of EVENTS) await sql.raw(`DROP TRIGGER IF EXISTS ${table}_tg_${event.toLowerCase()}`).execute(db);
}

/** True when a database error is a tenant guard's refusal. */
export function isTenantGuardViolation(err: unknown): boolean {
  // Duck-typed: a native driver's error (better-sqlite3's SqliteError) may come from another realm than this `Error`.
  const message = typeof err === 'object' && err !== null ? (err as { message?: unknown }).message : undefined;
  return typeof message === 'string' && message.includes(TENANT_GUARD_MARKER);
}

/**
 * PostgreSQL only: a one-row subquery (column `empresa`) that sets the tenant scope of the transaction it runs in.
 * A statement that joins it and filters on `empresa IS NOT NULL` (so it is evaluated before any row is written)
 * opens the scope itself, one round trip fewer than a separate set_config; see withTenantScope's `scopedBy`.
 */
export function pgTenantScopeSubquery(empresaId: number): RawBuilder<unknown> {
  return sql`(SELECT set_config('integrador.empresa_id', ${String(empresaId)}, true) AS empresa)`;
}

/**
 * Runs `work` in one transaction in which every write to a guarded table must stay within `empresaId`; a write to
 * another empresa's row throws (the database's error, see isTenantGuardViolation) and rolls everything back.
 * On PostgreSQL, `scopedBy: 'first-statement'` promises that work's first statement joins pgTenantScopeSubquery,
 * so no separate set_config runs (GET's chunk writes keep the separate one).
 */
export async function withTenantScope<T>(
  db: Kysely<Database>,
  dialect: DialectName,
  empresaId: number,
  work: (trx: Transaction<Database>) => Promise<T>,
  options: { scopedBy?: 'first-statement' } = {},
): Promise<T> {
  return db.transaction().execute(async (trx) => {
    if (dialect === 'postgres') {
      if (options.scopedBy !== 'first-statement')
        await sql`SELECT set_config('integrador.empresa_id', ${String(empresaId)}, true)`.execute(trx);
      return work(trx);
    }
    const token = randomUUID();
    // biome-ignore lint/suspicious/noExplicitAny: the scope table is the guard's, not part of the CRM schema types.
    const raw = trx as unknown as Kysely<any>;
    await raw.insertInto(SCOPE_TABLE).values({ token, empresa_id: empresaId }).execute();
    const result = await work(trx);
    await raw.deleteFrom(SCOPE_TABLE).where('token', '=', token).execute();
    return result;
  });
}
