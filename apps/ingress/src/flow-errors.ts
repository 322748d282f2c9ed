import {
  DanglingDependencyError,
  DependencyCycleError,
  PrerequisiteNotRunnableError,
  StepQueueUnavailableError,
} from '@integrador/integrador';
import { HttpError } from './http-error';

/** What the refused request would have done, for the message ("nada foi enfileirado" / "nothing was saved"). */
export type RefusedAction = 'enqueued' | 'saved';

const ACTION = { enqueued: 'enfileirado', saved: 'gravado' } as const;

/**
 * A dependency-graph error as the API answers it, naming the rows: a cycle is a conflict between rows (409), a
 * reference to a row that does not exist in the empresa is bad input (400), a prerequisite that cannot run 409.
 * Undefined for any other error.
 */
export function flowHttpError(err: unknown, action: RefusedAction): HttpError | undefined {
  // {acao} fills the pt-BR message, {action} the English one.
  const verb = { acao: ACTION[action], action };
  if (err instanceof DependencyCycleError) {
    const nomeOf = (id: number) => err.nomes[err.ids.indexOf(id)] ?? '';
    const path = err.cycle.path.map((id) => `#${id} (${nomeOf(id)})`).join(' → ');
    return new HttpError(409, 'DEPENDENCY_CYCLE', { path, ...verb }, { cause: err });
  }
  if (err instanceof DanglingDependencyError) {
    const d = err.dangling;
    return new HttpError(
      400,
      'DANGLING_DEPENDENCY',
      { id: String(d.rowId), nome: d.nome, column: d.column, missing: String(d.missingId), ...verb },
      { cause: err },
    );
  }
  if (err instanceof PrerequisiteNotRunnableError) {
    const reason =
      err.reason === 'inactive' ? 'ativo = 0' : err.reason === 'componente' ? 'componente' : `tipo_servico ${err.row.tipo_servico}`;
    return new HttpError(
      409,
      'PREREQUISITE_NOT_RUNNABLE',
      { id: String(err.row.id), nome: err.row.nome, triggered: String(err.triggeredId), reason },
      { cause: err },
    );
  }
  if (err instanceof StepQueueUnavailableError) {
    const { step } = err;
    const reason = `fila ${step.queue} sem integration.run / queue ${step.queue} takes no integration.run`;
    return new HttpError(
      409,
      'PREREQUISITE_NOT_RUNNABLE',
      { id: String(step.integracaoId), nome: step.nome, triggered: String(err.triggeredId), reason },
      { cause: err },
    );
  }
  return undefined;
}
