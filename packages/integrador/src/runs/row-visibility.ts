import { type Database, whereReadableBy } from '@integrador/store';
import type { Kysely } from 'kysely';
import type { RunCaller } from './admit-run';
import { tenantTablesOf } from './tenant-scope';

/**
 * Whether the caller can see row `id` of a CRM table, by the rule the run's tenant binding applies (tenant-scope.ts):
 * the caller's empresa and, for a filial key, that filial's rows and the empresa-wide ones. Undefined when the table is
 * not a tenant table (nothing to check it against). A change event asks it before enqueueing anything for the row.
 */
export async function rowVisibleTo(
  db: Kysely<Database>,
  caller: RunCaller,
  tabela: string,
  id: string | number,
): Promise<boolean | undefined> {
  const table = (await tenantTablesOf(db)).get(tabela.trim().toLowerCase());
  if (table?.empresaColumn !== 'empresa_id') return undefined;
  const rowId = Number(id);
  if (!Number.isSafeInteger(rowId)) return false;
  // biome-ignore lint/suspicious/noExplicitAny: a tenant table found by introspection (its name comes from the database).
  const dynamic = db as unknown as Kysely<any>;
  let query = dynamic.selectFrom(table.name).select('id').where('empresa_id', '=', caller.empresaId).where('id', '=', rowId);
  if (table.filial) query = query.where(whereReadableBy(caller));
  return (await query.executeTakeFirst()) !== undefined;
}
