import { defineCatalogue, type Locale } from '@integrador/i18n';
import { recordKeyText } from './record-key-text';

const OTHER_TENANT = {
  'pt-BR': 'a integração tentou ler ou gravar dados de outra empresa; nada foi gravado',
  en: "the integration tried to read or write another empresa's data; nothing was written",
} as const;

/**
 * Why a job failed, per error code, as a user reads it: the one wording of the codes the workers record in
 * registro_jobs.erro_codigo (the job recorder takes an error's `code`, or its cause's), for the CLI's `run --wait`,
 * the dashboard and the ingress's job status alike. The error's own message (English, technical) stays the detail:
 * these texts say what happened and what to check, never the values (the message has them). A code not listed here
 * is shown by its message as is.
 *
 * Codes come from the engine packages: transports (receptor), connections, integrador (SET/GET/endpoint runs),
 * sources (network errno codes of a source or of the CRM), cti (PBX), webhooks, queue and jobs.
 */
/**
 * The codes of a job waiting on purpose (their wordings say "não é uma falha"): no failure, so a search for a failure's
 * words ("falha", "failure") does not take them (failureCodesMatching); the state filter finds waiting jobs.
 */
const WAIT_CODES: ReadonlySet<string> = new Set(['JOB_DELAYED', 'TENANT_PAUSED', 'GET_RUN_BUSY', 'SET_RECORD_IN_FLIGHT']);

/**
 * The connection the integration names (ConnectionNotFoundError's / ConnectionForbiddenError's params): only that
 * name, never the file's other connections (other customers'). A record without it reads the same words without it.
 */
const CONNECTION_REASONS = {
  CONNECTION_NOT_FOUND: {
    'pt-BR':
      'a conexão {connection} da integração não está definida para os workers (confira se eles foram iniciados com CONNECTIONS_FILE e se o arquivo define essa conexão)',
    en: "the integration's connection {connection} is not defined for the workers (check that they were started with CONNECTIONS_FILE and that the file defines this connection)",
  },
  CONNECTION_FORBIDDEN: {
    'pt-BR': 'a conexão {connection} da integração é restrita a outra empresa (confira conexao_integracao)',
    en: "the integration's connection {connection} is restricted to another empresa (check conexao_integracao)",
  },
} as const;

/** A catalogue's texts with one value's placeholder (and the space before it) left out: their plain form. */
function withoutValue<Code extends string>(
  table: Readonly<Record<Code, Readonly<Record<Locale, string>>>>,
  name: string,
): Record<Code, Record<Locale, string>> {
  const drop = (text: string) => text.replaceAll(` {${name}}`, '');
  return Object.fromEntries(
    Object.entries<Readonly<Record<Locale, string>>>(table).map(([code, texts]) => [
      code,
      { 'pt-BR': drop(texts['pt-BR']), en: drop(texts.en) },
    ]),
  ) as Record<Code, Record<Locale, string>>;
}

/**
 * An ERP's answer refusing the login itself (Senior G5's whole answer "Usuário ou senha inválidos"), in pt-BR or
 * English: a push's RECEPTOR_LOGIN_REFUSED and a web-service connection test read it alike. The answer as a whole, so a
 * record-level refusal that only mentions a password ("A senha inválida do usuário do portal…", an ERP validating a
 * field) stays the record's own refusal.
 */
export const RECEPTOR_LOGIN_REFUSAL =
  /^\s*(?:usu[aá]rio ou senha inv[aá]lid[oa]s?|invalid (?:user(?:name)? or password|credentials))\s*[.!]?\s*$/i;

export const JOB_FAILURE_REASONS = defineCatalogue({
  // Not failures: a job moved to delayed on purpose waits without using an attempt (delayed-reason.ts).
  JOB_DELAYED: {
    'pt-BR': 'adiado: o job espera para rodar mais tarde, sem gastar uma tentativa (não é uma falha)',
    en: 'delayed: the job waits to run later, without using an attempt (not a failure)',
  },
  TENANT_PAUSED: {
    'pt-BR': 'adiado: a empresa está pausada; o job roda quando ela for retomada (não é uma falha)',
    en: 'delayed: the tenant is paused; the job runs once it is resumed (not a failure)',
  },
  GET_RUN_BUSY: {
    'pt-BR': 'adiado: outra execução desta integração está em andamento; o job roda quando ela terminar (não é uma falha)',
    en: 'delayed: another run of this integration is under way; the job runs once it ends (not a failure)',
  },
  SET_RECORD_IN_FLIGHT: {
    'pt-BR': 'adiado: outro job desta integração está enviando o mesmo registro; o job roda quando ele terminar (não é uma falha)',
    en: 'delayed: another job of this integration is sending the same record; the job runs once it ends (not a failure)',
  },
  // Receptor (SET pushes, INFO queries): transports' errors.
  TRANSPORT_TRANSIENT: {
    'pt-BR': 'o sistema receptor não respondeu a tempo ou está indisponível',
    en: 'the receptor did not answer in time or is unavailable',
  },
  RECEPTOR_REJECTED: {
    'pt-BR': 'o sistema receptor recusou a requisição (confira usuário, senha e os dados enviados)',
    en: 'the receptor refused the request (check the user, the password and the data sent)',
  },
  // The ERP answered with its own error (Senior's erroExecucao, a return key): its words are the detail.
  RECEPTOR_ERROR: { 'pt-BR': 'o ERP recusou o registro', en: 'the ERP refused the record' },
  // The ERP refused the connection's login (its answer says so): the password of the connection, read at the workers' start.
  RECEPTOR_LOGIN_REFUSED: {
    'pt-BR':
      'o ERP recusou o login da conexão: confira o usuário e a senha dela (no arquivo de conexões ou na variável de ambiente que ele referencia, lidos quando a frota inicia: corrija e reinicie a frota)',
    en: "the ERP refused the connection's login: check its user and password (in the connections file or the environment variable it references, read when the fleet starts: fix it and restart the fleet)",
  },
  // Not a refusal: the answer says nothing failed but lacks indice_array_retorno, so nothing can be written back.
  RETURN_ARRAY_NOT_FOUND: {
    'pt-BR':
      'a resposta do sistema receptor não tem o array de retorno configurado (indice_array_retorno): confira a configuração da integração e a estrutura que ela envia (campo_crm)',
    en: "the receptor's answer lacks the configured return array (indice_array_retorno): check the integration's configuration and the structure it sends (campo_crm)",
  },
  RESPONSE_TOO_LARGE: {
    'pt-BR': 'a resposta do sistema receptor passa do limite de tamanho',
    en: "the receptor's answer is over the size limit",
  },
  OUTCOME_UNKNOWN: {
    'pt-BR': 'não se sabe se o ERP gravou o registro: confira no ERP antes de reprocessar',
    en: 'it is unknown whether the ERP saved the record: check in the ERP before retrying',
  },
  // Another job sent the record and ended before concluding it: not sent by this job, to avoid a duplicate.
  SET_RECORD_UNRESOLVED: {
    'pt-BR':
      'registro não enviado para não duplicá-lo: outro job o enviou e terminou sem concluí-lo (a resposta do ERP não foi lida ou não foi gravada no CRM); confira no ERP, reprocesse aquele job e depois este',
    en: "record not sent, to avoid a duplicate: another job sent it and ended without concluding it (the ERP's answer was not read or not written to the CRM); check in the ERP, retry that job, then this one",
  },
  // Another job sent the record and no longer exists (discarded, cleaned up): a retry of this job takes it over.
  SET_RECORD_ORPHANED: {
    'pt-BR':
      'registro não enviado: o job que o enviou sem concluí-lo não existe mais (descartado ou removido) e o ERP pode tê-lo; confira no ERP e reprocesse este job, que assume o registro',
    en: 'record not sent: the job that sent it without concluding it no longer exists (discarded or removed) and the ERP may have it; check in the ERP, then retry this job, which takes the record over',
  },
  // An earlier push was accepted and nothing written back (its answer lacked a key sql_update uses): not sent again.
  SET_RECORD_HELD: {
    'pt-BR':
      'registro não reenviado para não duplicá-lo: o ERP já o aceitou e nada foi gravado no CRM (faltou uma chave do sql_update); corrija indice_valor_retorno / sql_update ou reprocesse o job',
    en: 'record not resent, to avoid a duplicate: the ERP accepted it and nothing was written to the CRM (a key sql_update uses was missing); correct indice_valor_retorno / sql_update or retry the job',
  },
  WRITE_BACK_FAILED: {
    'pt-BR': 'o ERP aceitou o registro, mas gravar a resposta dele no CRM falhou',
    en: 'the ERP accepted the record, but writing its answer back to the CRM failed',
  },
  // The ERP's answer would give a record a value (codCli → id_erp) another record of the CRM already holds under a unique
  // key: permanent, the ERP answers the same code again. The detail names the values and the record.
  WRITE_BACK_DUPLICATE: {
    'pt-BR':
      'a atualização (sql_update) repete em outro registro um valor de uma chave única do CRM (o detalhe diz qual): corrija o cadastro duplicado antes de reprocessar',
    en: 'the write-back (sql_update) repeats a value of a unique key of the CRM held by another record (the detail names the key): fix the duplicate record before retrying',
  },
  TRANSPORT_INVALID_INTEGRATION: {
    'pt-BR': 'o link ou a operação da integração não serve para a conexão dela',
    en: "the integration's link or operation does not fit its connection",
  },
  // The hub's own guard, not the receiver, refused: a configuration fault the detail names the setting of.
  OUTBOUND_ADDRESS_FORBIDDEN: {
    'pt-BR':
      'a proteção de saída do hub recusou o endereço de destino (rede não pública) e o sistema de destino nem foi chamado: o detalhe diz qual configuração o abre',
    en: "the hub's outbound guard refused the destination address (a non-public network) and the destination system was not contacted: the detail names the setting that opens it",
  },

  // Connections (the workers' connections file).
  // One code whether the workers have no connections file or a file without this connection: the detail says which.
  // Worded once (CONNECTION_REASONS, with the connection's name); a row without the name reads it without.
  ...withoutValue(CONNECTION_REASONS, 'connection'),
  MISSING_CONNECTION: {
    'pt-BR': 'a integração não tem conexão configurada (conexao_integracao)',
    en: 'the integration has no connection configured (conexao_integracao)',
  },

  // An integration's configuration or data (integrador's SET runs).
  INTEGRATION_NOT_FOUND: {
    'pt-BR': 'a integração não existe nesta empresa',
    en: 'the integration does not exist in this empresa',
  },
  MISSING_PORTA_WS: {
    'pt-BR': 'a integração não diz qual operação SOAP chamar (porta_ws)',
    en: 'the integration does not say which SOAP operation to call (porta_ws)',
  },
  CONSULTA_FAILED: {
    'pt-BR': 'a consulta da integração falhou no banco de dados do CRM',
    en: "the integration's query failed on the CRM database",
  },
  NO_RECORDS: {
    'pt-BR': 'a consulta da integração não encontrou nenhum registro para os parâmetros informados',
    en: "the integration's query found no record for the given parameters",
  },
  MISSING_VARIABLE: {
    'pt-BR': 'falta um valor que a requisição da integração usa',
    en: "a value the integration's request uses is missing",
  },
  DEPENDENCY_UNRESOLVED: {
    'pt-BR': 'uma dependência obrigatória da integração ficou sem valor',
    en: 'a required dependency of the integration has no value',
  },
  DEPENDENCY_CONFIG: {
    'pt-BR': 'uma dependência da integração está mal configurada',
    en: 'a dependency of the integration is misconfigured',
  },
  RULE_VIOLATION: {
    'pt-BR': 'um valor do registro não cumpre uma regra da integração',
    en: "a value of the record breaks one of the integration's rules",
  },
  INVALID_CAMPO_CRM: {
    'pt-BR': 'o mapeamento de campos da integração (campo_crm) é inválido',
    en: "the integration's field mapping (campo_crm) is invalid",
  },
  TYPOGRAPHIC_QUOTES: {
    'pt-BR': 'a consulta da integração tem aspas tipográficas (“ ”): use aspas retas (")',
    en: 'the integration\'s query has typographic quotes (“ ”): use straight quotes (")',
  },
  MALFORMED_JSON: {
    'pt-BR': 'a consulta da integração não é um JSON válido',
    en: "the integration's query is not valid JSON",
  },
  RECORD_KEY_TOO_LONG: {
    'pt-BR': 'o id de um registro da consulta é longo demais para o controle de envios (até cerca de 170 caracteres); nada foi enviado',
    en: 'a record id of the consulta is too long for the outbox (about 170 characters at most); nothing was sent',
  },
  UNRESOLVED_WRITE_BACK_VARIABLE: {
    'pt-BR': 'o sql_update da integração usa uma variável que ninguém fornece; nada foi enviado',
    en: "the integration's sql_update uses a variable nothing provides; nothing was sent",
  },
  // The tenant guard's refusal (a run's query) and a row of another tenant met by a run.
  TENANT_SCOPE: OTHER_TENANT,
  FOREIGN_ROW: OTHER_TENANT,

  // GET pulls from a source database.
  SOURCE_QUERY_FAILED: {
    'pt-BR': 'a consulta SQL da integração (sql_consulta) falhou no banco de origem',
    en: "the integration's SQL query (sql_consulta) failed on the source database",
  },
  GET_CONFIG: {
    'pt-BR': 'a integração GET está mal configurada',
    en: 'the GET integration is misconfigured',
  },
  // A SET whose configuration lint finds an error every run of it fails on (admission's SET_CONFIG, when a worker takes
  // a job queued before the row broke).
  SET_CONFIG: {
    'pt-BR': 'a integração SET está mal configurada',
    en: 'the SET integration is misconfigured',
  },
  // A source login refused for a definition the connections file has replaced since (GET's SourceDefinitionReplacedError).
  CONNECTION_REPLACED: {
    'pt-BR': 'a conexão mudou no arquivo de conexões enquanto a execução a usava: a próxima tentativa usa a definição nova',
    en: 'the connection changed in the connections file while the run used it: the next attempt uses the new definition',
  },
  // A run that reached a worker shutting down (its source readers closed, GET's SourceReadersClosedError): nothing was
  // read, another attempt runs it.
  SOURCE_READERS_CLOSED: {
    'pt-BR': 'o worker estava encerrando e não abriu a conexão com a origem: nada foi lido; a próxima tentativa executa a integração',
    en: 'the worker was shutting down and did not open the connection to the source: nothing was read; the next attempt runs the integration',
  },
  // A source's refusal, classified as `connections test` does (packages/sources).
  LOGIN_REFUSED: {
    'pt-BR': 'o banco de origem (ERP) recusou o login: confira o usuário e a senha da conexão',
    en: "the source (ERP) database refused the login: check the connection's user and password",
  },
  DATABASE_MISSING: {
    'pt-BR': 'o servidor de origem (ERP) não tem esse banco de dados ou não o abre: confira o nome do banco na conexão',
    en: "the source (ERP) server has no such database or cannot open it: check the connection's database name",
  },
  GET_WRITE_FAILED: {
    'pt-BR': 'gravar no CRM os dados lidos da origem falhou',
    en: 'writing the rows read from the source into the CRM failed',
  },
  // Network errors of a source or of the CRM, recorded by their errno code (the detail says which side).
  ECONNREFUSED: {
    'pt-BR': 'a conexão foi recusada: o servidor não aceita conexões nessa porta',
    en: 'the connection was refused: the server accepts no connection on that port',
  },
  ETIMEDOUT: { 'pt-BR': 'o servidor não respondeu a tempo', en: 'the server did not answer in time' },
  ECONNRESET: { 'pt-BR': 'a conexão caiu no meio da operação', en: 'the connection dropped in the middle of the operation' },
  ENOTFOUND: {
    'pt-BR': 'o nome do servidor não foi encontrado (DNS)',
    en: "the server's name was not found (DNS)",
  },
  // PostgreSQL ending the connection itself (class 57P): connection losses like ECONNRESET, in their own words.
  '57P01': {
    'pt-BR': 'o servidor de banco de dados encerrou a conexão: foi desligado ou reiniciado pelo administrador',
    en: 'the database server ended the connection: its administrator shut it down or restarted it',
  },
  '57P02': {
    'pt-BR': 'o servidor de banco de dados caiu e encerrou a conexão',
    en: 'the database server crashed and ended the connection',
  },
  '57P03': {
    'pt-BR': 'o servidor de banco de dados ainda não aceita conexões (está iniciando ou se recuperando)',
    en: 'the database server does not accept connections yet (starting up or recovering)',
  },

  // Endpoint services (JSON pulls: TIMEOUT, UNREACHABLE, HTTP_UNAUTHORIZED, SECRET_MISSING, SERVICE_INACTIVE…) are not
  // here on purpose: their message is already the user's wording (the engine's endpoint-messages, in pt-BR, with the URL
  // and the limit). One owner: the endpoint engine, which words them again in the reader's language from the values the
  // record keeps (the recorder stores an error's `params`; @integrador/integrador's failureReason / failureText).

  // CTI (click-to-call at the PBX).
  PBX_UNREACHABLE: { 'pt-BR': 'o PABX não pôde ser alcançado', en: 'the PBX could not be reached' },
  // Recorded before PBX_OUTCOME_UNKNOWN replaced it (a timeout after the request was sent no longer retries).
  PBX_TIMEOUT: { 'pt-BR': 'o PABX não respondeu a tempo', en: 'the PBX did not answer in time' },
  // The request reached the PBX and then no answer came (timeout, connection reset): never retried by the hub.
  PBX_OUTCOME_UNKNOWN: {
    'pt-BR': 'resultado desconhecido: a central pode ter discado; verifique antes de repetir',
    en: 'outcome unknown: the PBX may have dialled; check before trying again',
  },
  PBX_BUSY: {
    'pt-BR': 'o PABX está ocupado ou indisponível e não aceitou o pedido de chamada (408, 429 ou 503)',
    en: 'the PBX is busy or unavailable and did not take the call request (408, 429 or 503)',
  },
  PBX_REFUSED: { 'pt-BR': 'o PABX recusou o pedido de chamada', en: 'the PBX refused the call request' },
  PBX_FAILED: {
    'pt-BR':
      'o PABX falhou ao atender o pedido de chamada (erro do lado dele); resultado desconhecido: a central pode ter discado; verifique antes de repetir',
    en: 'the PBX failed to handle the call request (an error on its side); outcome unknown: the PBX may have dialled; check before trying again',
  },
  PBX_ADDRESS_FORBIDDEN: {
    'pt-BR': 'o endereço do PABX fica numa rede privada não permitida',
    en: "the PBX's address is in a private network that is not allowed",
  },
  PBX_SECRET_MISSING: {
    'pt-BR': 'o segredo do PABX não está definido para os workers',
    en: "the PBX's secret is not defined for the workers",
  },
  CTI_NOT_CONFIGURED: {
    'pt-BR': 'o CTI não está configurado para esta empresa',
    en: 'CTI is not configured for this empresa',
  },
  // A stored click-to-call URL template that cannot place a call (packages/cti pbxTemplateProblem): never retried.
  PBX_TEMPLATE_INVALID: {
    'pt-BR':
      'o modelo de URL do PABX não pode ser usado (marcador desconhecido ou sem numero_destino) e nada foi enviado: corrija-o com integrador cti configure --pbx-url',
    en: 'the PBX URL template cannot be used (an unknown placeholder, or no numero_destino) and nothing was sent: fix it with integrador cti configure --pbx-url',
  },

  CTI_CALL_EXPIRED: {
    'pt-BR': 'click-to-call expirado: não foi feito a tempo depois do clique (empresa pausada ou limite); o PABX não foi chamado',
    en: 'click-to-call expired: not placed in time after the click (tenant paused or a limit); the PBX was not called',
  },
  CTI_INVALID_NUMBER: { 'pt-BR': 'o número de telefone é inválido', en: 'the phone number is invalid' },

  // Webhooks, queue and job contracts.
  // Recorded before a given-up delivery's code named its cause (the ones below): the message says which.
  WEBHOOK_DELIVERY_FAILED: {
    'pt-BR': 'a entrega do webhook foi abandonada (recusada pelo receptor, sem resposta, endereço não permitido ou endpoint desativado)',
    en: 'the webhook delivery was given up (refused by the receiver, no answer, an address not allowed or the endpoint disabled)',
  },
  // A given-up delivery's actual cause (packages/webhooks failure-codes.ts); the HTTP status and attempts, when the
  // record keeps them, are worded by JOB_FAILURE_REASONS_WITH_VALUES.
  WEBHOOK_RECEIVER_HTTP_ERROR: {
    'pt-BR': 'a entrega do webhook foi abandonada: o receptor respondeu com um status HTTP de erro',
    en: 'the webhook delivery was given up: the receiver answered with an HTTP error status',
  },
  WEBHOOK_RECEIVER_UNAUTHORIZED: {
    'pt-BR':
      'a entrega do webhook foi abandonada: o receptor respondeu 401/403 (não autorizado) e pode estar rejeitando a assinatura; confira se ele usa o segredo atual do webhook',
    en: "the webhook delivery was given up: the receiver answered 401/403 (unauthorized) and may be rejecting the signature; check it uses the webhook's current secret",
  },
  WEBHOOK_RECEIVER_TIMEOUT: {
    'pt-BR': 'a entrega do webhook foi abandonada: o receptor não respondeu a tempo (WEBHOOK_TIMEOUT_MS)',
    en: 'the webhook delivery was given up: the receiver did not answer in time (WEBHOOK_TIMEOUT_MS)',
  },
  WEBHOOK_RECEIVER_REFUSED: {
    'pt-BR': 'a entrega do webhook foi abandonada: o receptor recusou a conexão (fora do ar, ou endereço ou porta errados)',
    en: 'the webhook delivery was given up: the receiver refused the connection (down, or a wrong address or port)',
  },
  WEBHOOK_RECEIVER_UNREACHABLE: {
    'pt-BR': 'a entrega do webhook foi abandonada: o receptor não foi alcançado (DNS, TLS ou a conexão caiu)',
    en: 'the webhook delivery was given up: the receiver could not be reached (DNS, TLS or the connection dropped)',
  },
  WEBHOOK_ADDRESS_FORBIDDEN: {
    'pt-BR': 'a entrega do webhook não foi feita: a proteção de saída do hub recusou o endereço do receptor (WEBHOOK_ALLOWED_NETWORKS)',
    en: "the webhook delivery was not made: the hub's outbound guard refused the receiver's address (WEBHOOK_ALLOWED_NETWORKS)",
  },
  WEBHOOK_ENDPOINT_GONE: {
    'pt-BR': 'a entrega do webhook foi abandonada: o receptor respondeu 410 (Gone) e o webhook foi desativado',
    en: 'the webhook delivery was given up: the receiver answered 410 (Gone) and the webhook was disabled',
  },
  WEBHOOK_ENDPOINT_FAILING: {
    'pt-BR': 'a entrega do webhook foi abandonada: o webhook falhava havia tempo demais (WEBHOOK_DISABLE_AFTER_MS) e foi desativado',
    en: 'the webhook delivery was given up: the webhook had been failing too long (WEBHOOK_DISABLE_AFTER_MS) and was disabled',
  },
  WEBHOOK_HTTPS_REQUIRED: {
    'pt-BR': 'a entrega do webhook não foi feita: a URL é http:// e o hub exige HTTPS (WEBHOOK_HTTPS_ONLY)',
    en: 'the webhook delivery was not made: the URL is http:// and the hub requires HTTPS (WEBHOOK_HTTPS_ONLY)',
  },
  WEBHOOK_PAYLOAD_TOO_LARGE: {
    'pt-BR': 'a entrega do webhook não foi feita: o corpo passa do limite de tamanho do hub (WEBHOOK_MAX_PAYLOAD_BYTES)',
    en: "the webhook delivery was not made: the body is over the hub's size limit (WEBHOOK_MAX_PAYLOAD_BYTES)",
  },
  WEBHOOK_SECRET_KEY_MISSING: {
    'pt-BR': 'a entrega do webhook não foi feita: o segredo está cifrado e WEBHOOK_SECRET_KEY não está definida no worker',
    en: 'the webhook delivery was not made: the secret is sealed and WEBHOOK_SECRET_KEY is not set on the worker',
  },
  FLOW_BLOCKED: {
    'pt-BR': 'a etapa espera por um pré-requisito que falhou',
    en: 'the step waits for a prerequisite that failed',
  },
  JOB_PAYLOAD_INVALID: {
    'pt-BR': 'os dados do job não passaram na validação',
    en: "the job's data did not pass validation",
  },
  // QueueUnavailableError: a job's or the CLI's call to Redis that got no answer (the CLI words it with this).
  QUEUE_UNAVAILABLE: {
    'pt-BR': 'o Redis não atendeu ao pedido (fora do ar, reconectando ou lento demais)',
    en: 'Redis did not take the request (down, reconnecting or too slow)',
  },
});

/**
 * The reasons of the codes whose error carries the value that makes them actionable (its `params`, kept by the
 * recorder): worded with that value when the record has it, else by JOB_FAILURE_REASONS (rows written before).
 */
export const JOB_FAILURE_REASONS_WITH_VALUES = defineCatalogue({
  // A consulta that found nothing for the run's parameters (prepare-set.ts): `preview`'s words too (the CLI's), whole.
  NO_RECORDS: {
    'pt-BR':
      'a consulta da integração {integracao} não encontrou nenhum registro com {parametros} na empresa {empresa}: confira o valor (registros de outra empresa não contam)',
    en: 'the consulta of integracao {integracao} found no record with {parametros} in empresa {empresa}: check the value (records of another empresa do not count)',
  },
  // The connection's name and the variables its password comes from (passwordVariablesParam: names, never values);
  // a connection whose password is written in the file reads WITHOUT_VARIABLES' words below.
  RECEPTOR_LOGIN_REFUSED: {
    'pt-BR':
      'o ERP recusou o login da conexão {conexao}: confira o usuário e a senha (a senha vem de {variaveis}, lida quando a frota inicia: corrija e reinicie a frota)',
    en: 'the ERP refused the login of connection {conexao}: check its user and password (the password comes from {variaveis}, read when the fleet starts: fix it and restart the fleet)',
  },
  // A source database refusing a GET's login (run-get's sourceFailure): named as a push's refusal is.
  LOGIN_REFUSED: {
    'pt-BR':
      'o banco de origem (ERP) recusou o login da conexão {conexao}: confira o usuário e a senha (a senha vem de {variaveis}, lida quando a frota inicia: corrija e reinicie a frota)',
    en: 'the source (ERP) database refused the login of connection {conexao}: check its user and password (the password comes from {variaveis}, read when the fleet starts: fix it and restart the fleet)',
  },
  // A receptor's transient failure as the transport knew it (TransientTransportError's params), one wording per case:
  // TRANSIENT_CASES below picks it; a failure with none of them (an abort) reads JOB_FAILURE_REASONS' words.
  TRANSPORT_TRANSIENT: {
    'pt-BR': 'o sistema receptor respondeu com o status HTTP {status} (erro ou indisponibilidade do lado dele)',
    en: 'the receptor answered with HTTP status {status} (an error or unavailability on its side)',
  },
  // The ERP answered a code (codCli → id_erp) that another record of the CRM already holds (write-back-failure.ts): an
  // ERP that numbers again from the start (a restarted test double) gives a code a conta is already linked to.
  WRITE_BACK_DUPLICATE: {
    'pt-BR':
      'o ERP devolveu {returned} para o registro {record}, mas esse valor já está ligado a outro registro do CRM (chave única): reprocessar recebe a mesma resposta; confira no ERP por que o código se repete e corrija o cadastro duplicado',
    en: 'the ERP returned {returned} for record {record}, but another record of the CRM already holds that value (unique key): retrying gets the same answer; check why the ERP repeats the code and fix the duplicate record',
  },
  // The outbound guard's refusal (OutboundAddressError's params): the host and its range, the range and the setting
  // that opens it worded in the reader's language by the caller (failureReason in @integrador/integrador, through
  // addressRangeText and guardOpeningText).
  OUTBOUND_ADDRESS_FORBIDDEN: {
    'pt-BR': 'a proteção de saída do hub recusou o endereço {host} (rede {range}) e o sistema de destino nem foi chamado; {opening}',
    en: "the hub's outbound guard refused the address {host} ({range} network) and the destination system was not contacted; {opening}",
  },
  PBX_ADDRESS_FORBIDDEN: {
    'pt-BR': 'o endereço do PABX {host} fica numa rede não pública ({range}) que não é permitida',
    en: "the PBX's address {host} is in a non-public network ({range}) that is not allowed",
  },
  // The environment variable the tenant's ${NOME} reference names (CTI_SECRET_<empresa>_<NOME>), read when worker-cti starts.
  PBX_SECRET_MISSING: {
    'pt-BR': 'o segredo do PABX não está definido para os workers: defina a variável de ambiente {variavel} no worker-cti e reinicie-o',
    en: "the PBX's secret is not defined for the workers: set the environment variable {variavel} on worker-cti and restart it",
  },
  ...CONNECTION_REASONS,
  // A given-up webhook delivery: the receiver's last HTTP status and the attempts made (DeliveryFailedError's params).
  WEBHOOK_RECEIVER_HTTP_ERROR: {
    'pt-BR': 'a entrega do webhook foi abandonada depois de {tentativas} tentativa(s): o receptor respondeu com o status HTTP {status}',
    en: 'the webhook delivery was given up after {tentativas} attempt(s): the receiver answered with HTTP status {status}',
  },
  WEBHOOK_RECEIVER_UNAUTHORIZED: {
    'pt-BR':
      'a entrega do webhook foi abandonada depois de {tentativas} tentativa(s): o receptor respondeu {status} (não autorizado) e pode estar rejeitando a assinatura; confira se ele usa o segredo atual do webhook',
    en: "the webhook delivery was given up after {tentativas} attempt(s): the receiver answered {status} (unauthorized) and may be rejecting the signature; check it uses the webhook's current secret",
  },
  // A #variavel# nothing gives a value to, with the integration and the column using it (MissingVariableError's params
  // once the run placed it) and the value's name nearest to it: a misspelt column, to fix in that column, not a
  // parameter to give (trial M3). Without a near name: WITHOUT_VARIABLES below.
  MISSING_VARIABLE: {
    'pt-BR':
      'a integração {integracao} usa #{variavel}# em {onde}, e nada lhe dá valor (quis dizer #{sugestao}#?): corrija a grafia em {onde}',
    en: 'integracao {integracao} uses #{variavel}# in {onde}, and nothing gives it a value (did you mean #{sugestao}#?): fix the spelling in {onde}',
  },
  // The dependency's #variavel# and which dependencias row declares it.
  DEPENDENCY_UNRESOLVED: {
    'pt-BR': 'a dependência obrigatória {variavel} da integração ficou sem valor (dependências #{dependenciaId})',
    en: 'the required dependency {variavel} of the integration has no value (dependencias #{dependenciaId})',
  },
  // The records held back (an earlier push accepted, nothing written back), the keys their accepted answer lacked and
  // the jobs that pushed them (packages/integrador set/held-records.ts).
  SET_RECORD_UNRESOLVED: {
    'pt-BR':
      'registro {registros} não enviado para não duplicá-lo: o job {jobs} o enviou e terminou sem concluí-lo (a resposta do ERP não foi lida ou não foi gravada no CRM); confira no ERP, reprocesse o job {jobs} e depois este',
    en: "record {registros} not sent, to avoid a duplicate: job {jobs} sent it and ended without concluding it (the ERP's answer was not read or not written to the CRM); check in the ERP, retry job {jobs}, then this one",
  },
  SET_RECORD_ORPHANED: {
    'pt-BR':
      'registro {registros} não enviado: o job {jobs}, que o enviou sem concluí-lo, não existe mais (descartado ou removido) e o ERP pode tê-lo; confira no ERP e reprocesse este job, que assume o registro',
    en: 'record {registros} not sent: job {jobs}, which sent it without concluding it, no longer exists (discarded or removed) and the ERP may have it; check in the ERP, then retry this job, which takes the record over',
  },
  SET_RECORD_HELD: {
    'pt-BR':
      'registro {registros} não reenviado para não duplicá-lo: o ERP já o aceitou (job {jobs}) e nada foi gravado no CRM (faltou {chaves}); corrija indice_valor_retorno / sql_update ou reprocesse o job',
    en: 'record {registros} not resent, to avoid a duplicate: the ERP accepted it (job {jobs}) and nothing was written to the CRM ({chaves} missing); correct indice_valor_retorno / sql_update or retry the job',
  },
  // The ERP key of the row the CRM refused (a value too long or out of range, NULL into NOT NULL, a unique key): no
  // retry changes it.
  GET_WRITE_FAILED: {
    'pt-BR': 'o CRM recusou a linha do ERP de chave "{chave}" ao gravar {tabela}; tentar de novo não muda nada: corrija o dado na origem',
    en: 'the CRM refused the ERP row with key "{chave}" writing {tabela}; retrying changes nothing: fix the data at the source',
  },
});

/**
 * The wordings of a code whose record lacks one of the values above: MISSING_VARIABLE placed but with no value's name
 * near it (no "did you mean", the two fixes said instead); a refused login of a connection whose password is written
 * in the connections file (no variable to name), or a record written before the variables were kept.
 */
const WITHOUT_VARIABLES = defineCatalogue({
  MISSING_VARIABLE: {
    'pt-BR':
      'a integração {integracao} usa #{variavel}# em {onde}, e nada lhe dá valor (nem parâmetro, nem coluna da consulta, nem dependência): confira a grafia ou informe-o nos parâmetros da execução',
    en: "integracao {integracao} uses #{variavel}# in {onde}, and nothing gives it a value (no parameter, consulta column or dependency): check the spelling or give it in the run's parameters",
  },
  RECEPTOR_LOGIN_REFUSED: {
    'pt-BR':
      'o ERP recusou o login da conexão {conexao}: confira o usuário e a senha dela no arquivo de conexões (lido quando a frota inicia: corrija e reinicie a frota)',
    en: 'the ERP refused the login of connection {conexao}: check its user and password in the connections file (read when the fleet starts: fix it and restart the fleet)',
  },
  LOGIN_REFUSED: {
    'pt-BR':
      'o banco de origem (ERP) recusou o login da conexão {conexao}: confira o usuário e a senha dela no arquivo de conexões (lido quando a frota inicia: corrija e reinicie a frota)',
    en: 'the source (ERP) database refused the login of connection {conexao}: check its user and password in the connections file (read when the fleet starts: fix it and restart the fleet)',
  },
});

/** A transient failure's case by the value its record keeps: the HTTP status above, or one of these. */
const TRANSIENT_CASES = defineCatalogue({
  timeoutMs: {
    'pt-BR': 'o sistema receptor não respondeu em {timeoutMs} ms (sem resposta no prazo)',
    en: 'the receptor gave no answer within {timeoutMs} ms',
  },
  ECONNREFUSED: {
    'pt-BR': 'o sistema receptor recusou a conexão: está fora do ar ou não aceita conexões nessa porta',
    en: 'the receptor refused the connection: it is down or accepts no connection on that port',
  },
  networkCode: {
    'pt-BR': 'o sistema receptor não pôde ser alcançado ({networkCode})',
    en: 'the receptor could not be reached ({networkCode})',
  },
});

/** The `variaveis` value of a refused login: the `${NAME}` references the connection's password comes from, or none. */
export function passwordVariablesParam(names: readonly string[] | undefined): { variaveis?: string } {
  return names && names.length > 0 ? { variaveis: names.map((name) => `\${${name}}`).join(', ') } : {};
}

/** The wording of a transient failure's case (timeout, refused, unreachable), or undefined: the status's or none. */
function transientCase(locale: Locale, values: Readonly<Record<string, string | number>>): string | undefined {
  if (values.status !== undefined) return undefined;
  if (values.timeoutMs !== undefined) return TRANSIENT_CASES.message(locale, 'timeoutMs', values);
  if (values.networkCode === 'ECONNREFUSED') return TRANSIENT_CASES.message(locale, 'ECONNREFUSED');
  if (values.networkCode !== undefined) return TRANSIENT_CASES.message(locale, 'networkCode', values);
  return undefined;
}

/** A failure's values with the record keys it names (`registros`, `record`) as a reader reads them (`id 1`). */
function withRecordKeys(values: Readonly<Record<string, string | number>>): Readonly<Record<string, string | number>> {
  const shown = { ...values };
  for (const name of ['registros', 'record']) if (typeof shown[name] === 'string') shown[name] = recordKeyText(shown[name] as string);
  return shown;
}

/**
 * The worded reason of a failure code in the locale, or undefined for a code the catalogue does not word (or none);
 * with the failure's values (registro_jobs' `parametros.failure`) when its wording names one.
 */
export function jobFailureLabel(
  locale: Locale,
  code: string | null | undefined,
  values?: Readonly<Record<string, string | number>> | null,
): string | undefined {
  if (code && values && JOB_FAILURE_REASONS_WITH_VALUES.has(code)) {
    const worded = code === 'TRANSPORT_TRANSIENT' ? transientCase(locale, values) : undefined;
    if (worded !== undefined) return worded;
    const shown = withRecordKeys(values);
    const template = (JOB_FAILURE_REASONS_WITH_VALUES.table as Record<string, Record<Locale, string>>)[code]?.[locale] ?? '';
    if (fills(template, shown)) return JOB_FAILURE_REASONS_WITH_VALUES.message(locale, code, shown);
    // A value missing (no near name, no password variable): the code's wording without it, when it has one.
    if (WITHOUT_VARIABLES.has(code) && fills(WITHOUT_VARIABLES.table[code][locale], shown))
      return WITHOUT_VARIABLES.message(locale, code, shown);
  }
  return code && JOB_FAILURE_REASONS.has(code) ? JOB_FAILURE_REASONS.message(locale, code) : undefined;
}

/** Whether the values give every placeholder of a wording (a value may itself read `${NAME}`: the template is checked). */
function fills(template: string, values: Readonly<Record<string, string | number>>): boolean {
  return [...template.matchAll(/\{(\w+)\}/g)].every((match) => values[match[1] ?? ''] !== undefined);
}

/**
 * Codes whose wording with values says all the message does (NO_RECORDS names the integration, the values, the
 * empresa; MISSING_VARIABLE the integration, column and variable; a record held back, unresolved or orphaned names the
 * records and the jobs).
 */
const WORDED_WHOLE: ReadonlySet<string> = new Set([
  'NO_RECORDS',
  'MISSING_VARIABLE',
  'SET_RECORD_UNRESOLVED',
  'SET_RECORD_ORPHANED',
  'SET_RECORD_HELD',
]);

/**
 * A failure in one line for the user: the worded reason with the error's raw detail (`rawDetail`) or else its message
 * as the detail, or the message as is when the code is not worded.
 */
export function jobFailureText(
  locale: Locale,
  code: string | null | undefined,
  message: string,
  values?: Readonly<Record<string, string | number>> | null,
): string {
  const label = jobFailureLabel(locale, code, values);
  if (label === undefined) return message;
  // Worded whole with its values: the message (English) would only say it again.
  if (code && WORDED_WHOLE.has(code) && label !== jobFailureLabel(locale, code)) return label;
  // The engine's message repeats the reason in English: its raw detail (the database's or the network's own words, the
  // failure's `rawDetail`) is what it adds, so the line keeps one language (the message stays for logs and the
  // dashboard's technical details).
  const rawDetail = values?.rawDetail;
  return `${label}: ${typeof rawDetail === 'string' && rawDetail.trim() ? rawDetail.trim() : message}`;
}

/** A code's text followed by `: {detail}`, for a catalogue of another layer that words the same failure (the ingress's 502). */
export function jobFailureTemplate(code: keyof typeof JOB_FAILURE_REASONS.table): Readonly<Record<Locale, string>> {
  const texts = JOB_FAILURE_REASONS.table[code];
  return { 'pt-BR': `${texts['pt-BR']}: {detail}`, en: `${texts.en}: {detail}` };
}

/**
 * The failure codes whose worded reason in the locale holds the text (lower-cased, as the search compares): the
 * dashboard shows that wording, while a record's search text keeps only its code and the (English) message, so a
 * search for what the operator reads ("recusou", "senha") also takes the records of these codes. A wording with values
 * (JOB_FAILURE_REASONS_WITH_VALUES: "…linha do ERP de chave "{chave}"…") is searched in its fixed parts, each on its
 * own: a record's values are in its message and key parameters (the search text), so a text spanning a fixed part and
 * a value ("chave "4"") matches neither. The endpoint engine's own wordings (an endpoint sync's failure) are not here:
 * their record's message is the pt-BR wording itself. A wait's code (WAIT_CODES) is no failure and never matches.
 */
export function failureCodesMatching(locale: Locale, texto: string): string[] {
  const wanted = texto.trim().toLowerCase();
  if (wanted === '') return [];
  const holds = (texts: unknown) =>
    (texts as Record<Locale, string>)[locale]
      .toLowerCase()
      .split(/\{\w+\}/)
      .some((part) => part.includes(wanted));
  const codes = new Set<string>();
  for (const table of [JOB_FAILURE_REASONS.table, JOB_FAILURE_REASONS_WITH_VALUES.table])
    for (const [code, texts] of Object.entries(table)) if (!WAIT_CODES.has(code) && holds(texts)) codes.add(code);
  // A transient failure's cases (no answer in time, a refused connection) are TRANSPORT_TRANSIENT's wordings too.
  if (Object.values(TRANSIENT_CASES.table).some(holds)) codes.add('TRANSPORT_TRANSIENT');
  return [...codes];
}
