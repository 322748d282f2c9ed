/**
 * The run-time values of the steps that ran before this one in a dependency flow (the queue layer's FlowValues):
 * `values` flat, later steps winning a clash; `integracoes` each step's own values by integracao id.
 */
export interface UpstreamValues {
  values: Readonly<Record<string, unknown>>;
  integracoes: Readonly<Record<string, { nome?: string; values: Readonly<Record<string, unknown>> }>>;
}

/**
 * The inputs of a run: the caller's parametros, then the upstream steps' values flat (`#codCli#`), then each step's
 * values under `integracao_<id>` (`#integracao_19.codCli#`, which no column or parameter can shadow).
 * Precedence, lowest first: parametros < upstream flat values < integracao_<id> namespaces; the consulta row's columns
 * and dependencias still override these later (set-plan.ts).
 */
export function runInputs(parametros: Readonly<Record<string, unknown>>, upstream: UpstreamValues | undefined): Record<string, unknown> {
  if (!upstream) return { ...parametros };
  const namespaced = Object.fromEntries(Object.entries(upstream.integracoes).map(([id, step]) => [`integracao_${id}`, { ...step.values }]));
  return { ...parametros, ...upstream.values, ...namespaced };
}

/** A prerequisite's value in this flow for a dependencias row of tipo integracao; undefined when it did not run in it. */
export function upstreamValueOf(
  upstream: UpstreamValues | undefined,
  integracaoId: number,
  key: string,
): { found: boolean; value: unknown } {
  const step = upstream?.integracoes[String(integracaoId)];
  if (!step) return { found: false, value: undefined };
  return { found: true, value: step.values[key] };
}
