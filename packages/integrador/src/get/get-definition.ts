import type { ConexaoIntegracao, Database, Integracao, Tenant } from '@integrador/store';
import { findIntegracao } from '@integrador/store';
import type { Kysely } from 'kysely';
import { GetConfigError } from './get-errors';
import { type GetSettings, parseGetSettings } from './get-settings';

/** A GET integracao with its settings checked and its conexao_integracao row. */
export interface GetDefinition {
  integracao: Integracao;
  conexao: ConexaoIntegracao;
  settings: GetSettings;
}

/** Loads one GET integracao of the tenant; GetConfigError when it is missing, not GET, inactive or misconfigured. */
export async function loadGetDefinition(db: Kysely<Database>, tenant: Tenant, integracaoId: number): Promise<GetDefinition> {
  const integracao = await findIntegracao(db, tenant, integracaoId);
  if (!integracao)
    throw new GetConfigError('INTEGRATION_NOT_FOUND', `integracao #${integracaoId} does not exist for empresa ${tenant.empresaId}`);
  if (Number(integracao.ativo) !== 1)
    throw new GetConfigError('INTEGRATION_INACTIVE', `integracao #${integracao.id} (${integracao.nome}) is inactive (ativo = 0)`);
  const settings = parseGetSettings(integracao);
  const conexao =
    integracao.conexao_integracao_id === null
      ? undefined
      : await db.selectFrom('conexao_integracao').selectAll().where('id', '=', integracao.conexao_integracao_id).executeTakeFirst();
  const foreign = conexao?.empresa_id !== null && conexao?.empresa_id !== undefined && conexao.empresa_id !== integracao.empresa_id;
  if (!conexao || foreign)
    throw new GetConfigError(
      'MISSING_CONNECTION',
      `integracao #${integracao.id} (${integracao.nome}) conexao_integracao_id: expected a conexao_integracao row of empresa ${tenant.empresaId}, found ${integracao.conexao_integracao_id ?? 'NULL'}`,
    );
  return { integracao, conexao, settings };
}
