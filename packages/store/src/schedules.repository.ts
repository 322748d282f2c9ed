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
