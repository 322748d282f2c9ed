import { addressRangeText, isLoopbackRange } from '@integrador/connections';
import { type Catalogue, defineCatalogue, type Locale } from '@integrador/i18n';
import { jobFailureText } from '@integrador/queue';
import type { SourceErrorCode } from '../source-errors';

/** The connection test speaks pt-BR by default and English on request. */
export type TestLocale = Locale;

/** Values a message may name; never the password. */
export type MessageParams = Readonly<Record<string, string | number | undefined>>;

/** What was tested: a customer's database, a Senior G5 web service, or an API base URL (the hints differ). */
export type TestedKind = 'database' | 'webservice' | 'http';

// Each failure says what to fix and who can fix it (the customer's IT, seed 000: firewall, credentials).
const FAILURES = defineCatalogue<SourceErrorCode>({
  ADDRESS_FORBIDDEN: {
    'pt-BR':
      'o endereço {host} é interno ({range}) e a conexão não permite: se o ERP está na rede local, defina allowPrivateNetwork: true na conexão "{name}"',
    en: 'address {host} is internal ({range}) and the connection does not allow it: if the ERP is on the local network, set allowPrivateNetwork: true on connection "{name}"',
  },
  HOST_UNREACHABLE: {
    'pt-BR': 'o servidor {host} não foi encontrado ou não responde ({detail}): confira o nome/IP do host na conexão e o DNS',
    en: 'server {host} was not found or does not answer ({detail}): check the host name/IP in the connection and DNS',
  },
  PORT_CLOSED: {
    'pt-BR':
      'o servidor {host} recusou a conexão na porta {port}: confira a porta, se o serviço do banco está no ar e se o firewall libera o acesso',
    en: 'server {host} refused the connection on port {port}: check the port, that the database service is running and that the firewall allows access',
  },
  TIMEOUT: {
    'pt-BR':
      'sem resposta de {host}:{port} em {timeoutMs} ms: um firewall provavelmente descarta os pacotes; peça à TI do cliente a liberação do IP do CRM',
    en: "no answer from {host}:{port} within {timeoutMs} ms: a firewall probably drops the packets; ask the customer's IT to allow the CRM's IP",
  },
  TLS_FAILED: {
    'pt-BR':
      'a negociação TLS com {host} falhou ({detail}): confira as opções de TLS/certificado da conexão (ssl, encrypt, trustServerCertificate)',
    en: "the TLS handshake with {host} failed ({detail}): check the connection's TLS/certificate options (ssl, encrypt, trustServerCertificate)",
  },
  LOGIN_REFUSED: {
    'pt-BR': 'o banco recusou o login do usuário "{user}" ({detail}): confira usuário e senha (e se o usuário tem acesso ao banco)',
    en: 'the database refused the login of user "{user}" ({detail}): check user and password (and that the user may access the database)',
  },
  DATABASE_MISSING: {
    'pt-BR':
      'o banco "{database}" não existe em {host} ou não pode ser aberto ({detail}): confira o nome do banco (Oracle: o service name; Firebird: o caminho do arquivo)',
    en: 'database "{database}" does not exist on {host} or cannot be opened ({detail}): check the database name (Oracle: the service name; Firebird: the file path)',
  },
  QUERY_FAILED: {
    'pt-BR': 'o login funcionou, mas a consulta de teste falhou ({detail}): confira as permissões do usuário "{user}"',
    en: 'login worked but the test query failed ({detail}): check the permissions of user "{user}"',
  },
  CONNECTION_FAILED: {
    'pt-BR': 'a conexão com {host} falhou ({detail})',
    en: 'the connection to {host} failed ({detail})',
  },
});

/**
 * A web service's login step that could not reach its service's WSDL, the address answering with a status: the status
 * is the only detail (`HTTP 503`), never the transport's English text nor a credential.
 */
export type WebServiceFailureCode = 'WSDL_UNAVAILABLE' | 'WSDL_UNAUTHORIZED';

const WEB_SERVICE_FAILURES = defineCatalogue<WebServiceFailureCode>({
  WSDL_UNAVAILABLE: {
    'pt-BR':
      'o serviço de clientes do Senior G5 em {host} ({path}) não entregou o WSDL ({detail}), e o login não pôde ser verificado: confira se o serviço web do ERP está no ar e tente de novo; se persistir, peça à TI do cliente que verifique o servidor',
    en: "the Senior G5 customer service at {host} ({path}) did not serve its WSDL ({detail}), so the login could not be checked: check that the ERP's web service is up and try again; if it persists, ask the customer's IT to check the server",
  },
  WSDL_UNAUTHORIZED: {
    'pt-BR':
      '{host} recusou o acesso ao WSDL do serviço de clientes do Senior G5 ({path}: {detail}), e o login não pôde ser verificado: o hub pede o WSDL sem usuário e senha (o login do Senior G5 vai dentro de cada chamada); peça à TI do cliente que libere esse endereço ao IP do CRM, ou confira se a URL da conexão aponta para o serviço web e não para um proxy que exige login',
    en: "{host} refused access to the WSDL of the Senior G5 customer service ({path}: {detail}), so the login could not be checked: the hub asks for the WSDL without a user or password (the Senior G5 login goes inside each call); ask the customer's IT to open that address to the CRM's IP, or check that the connection's URL points at the web service and not at a proxy that requires a login",
  },
});

// A web service or API is tested only for reachability and TLS: the hints that name the database's service or its
// driver options (ssl, encrypt…) read otherwise for it.
// A refusal of the hub's own machine (loopback): allowPrivateNetwork alone does not open it (OutboundAddressError).
const LOOPBACK_FAILURES = defineCatalogue<Extract<SourceErrorCode, 'ADDRESS_FORBIDDEN'>>({
  ADDRESS_FORBIDDEN: {
    'pt-BR':
      'o endereço {host} fica na máquina do próprio hub ({range}), onde escuta o que só ele alcança (um Redis ou PostgreSQL local, as métricas): a conexão "{name}" só o alcança com allowPrivateNetwork: true e a escolha do operador OUTBOUND_ALLOW_LOOPBACK=true',
    en: 'address {host} is on the hub\'s own machine ({range}), where what it alone reaches listens (a local Redis or PostgreSQL, the metrics): connection "{name}" reaches it only with allowPrivateNetwork: true and the operator\'s OUTBOUND_ALLOW_LOOPBACK=true',
  },
});

const HTTP_FAILURES = defineCatalogue<Extract<SourceErrorCode, 'PORT_CLOSED' | 'TLS_FAILED'>>({
  PORT_CLOSED: {
    'pt-BR':
      'o servidor {host} recusou a conexão na porta {port}: confira a porta na URL da conexão, se o serviço web está no ar e se o firewall libera o acesso',
    en: "server {host} refused the connection on port {port}: check the port in the connection's URL, that the web service is running and that the firewall allows access",
  },
  TLS_FAILED: {
    'pt-BR': 'a negociação TLS com {host} falhou ({detail}): confira se a URL da conexão deve ser https e o certificado do serviço',
    en: "the TLS handshake with {host} failed ({detail}): check that the connection's URL should be https and the service's certificate",
  },
});

export type SuccessKey =
  | 'reachability'
  | 'file'
  | 'tls'
  | 'login'
  | 'loginDsn'
  | 'loginWebService'
  | 'loginNotChecked'
  | 'query'
  | 'version'
  | 'versionUnknown';

const SUCCESSES = defineCatalogue<SuccessKey>({
  reachability: { 'pt-BR': '{host} aceitou a conexão na porta {port}', en: '{host} accepted the connection on port {port}' },
  file: { 'pt-BR': 'o arquivo {database} existe e pode ser lido', en: 'file {database} exists and can be read' },
  tls: { 'pt-BR': 'TLS negociado com {host}', en: 'TLS negotiated with {host}' },
  login: {
    'pt-BR': 'login aceito para o usuário "{user}" no banco "{database}"',
    en: 'login accepted for user "{user}" on database "{database}"',
  },
  loginDsn: {
    'pt-BR': 'login aceito pela fonte ODBC (DSN ou cadeia de conexão da entrada)',
    en: "login accepted by the ODBC source (the entry's DSN or connection string)",
  },
  loginWebService: {
    'pt-BR': 'o ERP aceitou o login do usuário "{user}" (obterCliente do serviço de clientes, uma consulta que não altera nada)',
    en: 'the ERP accepted the login of user "{user}" (obterCliente of the customer service, a query that changes nothing)',
  },
  // Said, not passed silently: the steps above it are all that was checked (trial M1).
  loginNotChecked: {
    'pt-BR': 'login não verificado: {host} não tem o serviço de clientes do Senior G5 ({path}); só o alcance do endereço foi verificado',
    en: "login not checked: {host} has no Senior G5 customer service ({path}); only the address's reachability was checked",
  },
  query: { 'pt-BR': 'a consulta de teste ({sql}) respondeu', en: 'the test query ({sql}) answered' },
  version: { 'pt-BR': 'versão do servidor: {version}', en: 'server version: {version}' },
  versionUnknown: {
    'pt-BR': 'versão do servidor: o driver ODBC não informa (defina options.versionQuery na entrada para perguntá-la ao servidor)',
    en: "server version: the ODBC driver does not tell (set the entry's options.versionQuery to ask the server)",
  },
});

/**
 * A code's text through its catalogue, a value the test could not learn (no port of a DSN, no version) reading as `?`:
 * every placeholder of the template gets one.
 */
function render<Code extends string>(catalogue: Catalogue<Code>, locale: TestLocale, code: Code, params: MessageParams): string {
  const values: Record<string, string | number> = {};
  for (const [, name] of catalogue.table[code][locale].matchAll(/\{(\w+)\}/g)) values[name as string] = params[name as string] ?? '?';
  return catalogue.message(locale, code, values);
}

/**
 * The message of a failure, in the locale, with the hint that fits what was tested; the outbound guard's range (`range`,
 * OutboundAddressError's) worded as every refusal words it.
 */
export function failureMessage(
  code: SourceErrorCode | WebServiceFailureCode,
  locale: TestLocale,
  given: MessageParams,
  kind: TestedKind,
): string {
  if (WEB_SERVICE_FAILURES.has(code)) return render(WEB_SERVICE_FAILURES, locale, code, given);
  // The ERP refusing a web service's login reads as a push refused for it does (RECEPTOR_LOGIN_REFUSED), its words after.
  if (kind === 'webservice' && code === 'LOGIN_REFUSED') {
    const detail = String(given.detail ?? '');
    return jobFailureText(locale, 'RECEPTOR_LOGIN_REFUSED', detail, { conexao: String(given.name ?? '?'), rawDetail: detail });
  }
  const params = typeof given.range === 'string' ? { ...given, range: addressRangeText(locale, given.range) } : given;
  if (code === 'ADDRESS_FORBIDDEN' && typeof given.range === 'string' && isLoopbackRange(given.range))
    return render(LOOPBACK_FAILURES, locale, code, params);
  return kind !== 'database' && HTTP_FAILURES.has(code)
    ? render(HTTP_FAILURES, locale, code, params)
    : render(FAILURES, locale, code, params);
}

// A step past a reachability that worked (the port accepted the connection) timing out: no firewall dropping packets,
// but a server that took the connection and did not finish (overloaded, or TLS/a pooler such as pgbouncer on the way).
const ACCEPTED_TIMEOUT = defineCatalogue({
  TIMEOUT: {
    'pt-BR':
      '{host}:{port} aceitou a conexão, mas não concluiu o login em {timeoutMs} ms: servidor sobrecarregado, ou TLS/pgbouncer no caminho; tente de novo e, se persistir, confira a carga do servidor e as opções de TLS da conexão',
    en: "{host}:{port} accepted the connection but did not finish the login within {timeoutMs} ms: an overloaded server, or TLS/pgbouncer on the way; try again and, if it persists, check the server's load and the connection's TLS options",
  },
});

/** A login (or later step) timing out after the port accepted the connection: its own words, not the firewall's. */
export function acceptedTimeoutMessage(locale: TestLocale, params: MessageParams): string {
  return render(ACCEPTED_TIMEOUT, locale, 'TIMEOUT', params);
}

/** The message of a step that worked, in the locale. */
export function successMessage(key: SuccessKey, locale: TestLocale, params: MessageParams): string {
  return render(SUCCESSES, locale, key, params);
}
