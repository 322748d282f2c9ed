import type { ConexaoIntegracao, Integracao } from '@integrador/store';
import type { AdmittedRun } from '../runs/admit-run';
import { GetConfigError } from './get-errors';
import { type GetSettings, parseGetSettings } from './get-settings';

/** A GET integracao with its settings checked and its conexao_integracao row. */
export interface GetDefinition {
  integracao: Integracao;
  conexao: ConexaoIntegracao;
  settings: GetSettings;
}

/**
 * The GET definition of an admitted run. admitRun has already decided everything about the row itself (the tenant's,
 * active, a GET, its conexao_integracao of the same empresa); what is left here is GET's own: a pull reads from a
 * connection, and its settings columns must parse (GetConfigError otherwise).
 */
export function getDefinitionOf(admitted: Pick<AdmittedRun, 'integracao' | 'conexao'>): GetDefinition {
  const { integracao, conexao } = admitted;
  const settings = parseGetSettings(integracao);
  if (!conexao)
    throw new GetConfigError(
      'MISSING_CONNECTION',
      `integracao #${integracao.id} (${integracao.nome}) conexao_integracao_id: expected the conexao_integracao row of the ERP source to read, found NULL`,
    );
  return { integracao, conexao, settings };
}
