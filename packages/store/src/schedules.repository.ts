import type { Kysely } from 'kysely';
import type { Integracao } from './integracao.repository';
import type { Database } from './schema';

/**
 * Every GET integracao row that belongs to an empresa (null empresa_id rows belong to no tenant and never run),
 * of one empresa or (null) all of them, by empresa then execution order; the schedule reconciler decides which of
 * them get a scheduler (active, a cron, not a componente).
 */
export async function listGetIntegracoes(db: Kysely<Database>, empresaId: number | null): Promise<Integracao[]> {
  // Case and spaces of tipo_servico are the engine's to judge (isRunnableOn): ' get ' is a GET row too.
  let query = db
    .selectFrom('integracao')
    .selectAll()
    .where((eb) => eb(eb.fn('upper', [eb.fn('trim', ['tipo_servico'])]), '=', 'GET'))
    .where('empresa_id', 'is not', null);
  if (empresaId !== null) query = query.where('empresa_id', '=', empresaId);
  return query.orderBy('empresa_id').orderBy('ordem').orderBy('id').execute();
}

/**
 * The paused GET schedules as "empresaId/integracaoId" keys (the reconciler keeps no scheduler for them), of one
 * empresa or (none given) of all of them.
 */
export async function listPausedSchedules(db: Kysely<Database>, empresaId?: number): Promise<Set<string>> {
  let query = db.selectFrom('agendamentos_pausados').select(['empresa_id', 'integracao_id']);
  if (empresaId !== undefined) query = query.where('empresa_id', '=', empresaId);
  const rows = await query.execute();
  return new Set(rows.map((r) => `${r.empresa_id}/${r.integracao_id}`));
}

/** Pauses (true) or resumes (false) a GET schedule; idempotent. */
export async function setSchedulePaused(
  db: Kysely<Database>,
  empresaId: number,
  integracaoId: number,
  paused: boolean,
  by: string,
): Promise<void> {
  await db.deleteFrom('agendamentos_pausados').where('empresa_id', '=', empresaId).where('integracao_id', '=', integracaoId).execute();
  if (paused)
    await db
      .insertInto('agendamentos_pausados')
      .values({ empresa_id: empresaId, integracao_id: integracaoId, pausado_por: by.slice(0, 120) })
      .execute();
}

/**
 * The paused tenants (their schedules keep no scheduler; workers hold their jobs); given an empresa, only it if it
 * is paused (an empty list if not).
 */
export async function listPausedTenants(db: Kysely<Database>, empresaId?: number): Promise<number[]> {
  let query = db.selectFrom('empresas_pausadas').select('empresa_id');
  if (empresaId !== undefined) query = query.where('empresa_id', '=', empresaId);
  const rows = await query.orderBy('empresa_id').execute();
  return rows.map((r) => Number(r.empresa_id));
}

/** Pauses (true) or resumes (false) a whole tenant; idempotent. */
export async function setTenantPaused(db: Kysely<Database>, empresaId: number, paused: boolean, by: string): Promise<void> {
  await db.deleteFrom('empresas_pausadas').where('empresa_id', '=', empresaId).execute();
  if (paused)
    await db
      .insertInto('empresas_pausadas')
      .values({ empresa_id: empresaId, pausado_por: by.slice(0, 120) })
      .execute();
}
