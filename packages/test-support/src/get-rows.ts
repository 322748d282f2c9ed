import type { CrmDatabase } from '@integrador/store';

/**
 * The settings columns of a GET integracao row that its run accepts (a SELECT with the key, a CRM table a GET may
 * write), for suites whose GET rows are run or scheduled but never read a source: admission refuses a GET its run would
 * refuse (GET_CONFIG), so a row without them is no longer admitted.
 */
export const RUNNABLE_GET_SETTINGS = {
  sql_consulta: 'SELECT CODCLI AS id_erp, NOMCLI AS nome FROM E085CLI',
  tabela: 'contas',
} as const;

/** What a suite's GET row sets beyond the runnable settings: its schedule, its filial. */
export interface GetRowValues {
  cron?: string | null;
  empresa_filial_id?: number | null;
}

/**
 * An active GET integracao of the empresa with RUNNABLE_GET_SETTINGS (the ERP's customers into contas), on a
 * conexao_integracao row or none; answers its id.
 */
export async function insertGetIntegracao(
  db: CrmDatabase['db'],
  nome: string,
  empresaId: number,
  conexaoId: number | null,
  values: GetRowValues = {},
): Promise<number> {
  const row = await db
    .insertInto('integracao')
    .values({
      nome,
      tipo_servico: 'GET',
      empresa_id: empresaId,
      empresa_filial_id: null,
      conexao_integracao_id: conexaoId,
      ativo: 1,
      ...RUNNABLE_GET_SETTINGS,
      ...values,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}
