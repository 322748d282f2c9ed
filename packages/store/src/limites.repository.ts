import { type Insertable, type Kysely, type Selectable, sql } from 'kysely';
import type { Database, LimitesTenantTable } from './schema';

export type LimiteTenant = Selectable<LimitesTenantTable>;

/** Which row of limites_tenant: an empresa, optionally one filial, optionally one connection. */
export interface LimiteScope {
  empresa_id: number;
  empresa_filial_id: number | null;
  nome_conexao: string | null;
}

export type LimiteValues = Pick<Insertable<LimitesTenantTable>, 'taxa_por_segundo' | 'rajada' | 'concorrencia_maxima'>;

function whereScope(db: Kysely<Database>, scope: LimiteScope) {
  const { empresa_filial_id: filial, nome_conexao: conexao } = scope;
  return db
    .selectFrom('limites_tenant')
    .where('empresa_id', '=', scope.empresa_id)
    .where((eb) => (filial === null ? eb('empresa_filial_id', 'is', null) : eb('empresa_filial_id', '=', filial)))
    .where((eb) => (conexao === null ? eb('nome_conexao', 'is', null) : eb('nome_conexao', '=', conexao)));
}

/** Every limit, or one empresa's, ordered by scope. */
export async function listLimites(db: Kysely<Database>, empresaId?: number): Promise<LimiteTenant[]> {
  let query = db.selectFrom('limites_tenant').selectAll();
  if (empresaId !== undefined) query = query.where('empresa_id', '=', empresaId);
  return query.orderBy('empresa_id').orderBy('empresa_filial_id').orderBy('nome_conexao').execute();
}

/** Creates or replaces the limit of a scope (NULLs are never equal in a unique index, so it looks the row up first). */
export async function upsertLimite(db: Kysely<Database>, scope: LimiteScope, values: LimiteValues): Promise<'created' | 'updated'> {
  return db.transaction().execute(async (trx) => {
    const existing = await whereScope(trx, scope).select('id').executeTakeFirst();
    if (existing) {
      await trx
        .updateTable('limites_tenant')
        .set({ ...values, atualizado_em: sql<string>`CURRENT_TIMESTAMP` })
        .where('id', '=', existing.id)
        .execute();
      return 'updated';
    }
    await trx
      .insertInto('limites_tenant')
      .values({ ...scope, ...values })
      .execute();
    return 'created';
  });
}

/** Removes the limit of a scope; false when there was none. */
export async function removeLimite(db: Kysely<Database>, scope: LimiteScope): Promise<boolean> {
  const existing = await whereScope(db, scope).select('id').executeTakeFirst();
  if (!existing) return false;
  await db.deleteFrom('limites_tenant').where('id', '=', existing.id).execute();
  return true;
}
