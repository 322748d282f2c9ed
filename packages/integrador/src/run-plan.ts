import type { Integracao } from '@integrador/store';
import {
  buildDependencyGraph,
  collectDependencyEdges,
  DanglingDependencyError,
  DependencyCycleError,
  findCycles,
  runOrderFor,
  UnknownIntegracaoError,
} from './dependency-graph';
import { queueForTipo, type RunQueue, runnability } from './runs/runnability';

export { queueForTipo, type RunQueue };

/** The integracao columns a run plan reads. */
export type PlanRow = Pick<
  Integracao,
  'id' | 'nome' | 'empresa_id' | 'ordem' | 'dependente' | 'depende_de' | 'tipo_servico' | 'ativo' | 'link'
>;

/** One integration of a run plan and the queue it runs on. */
export interface PlannedStep {
  integracaoId: number;
  nome: string;
  queue: RunQueue;
}

/** Why a prerequisite cannot run: inactive, a componente, or a tipo_servico no queue runs (INFO). */
export type NotRunnableReason = 'inactive' | 'componente' | 'tipo';

/** Thrown when an integration of the plan (usually a prerequisite) cannot be queued; names the row. */
export class PrerequisiteNotRunnableError extends Error {
  override name = 'PrerequisiteNotRunnableError';
  readonly code = 'PREREQUISITE_NOT_RUNNABLE';
  readonly permanent = true;
  constructor(
    readonly row: PlanRow,
    readonly triggeredId: number,
    readonly reason: NotRunnableReason,
  ) {
    const why =
      reason === 'inactive'
        ? 'is inactive (ativo = 0)'
        : reason === 'componente'
          ? 'is a componente'
          : `has tipo_servico ${row.tipo_servico}`;
    super(`integracao #${row.id} (${row.nome}), a prerequisite of integracao #${triggeredId}, cannot run: it ${why}`);
  }
}

/** The ids `id` depends on, transitively, through every declared edge (tolerates cycles: they are reported apart). */
function closureOf(rows: readonly PlanRow[], id: number): Set<number> {
  const before = new Map<number, number[]>();
  for (const edge of collectDependencyEdges(rows).edges) before.set(edge.after, [...(before.get(edge.after) ?? []), edge.before]);
  const needed = new Set<number>([id]);
  const pending = [id];
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    for (const previous of before.get(node) ?? []) {
      if (needed.has(previous)) continue;
      needed.add(previous);
      pending.push(previous);
    }
  }
  return needed;
}

function notRunnable(row: PlanRow): NotRunnableReason | null {
  const { active, componente, tipo } = runnability(row);
  if (!active) return 'inactive';
  if (componente) return 'componente';
  return queueForTipo(tipo) ? null : 'tipo';
}

/**
 * The integrations one run of `id` executes, in order: everything it (transitively) depends on through
 * dependente/depende_de, then `id` itself last. Ties between independent prerequisites follow (ordem, id), as seed 001
 * asks. Only the part of the empresa's graph the run touches is judged: a dangling reference declared by one of its
 * rows throws DanglingDependencyError, a cycle through one of them DependencyCycleError, and a prerequisite that cannot
 * run PrerequisiteNotRunnableError — each naming the rows. Problems elsewhere in the empresa do not block this run
 * (config lint reports them).
 */
export function planIntegrationRun(rows: readonly PlanRow[], id: number): PlannedStep[] {
  const byId = new Map(rows.map((row) => [row.id, row]));
  const triggered = byId.get(id);
  if (!triggered) throw new UnknownIntegracaoError(id);
  const empresaRows = rows.filter((row) => row.empresa_id === triggered.empresa_id);
  const needed = closureOf(empresaRows, id);
  const dangling = collectDependencyEdges(rows).dangling.find((d) => needed.has(d.rowId));
  if (dangling) throw new DanglingDependencyError(dangling);
  const cycle = findCycles(empresaRows).find((c) => c.ids.some((member) => needed.has(member)));
  if (cycle) throw new DependencyCycleError(cycle, empresaRows);
  // The subgraph of the run: references leaving it are about integrations that run after, not part of this run.
  const inRun = (target: number | null) => (target !== null && needed.has(target) ? target : null);
  const subgraph = empresaRows
    .filter((row) => needed.has(row.id))
    .map((row) => ({ ...row, dependente: inRun(row.dependente), depende_de: inRun(row.depende_de) }));
  const order = runOrderFor(buildDependencyGraph(subgraph), id);
  return order.map((stepId) => {
    const row = byId.get(stepId) as PlanRow;
    const reason = notRunnable(row);
    if (reason && stepId !== id) throw new PrerequisiteNotRunnableError(row, id, reason);
    return { integracaoId: row.id, nome: row.nome, queue: queueForTipo(row.tipo_servico) ?? 'set' };
  });
}
