import { defineCatalogue, type Locale, type MessageParams } from '@integrador/i18n';

/** What can be wrong in a connections file, worded per locale (ConnectionsProblem.code). */
export type ConnectionsProblemCode =
  | 'MISSING_FIELD'
  | 'MISSING_FIELD_OR_URL'
  | 'MISSING_FIELD_OR_DSN'
  | 'MISSING_ODBC_HOST'
  | 'UNKNOWN_FIELD'
  | 'UNKNOWN_TOP_LEVEL_FIELD'
  | 'EXPECTED'
  | 'EXPECTED_GOT'
  | 'EXPECTED_TIPO'
  | 'EXPECTED_ENTRY_MAPPING'
  | 'EXPECTED_CONNECTIONS_MAPPING'
  | 'EXPECTED_DOCUMENT'
  | 'ODBC_ONLY'
  | 'URL_SCHEME'
  | 'NOT_WITH_URL'
  | 'URL_NOT_FOR_ODBC'
  | 'DSN_WITH_CONNECTION_STRING'
  | 'INVALID_REFERENCE'
  | 'VARIABLE_NOT_SET'
  | 'FILE_NOT_FOUND'
  | 'IS_DIRECTORY'
  | 'PERMISSION_DENIED'
  | 'UNREADABLE';

type FrameCode = 'FILE' | 'LINE' | 'ENTRY' | 'FIELD';

const CATALOGUE = defineCatalogue<ConnectionsProblemCode | FrameCode>({
  FILE: { 'pt-BR': 'arquivo de conexões {file}: ', en: 'connections file {file}: ' },
  LINE: { 'pt-BR': 'linha {line}: ', en: 'line {line}: ' },
  ENTRY: { 'pt-BR': 'conexão "{entry}": ', en: 'connection "{entry}": ' },
  FIELD: { 'pt-BR': 'campo "{field}": ', en: 'field "{field}": ' },
  MISSING_FIELD: { 'pt-BR': 'campo obrigatório ausente', en: 'missing required field' },
  MISSING_FIELD_OR_URL: { 'pt-BR': 'campo obrigatório ausente (ou informe "url")', en: 'missing required field (or give "url")' },
  MISSING_FIELD_OR_DSN: { 'pt-BR': 'campo obrigatório ausente (ou informe "dsn")', en: 'missing required field (or give "dsn")' },
  MISSING_ODBC_HOST: {
    'pt-BR': 'campo obrigatório para o driver odbc (o servidor que a proteção de saída confere), ou defina allowPrivateNetwork: true',
    en: 'missing required field for driver odbc (the server the outbound guard checks), or set allowPrivateNetwork: true',
  },
  UNKNOWN_FIELD: { 'pt-BR': 'campo desconhecido; esperado um de {expected}', en: 'unknown field; expected one of {expected}' },
  UNKNOWN_TOP_LEVEL_FIELD: {
    'pt-BR': 'campo de primeiro nível desconhecido; esperado apenas "connections"',
    en: 'unknown top-level field; expected only "connections"',
  },
  EXPECTED: { 'pt-BR': 'esperado {expected}', en: 'expected {expected}' },
  EXPECTED_GOT: { 'pt-BR': 'esperado {expected}, recebido {got}', en: 'expected {expected}, got {got}' },
  EXPECTED_TIPO: {
    'pt-BR': 'esperado um de {expected} (ou um sinônimo como ws, banco de dados), recebido {got}',
    en: 'expected one of {expected} (or an alias such as ws, banco de dados), got {got}',
  },
  EXPECTED_ENTRY_MAPPING: { 'pt-BR': 'esperado um mapa com o campo "tipo"', en: 'expected a mapping with a "tipo" field' },
  EXPECTED_CONNECTIONS_MAPPING: {
    'pt-BR': 'esperado um mapa de nomes de conexão para conexões',
    en: 'expected a mapping of connection names to connections',
  },
  EXPECTED_DOCUMENT: {
    'pt-BR': 'esperado um mapa com o campo "connections" no primeiro nível, recebido {got}',
    en: 'expected a mapping with a top-level "connections" field, got {got}',
  },
  ODBC_ONLY: { 'pt-BR': 'só para o driver odbc', en: 'only for driver odbc' },
  URL_SCHEME: { 'pt-BR': 'esperada uma URL {schemes} para o driver {driver}', en: 'expected a {schemes} URL for driver {driver}' },
  NOT_WITH_URL: { 'pt-BR': 'não permitido junto com "url" (ponha-o na URL)', en: 'not allowed together with "url" (put it in the URL)' },
  URL_NOT_FOR_ODBC: {
    'pt-BR': 'não usado pelo driver odbc (informe "connectionString" ou "dsn")',
    en: 'not used by driver odbc (give "connectionString" or "dsn")',
  },
  DSN_WITH_CONNECTION_STRING: {
    'pt-BR': 'não permitido junto com "connectionString"',
    en: 'not allowed together with "connectionString"',
  },
  INVALID_REFERENCE: {
    'pt-BR': 'referência inválida "{reference}": os nomes seguem [A-Z_][A-Z0-9_]* (escreva $${ para um ${ literal)',
    en: 'invalid reference "{reference}": names match [A-Z_][A-Z0-9_]* (write $${ for a literal ${)',
  },
  VARIABLE_NOT_SET: {
    'pt-BR': 'a variável de ambiente {name} não está definida (ou está vazia)',
    en: 'environment variable {name} is not set (or is empty)',
  },
  FILE_NOT_FOUND: { 'pt-BR': 'arquivo não encontrado', en: 'file not found' },
  IS_DIRECTORY: { 'pt-BR': 'é um diretório, não um arquivo', en: 'is a directory, not a file' },
  PERMISSION_DENIED: { 'pt-BR': 'permissão negada', en: 'permission denied' },
  UNREADABLE: { 'pt-BR': 'não foi possível ler o arquivo: {detail}', en: 'cannot read the file: {detail}' },
});

/** What a rejected value was, when only its kind is told (a stray scalar could be a pasted secret): `gotKind`. */
export type GotKind = 'nothing' | 'empty-document' | 'list' | 'string' | 'number' | 'boolean' | 'value';

const GOT = defineCatalogue<GotKind>({
  nothing: { 'pt-BR': 'nada', en: 'nothing' },
  'empty-document': { 'pt-BR': 'um documento vazio', en: 'an empty document' },
  list: { 'pt-BR': 'uma lista', en: 'a list' },
  string: { 'pt-BR': 'um texto', en: 'a string' },
  number: { 'pt-BR': 'um número', en: 'a number' },
  boolean: { 'pt-BR': 'um booleano', en: 'a boolean' },
  value: { 'pt-BR': 'um valor', en: 'a value' },
});

/** The kind of a value that is not a mapping, for `gotKind`. */
export function gotKindOf(value: unknown): GotKind {
  if (value === undefined || value === null) return 'nothing';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return typeof value as GotKind;
  return 'value';
}

/**
 * The params worded for a locale: `gotKind` becomes `got`, and pt-BR takes `expectedPt` (the schema's
 * `x-expected-pt`) for `expected` when the problem has one.
 */
function paramsIn(locale: Locale, params: MessageParams): MessageParams {
  const { gotKind, expectedPt, ...rest } = params;
  const worded: Record<string, string | number> = { ...rest };
  if (typeof gotKind === 'string' && GOT.has(gotKind)) worded.got = GOT.message(locale, gotKind);
  if (locale === 'pt-BR' && expectedPt !== undefined) worded.expected = expectedPt;
  return worded;
}

/** A problem's English message (kept on the problem) and its code, for the other locales. */
export function problemText(
  code: ConnectionsProblemCode,
  params: MessageParams = {},
): { code: ConnectionsProblemCode; params: MessageParams; message: string } {
  return { code, params, message: CATALOGUE.message('en', code, paramsIn('en', params)) };
}

/** A code's text in a locale. */
export function connectionsText(locale: Locale, code: ConnectionsProblemCode | FrameCode, params?: MessageParams): string {
  return CATALOGUE.message(locale, code, params && paramsIn(locale, params));
}
