import type { Integracao } from '@integrador/store';
import { type PlanRow, planIntegrationRun } from './run-plan';

/** The integracao columns upstreamNames reads: the run plan's, and what a SET step hands down. */
export type UpstreamRow = PlanRow & Pick<Integracao, 'indice_valor_retorno'>;

/** A #var# a step before this one in its dependency flow hands down, and which step. */
export interface UpstreamName {
  name: string;
  integracaoId: number;
  nome: string;
}

/** What a GET step hands down in a flow (apps/worker-get's integration.run: its counts and cursor). */
const GET_FLOW_VALUES: readonly string[] = ['rowsWritten', 'cursor'];

const keyList = (text: string | null) =>
  (text ?? '')
    .split(',')
    .map((key) => key.trim())
    .filter((key) => key !== '');

/**
 * The values that reach an integracao from the steps before it in its own dependency flow (dependente/depende_de),
 * as the workers pass them (upstream-values.ts): a SET step its receptor's indice_valor_retorno keys, a GET step
 * rowsWritten and cursor — each flat (`#codCli#`) and under its id (`#integracao_19.codCli#`). None when the graph
 * is broken (lint and admission report that on their own).
 */
export function upstreamNames(rows: readonly UpstreamRow[], integracaoId: number): UpstreamName[] {
  let steps: number[];
  try {
    steps = planIntegrationRun(rows, integracaoId).map((step) => step.integracaoId);
  } catch {
    return [];
  }
  const byId = new Map(rows.map((row) => [row.id, row]));
  return steps.slice(0, steps.indexOf(integracaoId)).flatMap((id) => {
    const row = byId.get(id);
    if (!row) return [];
    const keys = row.tipo_servico.trim().toUpperCase() === 'GET' ? GET_FLOW_VALUES : keyList(row.indice_valor_retorno);
    return keys.flatMap((key) => [key, `integracao_${id}.${key}`].map((name) => ({ name, integracaoId: id, nome: row.nome })));
  });
}
