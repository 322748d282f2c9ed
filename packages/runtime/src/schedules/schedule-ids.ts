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
