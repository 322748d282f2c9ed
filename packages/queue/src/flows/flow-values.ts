/** What one step of a flow produced: the values its receptor returned (indice_valor_retorno, e.g. codCli). */
export interface FlowStepValues {
  nome?: string;
  values: Record<string, unknown>;
}

/**
 * The run-time values a flow carries down its chain. `values` is flat (a later step's key overrides an earlier
 * one's); `integracoes` keeps each step's own values by integracao id, so nothing is lost to a name clash.
 * Each step returns the merged values in its result (`flow`), and the next one reads them with getChildrenValues().
 */
export interface FlowValues {
  values: Record<string, unknown>;
  integracoes: Record<string, FlowStepValues>;
}

/** No upstream values (the first step of a flow). */
export function emptyFlowValues(): FlowValues {
  return { values: {}, integracoes: {} };
}

/** The values a step passes on: what it received plus its own (its own win on a clash). */
export function mergeFlowValues(upstream: FlowValues | undefined, integracaoId: number, own: FlowStepValues): FlowValues {
  const base = upstream ?? emptyFlowValues();
  return { values: { ...base.values, ...own.values }, integracoes: { ...base.integracoes, [String(integracaoId)]: own } };
}

/** Reads the `flow` part of a step's result, tolerating results that carry none. */
export function flowValuesOf(result: unknown): FlowValues {
  const flow = (result as { flow?: Partial<FlowValues> } | null | undefined)?.flow;
  if (!flow || typeof flow !== 'object') return emptyFlowValues();
  return { values: { ...(flow.values ?? {}) }, integracoes: { ...(flow.integracoes ?? {}) } };
}
