import { type PlannedStep, type PlanRow, planIntegrationRun } from '@integrador/integrador';
import type { CrmDatabase } from '@integrador/store';
import { LRUCache } from 'lru-cache';

/** The dependency columns of every integracao of one empresa (the graph is per empresa; other tenants' rows are never read). */
export async function loadPlanRows(database: CrmDatabase, empresaId: number): Promise<PlanRow[]> {
  return database.db
    .selectFrom('integracao')
    .select(['id', 'nome', 'empresa_id', 'ordem', 'dependente', 'depende_de', 'tipo_servico', 'ativo', 'link'])
    .where('empresa_id', '=', empresaId)
    .orderBy('ordem')
    .orderBy('id')
    .execute();
}

/** The steps one run of an integracao executes, from the stored configuration (throws the run-plan errors). */
export async function planStoredRun(database: CrmDatabase, empresaId: number, integracaoId: number): Promise<PlannedStep[]> {
  return planIntegrationRun(await loadPlanRows(database, empresaId), integracaoId);
}

/**
 * Workers check the graph again when they take a run (the configuration may have changed since it was enqueued); the
 * plan is reused for a few seconds, like the SET definition cache, so a flow of five steps costs one query.
 */
export function cachedRunPlans(database: CrmDatabase, options: { ttlMs?: number; max?: number } = {}) {
  const cache = new LRUCache<string, Promise<PlannedStep[]>>({ max: options.max ?? 500, ttl: options.ttlMs ?? 5000 });
  return (empresaId: number, integracaoId: number): Promise<PlannedStep[]> => {
    const key = `${empresaId}:${integracaoId}`;
    let plan = cache.get(key);
    if (!plan) {
      plan = planStoredRun(database, empresaId, integracaoId);
      cache.set(key, plan);
      plan.catch(() => cache.delete(key));
    }
    return plan;
  };
}
