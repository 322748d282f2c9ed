import type { Integracao } from '@integrador/store';

/** The queue that runs an integration of a tipo_servico: SET pushes on `set`, GET pulls on `get`. */
export type RunQueue = 'set' | 'get';

/** Seed 001's tipo_servico values: the ones lint accepts, and the only ones a run, an INFO lookup or a preview takes. */
export const SERVICE_TYPES: readonly string[] = ['SET', 'GET', 'INFO'];

/** SET → set, GET → get (any case, any spaces); anything else (INFO, unknown) runs on no queue. */
export function queueForTipo(tipo: string | null): RunQueue | null {
  const t = (tipo ?? '').trim().toUpperCase();
  return t === 'SET' ? 'set' : t === 'GET' ? 'get' : null;
}

/** The one reading of the columns that say whether and where a row runs: trimmed, case-insensitive, ativo as a number. */
export function runnability(row: Pick<Integracao, 'ativo' | 'link' | 'tipo_servico'>) {
  return {
    active: Number(String(row.ativo ?? '').trim()) === 1,
    componente: (row.link ?? '').trim().toLowerCase() === 'componente',
    tipo: (row.tipo_servico ?? '').trim().toUpperCase(),
  };
}

/** True for a row a schedule or a CRM event may start as a run of `queue` (active, not a componente, of that queue). */
export function isRunnableOn(row: Pick<Integracao, 'ativo' | 'link' | 'tipo_servico'>, queue: RunQueue): boolean {
  const r = runnability(row);
  return r.active && !r.componente && queueForTipo(r.tipo) === queue;
}
