import type { Connection } from '@integrador/connections';
import { type Database, tenantConexoesQuery } from '@integrador/store';
import type { Kysely } from 'kysely';

/**
 * Whether an empresa may use a connection of the file outside a run (today: test it). Yes when the file's entry names
 * the empresa, or — for an entry open to every empresa — when the empresa's configuration names it: a
 * conexao_integracao row of the empresa, or a shared row (empresa_id null) that an integracao of the empresa uses.
 * An entry of another empresa, or one only other tenants' configuration uses, is for this empresa as if it did not
 * exist (the test answers the database user, name and server version).
 */
export async function connectionUsableBy(
  db: Kysely<Database>,
  connection: Pick<Connection, 'name' | 'empresaId'>,
  empresaId: number,
): Promise<boolean> {
  if (connection.empresaId !== undefined) return connection.empresaId === empresaId;
  const used = await tenantConexoesQuery(db, empresaId)
    .select('c.id')
    .where('c.nome_conexao', '=', connection.name)
    .limit(1)
    .executeTakeFirst();
  return used !== undefined;
}
