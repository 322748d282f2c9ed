/**
 * The settings columns of a GET integracao row that its run accepts (a SELECT with the key, a CRM table a GET may
 * write), for suites whose GET rows are run or scheduled but never read a source: admission refuses a GET its run would
 * refuse (GET_CONFIG), so a row without them is no longer admitted.
 */
export const RUNNABLE_GET_SETTINGS = {
  sql_consulta: 'SELECT CODCLI AS id_erp, NOMCLI AS nome FROM E085CLI',
  tabela: 'contas',
} as const;
