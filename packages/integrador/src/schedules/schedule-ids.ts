/**
 * The job scheduler of one GET integration: `get-e<empresaId>-i<integracaoId>`. Stable across restarts and config
 * edits (so reconciling updates it in place), unique across tenants, and free of ':' (BullMQ builds the ids of the
 * jobs it produces as `repeat:<schedulerId>:<millis>`).
 */
export function schedulerIdOf(empresaId: number, integracaoId: number): string {
  return `get-e${empresaId}-i${integracaoId}`;
}

const SCHEDULER_ID = /^get-e(\d+)-i(\d+)$/;

/** The (empresa, integracao) of a scheduler id this fleet made, or undefined for any other id. */
export function parseSchedulerId(id: string): { empresaId: number; integracaoId: number } | undefined {
  const match = SCHEDULER_ID.exec(id);
  if (!match) return undefined;
  return { empresaId: Number(match[1]), integracaoId: Number(match[2]) };
}

/** The job scheduler of one JSON endpoint service (seed 003): `endpoint-e<empresaId>-s<servicoId>`, on the get queue too. */
export function endpointSchedulerIdOf(empresaId: number, servicoId: number): string {
  return `endpoint-e${empresaId}-s${servicoId}`;
}

const ENDPOINT_SCHEDULER_ID = /^endpoint-e(\d+)-s(\d+)$/;

/** Whether a scheduler id is one this fleet made (a GET integration's or an endpoint service's). */
export function isFleetSchedulerId(id: string): boolean {
  return SCHEDULER_ID.test(id) || ENDPOINT_SCHEDULER_ID.test(id);
}
