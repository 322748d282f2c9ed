import type { ConexaoIntegracao, Integracao } from '@integrador/store';
import type { AdmittedRun } from '../runs/admit-run';
import { getConfigError } from './get-config-messages';
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
    throw getConfigError('CONNECTION_NULL', {}, { code: 'MISSING_CONNECTION', where: `integracao #${integracao.id} (${integracao.nome})` });
  return { integracao, conexao, settings };
}
