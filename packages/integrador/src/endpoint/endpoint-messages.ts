import { guardRefusalValues } from '@integrador/connections';
import { fillTemplate } from '@integrador/i18n';
import { CRON_SHAPE_TEXTS } from '@integrador/queue';
import type { LintLocale } from '../lint-finding';

type Params = Record<string, string | number>;
type Texts = Record<LintLocale, string>;

const TYPE_NAMES: Record<string, Texts> = {
  string: { 'pt-BR': 'texto', en: 'text' },
  integer: { 'pt-BR': 'inteiro (número ou texto como "342")', en: 'integer (a number or text such as "342")' },
  boolean: { 'pt-BR': 'booleano (true/false, "0"/"1")', en: 'boolean (true/false, "0"/"1")' },
  array: { 'pt-BR': 'lista []', en: 'array []' },
  object: { 'pt-BR': 'objeto {}', en: 'object {}' },
  'object,array': { 'pt-BR': 'objeto {} ou lista []', en: 'object {} or array []' },
};

/** Texts of a record that breaks seed 003's structure. */
const RECORD_ERRORS: Record<string, Texts> = {
  REQUIRED: { 'pt-BR': 'registro {index}: o campo "{field}" é obrigatório', en: 'record {index}: field "{field}" is required' },
  TYPE: {
    'pt-BR': 'registro {index}: o campo "{field}" deve ser {type}, recebido {value}',
    en: 'record {index}: field "{field}" must be {type}, got {value}',
  },
  FORMAT: {
    'pt-BR': 'registro {index}: o campo "{field}" deve seguir o padrão {pattern}, recebido "{value}"',
    en: 'record {index}: field "{field}" must follow the pattern {pattern}, got "{value}"',
  },
  TOO_LONG: {
    'pt-BR': 'registro {index}: o campo "{field}" passa de {max} caracteres',
    en: 'record {index}: field "{field}" is longer than {max} characters',
  },
  OUT_OF_RANGE: {
    'pt-BR': 'registro {index}: o campo "{field}" deve estar entre {min} e {max}',
    en: 'record {index}: field "{field}" must be between {min} and {max}',
  },
  CONTACT_REQUIRED: {
    'pt-BR': 'registro {index}: informe telefonePrincipal ou emailPrincipal (ao menos um é obrigatório)',
    en: 'record {index}: send telefonePrincipal or emailPrincipal (at least one is required)',
  },
  NOT_OBJECT: {
    'pt-BR': 'registro {index}: deve ser um objeto JSON {…}, recebido {got}',
    en: 'record {index}: must be a JSON object {…}, got {got}',
  },
  CONTATO_NOT_FOUND: {
    'pt-BR': 'registro {index}: não há contato com codigo "{codContato}" no CRM; sincronize o contato antes do evento',
    en: 'record {index}: no contato with codigo "{codContato}" in the CRM; sync the contato before its evento',
  },
};

/** Texts of a service's status and of Validate's answers: what happened and what to do next. */
/** How a secret reference is written, shown in messages (a plain string: nothing is interpolated here). */
const REF = ['$', '{NOME}'].join('');

const STATUS_MESSAGES: Record<string, Texts> = {
  TIMEOUT: {
    'pt-BR':
      'o endpoint {url} não respondeu em {seconds} s: a requisição foi cancelada. Reduza a quantidade de registros por chamada ou o tempo de resposta do endpoint',
    en: 'the endpoint {url} did not answer within {seconds} s: the request was cancelled. Send fewer records per call or make the endpoint answer faster',
  },
  TOO_MANY_RECORDS: {
    'pt-BR':
      'o endpoint {url} enviou mais de {limit} registros numa chamada: a requisição foi cancelada. Envie no máximo {limit} registros por chamada',
    en: 'the endpoint {url} sent more than {limit} records in one call: the request was cancelled. Send at most {limit} records per call',
  },
  TOO_LARGE: {
    'pt-BR': 'a resposta de {url} passou de {limit} bytes: a requisição foi cancelada. Envie menos registros por chamada',
    en: 'the response of {url} exceeded {limit} bytes: the request was cancelled. Send fewer records per call',
  },
  HTTP_UNAUTHORIZED: {
    'pt-BR': 'o endpoint {url} recusou a autenticação (HTTP {status}). Confira o tipo de autenticação, o usuário e o segredo do serviço',
    en: 'the endpoint {url} refused the authentication (HTTP {status}). Check the service’s authentication type, user and secret',
  },
  HTTP_NOT_FOUND: {
    'pt-BR': 'o endpoint {url} não existe (HTTP {status}). Confira a URL do tipo de evento',
    en: 'the endpoint {url} does not exist (HTTP {status}). Check the URL of the event type',
  },
  HTTP_ERROR: {
    'pt-BR': 'o endpoint {url} respondeu HTTP {status} {detail}. Corrija o endpoint ou tente de novo mais tarde',
    en: 'the endpoint {url} answered HTTP {status} {detail}. Fix the endpoint or try again later',
  },
  NOT_JSON: {
    'pt-BR': 'a resposta de {url} não é JSON ({detail}). O endpoint deve devolver uma lista JSON de registros',
    en: 'the response of {url} is not JSON ({detail}). The endpoint must answer a JSON array of records',
  },
  NOT_ARRAY: {
    'pt-BR': 'a resposta de {url} é um {got} JSON. O endpoint deve devolver uma lista [ … ] de registros',
    en: 'the response of {url} is a JSON {got}. The endpoint must answer an array [ … ] of records',
  },
  UNREACHABLE: {
    'pt-BR': 'não foi possível conectar a {url} ({code}). Confira a URL e se o sistema de origem está no ar',
    en: 'could not connect to {url} ({code}). Check the URL and whether the source system is up',
  },
  OUTBOUND_FORBIDDEN: {
    'pt-BR':
      'a proteção de saída do hub recusou o endereço de {url}, interno ({range}), e o sistema de origem nem foi chamado. Use um endereço público; senão, {opening} (só o operador libera)',
    en: "the hub's outbound guard refused the address of {url}, an internal one ({range}), and the source system was not contacted. Use a public address; otherwise {opening} (only the operator can allow it)",
  },
  ABORTED: {
    'pt-BR': 'a chamada a {url} foi interrompida (o worker está encerrando); ela será tentada de novo',
    en: 'the call to {url} was interrupted (the worker is shutting down); it will be tried again',
  },
  SECRET_MISSING: {
    'pt-BR': 'o segredo {ref} do serviço não está disponível no worker (variável de ambiente {variable}). Peça ao operador para defini-la',
    en: 'the service’s secret {ref} is not available to the worker (environment variable {variable}). Ask the operator to set it',
  },
  INPUT_URL: {
    'pt-BR': 'deve ser uma URL http:// ou https://, recebido "{value}"',
    en: 'must be an http:// or https:// URL, got "{value}"',
  },
  INPUT_URL_CREDENTIALS: {
    'pt-BR': 'não pode trazer usuário ou senha na URL; use autenticacao, usuario e segredo',
    en: 'must not carry a user or password in the URL; use autenticacao, usuario and segredo',
  },
  INPUT_URL_DYNAMIC: {
    'pt-BR': 'deve ser fixa, sem parâmetros dinâmicos (#var#, {param}, {ref}), recebido "{value}"',
    en: 'must be fixed, without dynamic parameters (#var#, {param}, {ref}), got "{value}"',
  },
  INPUT_URL_ORIGIN: {
    'pt-BR': 'deve ficar no mesmo endereço da URL base ({origin}), recebido {value}',
    en: 'must stay on the URL base’s origin ({origin}), got {value}',
  },
  INPUT_TIPO_REPEATED: { 'pt-BR': 'o tipo de evento "{tipo}" aparece mais de uma vez', en: 'event type "{tipo}" appears more than once' },
  INPUT_AUTH_REQUIRED: { 'pt-BR': 'é obrigatório com autenticacao "{autenticacao}"', en: 'is required with autenticacao "{autenticacao}"' },
  INPUT_AUTH_UNUSED: { 'pt-BR': 'não se usa com autenticacao "{autenticacao}"', en: 'is not used with autenticacao "{autenticacao}"' },
  INPUT_SECRET_REFERENCE: {
    'pt-BR': 'deve ser uma referência {ref} (A-Z, 0-9, _) a um segredo que o operador define, nunca o próprio segredo',
    en: 'must be a {ref} reference (A-Z, 0-9, _) to a secret the operator sets, never the secret itself',
  },
  INPUT_CRON: {
    'pt-BR': 'cron "{value}" inválido ({detail}); esperado um padrão como "0 */6 * * *" (minuto hora dia mês dia-da-semana)',
    en: 'invalid cron "{value}" ({detail}); expected a pattern such as "0 */6 * * *" (minute hour day month weekday)',
  },
  // A cron's shape refused (cronShapeProblem, @integrador/queue): its wording inside INPUT_CRON's.
  ...Object.fromEntries(
    Object.entries(CRON_SHAPE_TEXTS.table).map(([code, text]) => [
      code,
      {
        'pt-BR': `cron "{value}" inválido (${text['pt-BR']}); esperado um padrão como "0 */6 * * *" (minuto hora dia mês dia-da-semana)`,
        en: `invalid cron "{value}" (${text.en}); expected a pattern such as "0 */6 * * *" (minute hour day month weekday)`,
      },
    ]),
  ),
  // A write the CRM refused (isStatementError, as the database GET's GET_WRITE_FAILED): with the record it refused when
  // one alone is (its index, and its codigo / codRegistro when it has one), else the statement's own refusal.
  GET_WRITE_FAILED: {
    'pt-BR':
      'o CRM recusou o registro {registro} ("{chave}") de {url} ao gravar {tabela} ({detail}); tentar de novo não muda nada: corrija o dado no endpoint',
    en: 'the CRM refused record {registro} ("{chave}") of {url} writing {tabela} ({detail}); retrying changes nothing: fix the data at the endpoint',
  },
  GET_WRITE_FAILED_RECORD: {
    'pt-BR':
      'o CRM recusou o registro {registro} de {url} ao gravar {tabela} ({detail}); tentar de novo não muda nada: corrija o dado no endpoint',
    en: 'the CRM refused record {registro} of {url} writing {tabela} ({detail}); retrying changes nothing: fix the data at the endpoint',
  },
  GET_WRITE_FAILED_STATEMENT: {
    'pt-BR':
      'o CRM recusou a gravação de {tabela} com os registros de {url} ({detail}); tentar de novo não muda nada: confira a tabela no CRM',
    en: 'the CRM refused writing {tabela} with the records of {url} ({detail}); retrying changes nothing: check the table in the CRM',
  },
  SERVICE_NOT_FOUND: { 'pt-BR': 'o serviço #{id} não existe (ou foi apagado)', en: 'service #{id} does not exist (or was deleted)' },
  SERVICE_INACTIVE: {
    'pt-BR': 'o serviço #{id} está inativo; ative-o para sincronizar',
    en: 'service #{id} is inactive; activate it to sync',
  },
  SYNC_OK: {
    'pt-BR': '{written} de {received} registros gravados ({invalid} inválidos)',
    en: '{written} of {received} records written ({invalid} invalid)',
  },
  VALID_OK: {
    'pt-BR': 'integração funcionando: {received} registros de {tipo} recebidos, todos válidos',
    en: 'the integration works: {received} {tipo} records received, all valid',
  },
  VALID_EMPTY: {
    'pt-BR': 'o endpoint respondeu uma lista vazia: a conexão funciona, mas não há registros de {tipo} para validar',
    en: 'the endpoint answered an empty array: the connection works, but there are no {tipo} records to validate',
  },
  VALID_WITH_ERRORS: {
    'pt-BR': '{invalid} de {received} registros não seguem a estrutura de {tipo}. Corrija os campos indicados nos erros',
    en: '{invalid} of {received} records do not follow the {tipo} structure. Fix the fields the errors name',
  },
};

/** A record error's text in a locale. */
export function recordErrorMessage(locale: LintLocale, error: { index: number; field: string; code: string; params: Params }): string {
  const template = RECORD_ERRORS[error.code]?.[locale] ?? error.code;
  const type = TYPE_NAMES[String(error.params.type)]?.[locale] ?? error.params.type;
  return fillTemplate(template, { ...error.params, ...(type === undefined ? {} : { type }), index: error.index, field: error.field });
}

/** A status / Validate code's text in a locale (an outbound-guard range, OUTBOUND_FORBIDDEN's, worded in it). */
export function statusMessage(locale: LintLocale, code: string, params: Params): string {
  const template = STATUS_MESSAGES[wordingOf(code, params)]?.[locale] ?? code;
  const worded = typeof params.range === 'string' ? { ...params, ...guardRefusalValues(locale, params.range) } : params;
  return fillTemplate(template, { ref: REF, ...worded }).replace(/\s+\./g, '.');
}

/** GET_WRITE_FAILED's wording by what is known: the record and its key, the record only, or neither. */
function wordingOf(code: string, params: Params): string {
  if (code !== 'GET_WRITE_FAILED') return code;
  if (params.registro === undefined) return 'GET_WRITE_FAILED_STATEMENT';
  return params.chave === undefined ? 'GET_WRITE_FAILED_RECORD' : code;
}

/** An endpoint sync failure's text in a locale from its code and values; undefined for a code the endpoint engine does not word. */
export function endpointFailureText(locale: LintLocale, code: string, params: Params): string | undefined {
  // GET_WRITE_FAILED is the database GET's code too (worded by the job catalogue); the endpoint's carries its URL.
  if (code === 'GET_WRITE_FAILED' && typeof params.url !== 'string') return undefined;
  return STATUS_MESSAGES[code] ? statusMessage(locale, code, params) : undefined;
}
