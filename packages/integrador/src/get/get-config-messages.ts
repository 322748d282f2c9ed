import { defineCatalogue, type Locale, type MessageParams } from '@integrador/i18n';
import { jobFailureLabel } from '@integrador/queue';
import { GetConfigError } from './get-errors';

/**
 * What is wrong with a GET's configuration, per problem, in each language: the one wording of every problem the GET
 * engine refuses a run for (its settings, the CRM table, the columns sql_consulta selects, its connection). The
 * error's message is the English text (logs); the job recorder keeps the problem and its values (`params`), so the API,
 * `run --wait`, the dashboard and `schedules list` word the failure again in the reader's language, whole.
 */
export const GET_CONFIG_PROBLEMS = defineCatalogue({
  TIPO_NOT_GET: {
    'pt-BR': 'tipo_servico: esperado GET, encontrado {tipo}',
    en: 'tipo_servico: expected GET, found {tipo}',
  },
  SQL_CONSULTA_MISSING: {
    'pt-BR': 'sql_consulta: esperado o SELECT que lê a origem, e está vazio',
    en: 'sql_consulta: expected the SELECT that reads the source, found nothing',
  },
  CURSOR_NOT_A_NAME: {
    'pt-BR': 'campo_cursor: esperado um nome de coluna (letras, dígitos e _), encontrado "{cursor}"',
    en: 'campo_cursor: expected a column name (letters, digits, _), found "{cursor}"',
  },
  MODE_UNKNOWN: {
    'pt-BR': 'modo: esperado completo ou incremental, encontrado "{modo}"',
    en: 'modo: expected completo or incremental, found "{modo}"',
  },
  CURSOR_MISSING: {
    'pt-BR': 'campo_cursor: o modo incremental precisa da coluna de cursor (ex.: DATALT)',
    en: 'campo_cursor: modo incremental needs the cursor column (e.g. DATALT)',
  },
  KEY_NOT_NAMES: {
    'pt-BR': 'chave: esperado nomes de colunas do CRM separados por vírgula, encontrado "{chave}"',
    en: 'chave: expected CRM column names separated by commas, found "{chave}"',
  },
  TABLE_MISSING: {
    'pt-BR': 'tabela: esperado a tabela do CRM que recebe o upsert (uma de {permitidas}) ou sql_insert/sql_update',
    en: 'tabela: expected the CRM table to upsert into (one of {permitidas}) or sql_insert/sql_update',
  },
  TABLE_NOT_ALLOWED: {
    'pt-BR': 'tabela: "{tabela}" não é uma tabela do CRM que um GET grava (esperado uma de {permitidas})',
    en: 'tabela: "{tabela}" is not a CRM table a GET may write (expected one of {permitidas})',
  },
  RECONCILE_HOURS_INVALID: {
    'pt-BR': 'reconciliacao_horas: esperado horas ≥ 0 ou NULL, encontrado {valor}',
    en: 'reconciliacao_horas: expected hours ≥ 0 or NULL, found {valor}',
  },
  RECONCILE_NEEDS_UPSERT: {
    'pt-BR': 'reconciliacao_horas: a reconciliação precisa do upsert embutido em tabela (sem sql_insert/sql_update)',
    en: 'reconciliacao_horas: a reconcile needs the built-in upsert into tabela (without sql_insert/sql_update)',
  },
  CHUNK_SIZE_INVALID: {
    'pt-BR': 'tamanho_lote: esperado de 1 a {maximo} linhas por lote, encontrado {valor}',
    en: 'tamanho_lote: expected rows per chunk from 1 to {maximo}, found {valor}',
  },
  CRM_TABLE_ABSENT: {
    'pt-BR': 'tabela: a tabela "{tabela}" não existe no banco do CRM',
    en: 'tabela: the CRM table "{tabela}" does not exist',
  },
  KEY_NOT_A_COLUMN: {
    'pt-BR': 'chave: "{chave}" não é uma coluna de {tabela}',
    en: 'chave: "{chave}" is not a column of {tabela}',
  },
  KEY_NOT_UNIQUE: {
    'pt-BR': 'chave: {tabela} não tem índice único em (empresa_id, {chave}); crie um ou use a chave id_erp',
    en: 'chave: {tabela} has no unique index on (empresa_id, {chave}); create one or use chave id_erp',
  },
  COLUMN_TWICE: {
    'pt-BR': 'sql_consulta: seleciona "{primeira}" e "{segunda}", que dão nome à mesma coluna do CRM',
    en: 'sql_consulta: selects "{primeira}" and "{segunda}", which name the same CRM column',
  },
  CURSOR_NOT_SELECTED: {
    'pt-BR': 'campo_cursor: "{cursor}" não está entre as colunas do sql_consulta ({colunas})',
    en: 'campo_cursor: "{cursor}" is not among the columns of sql_consulta ({colunas})',
  },
  // The source's own words (its error naming the column) are the detail.
  CURSOR_NOT_IN_SOURCE: {
    'pt-BR': 'campo_cursor: "{cursor}" não está entre as colunas do sql_consulta (a origem diz: {detalhe})',
    en: 'campo_cursor: "{cursor}" is not among the columns of sql_consulta (the source says: {detalhe})',
  },
  ENGINE_COLUMN: {
    'pt-BR': 'sql_consulta: a coluna "{coluna}" é gravada pelo próprio Integrador ({colunas}); remova-a',
    en: 'sql_consulta: column "{coluna}" is written by the engine itself ({colunas}); remove it',
  },
  UNKNOWN_COLUMN: {
    'pt-BR': 'sql_consulta: a coluna "{coluna}" não existe em {tabela} (use como alias uma de: {colunas})',
    en: 'sql_consulta: column "{coluna}" does not exist in {tabela} (alias it to one of: {colunas})',
  },
  KEY_NOT_SELECTED: {
    'pt-BR': 'chave: a coluna de chave "{chave}" não está entre as colunas do sql_consulta ({colunas})',
    en: 'chave: key column "{chave}" is not among the columns of sql_consulta ({colunas})',
  },
  // Its own code (MISSING_CONNECTION, as admission's refusal of a connection row of another empresa): worded the same way.
  CONNECTION_NULL: {
    'pt-BR': 'conexao_integracao_id: esperado a linha de conexao_integracao da origem do ERP a ler, e está vazio',
    en: 'conexao_integracao_id: expected the conexao_integracao row of the ERP source to read, found NULL',
  },
  NOT_A_DATABASE: {
    'pt-BR': 'a conexão "{conexao}" é do tipo {tipo}; um GET lê um banco de dados (tipo database no arquivo de conexões)',
    en: 'conexao "{conexao}" is a {tipo} connection; a GET pull reads a database (tipo database in the connections file)',
  },
});

export type GetConfigProblem = keyof typeof GET_CONFIG_PROBLEMS.table;

/** The key of a GetConfigError's params that names its problem (beside the values its wording fills in). */
const PROBLEM = 'problema';

/**
 * A GET configuration error for one problem (code GET_CONFIG unless `code` says otherwise): its message the English
 * wording (prefixed, for the logs, by `where`: the integracao it is about), its params the problem and the values, for
 * the reader's language.
 */
export function getConfigError(
  problem: GetConfigProblem,
  values: MessageParams = {},
  options: ErrorOptions & { where?: string; code?: 'GET_CONFIG' | 'MISSING_CONNECTION' } = {},
): GetConfigError {
  const { where, code = 'GET_CONFIG', ...errorOptions } = options;
  const text = GET_CONFIG_PROBLEMS.message('en', problem, values);
  return new GetConfigError(code, where ? `${where} ${text}` : text, {
    ...errorOptions,
    params: { ...values, [PROBLEM]: problem },
  });
}

/** The failure codes a GET configuration problem is recorded under. */
const CODES: ReadonlySet<string> = new Set(['GET_CONFIG', 'MISSING_CONNECTION']);

/**
 * A GET configuration failure in the locale, whole (the catalogue's reason for its code, then the problem worded from
 * the values the record keeps); undefined when the values name no known problem (a record written before they were
 * kept, another code).
 */
export function getConfigFailureText(
  locale: Locale,
  code: string | null | undefined,
  params: Readonly<Record<string, string | number>> | null | undefined,
): string | undefined {
  if (!code || !CODES.has(code) || !params) return undefined;
  const problem = getConfigProblemText(locale, params);
  const reason = jobFailureLabel(locale, code);
  return problem === undefined || reason === undefined ? undefined : `${reason}: ${problem}`;
}

/**
 * The problem a GetConfigError's params name, worded in the locale (`tabela: "x" não é…`), or undefined when they name
 * none the catalogue knows or lack one of its values (a value lost would show as its {placeholder}).
 */
export function getConfigProblemText(locale: Locale, params: Readonly<Record<string, string | number>>): string | undefined {
  const problem = params[PROBLEM];
  if (typeof problem !== 'string' || !GET_CONFIG_PROBLEMS.has(problem)) return undefined;
  const names = [...GET_CONFIG_PROBLEMS.table[problem][locale].matchAll(/\{(\w+)\}/g)].map((match) => match[1] as string);
  if (names.some((name) => params[name] === undefined)) return undefined;
  return GET_CONFIG_PROBLEMS.message(locale, problem, params);
}
