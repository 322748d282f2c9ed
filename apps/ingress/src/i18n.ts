import { defineCatalogue, type Locale, localeFromAcceptLanguage, VALIDATION_TEMPLATE } from '@integrador/i18n';
import { RUN_REFUSAL_MESSAGES } from '@integrador/integrador';
import { jobFailureTemplate } from '@integrador/queue';
import { METRICS_UNAUTHORIZED, TENANT_RATE_LIMITED } from '@integrador/runtime';
import type { FastifyRequest } from 'fastify';

/** User-facing texts are pt-BR by default; `Accept-Language: en` switches to English. */
export type { Locale };

/** The locale a request asked for (first of Accept-Language that we have). */
export function localeOf(request: FastifyRequest): Locale {
  return localeFromAcceptLanguage(request.headers['accept-language']);
}

const MESSAGES = {
  // The admission path's refusals (FILIAL_SCOPE, MISSING_PARAMETERS, NOT_RUNNABLE, CONNECTION_FORBIDDEN, the dependency
  // graph's…): worded by the engine, for the dashboard's actions as for this API.
  ...RUN_REFUSAL_MESSAGES,
  UNAUTHORIZED: {
    'pt-BR': 'chave de API ausente ou inválida: envie o cabeçalho Authorization: Bearer <chave>',
    en: 'missing or invalid API key: send the header Authorization: Bearer <key>',
  },
  NOT_FOUND: { 'pt-BR': 'recurso não encontrado', en: 'resource not found' },
  ROUTE_NOT_FOUND: { 'pt-BR': 'rota não encontrada: {route}', en: 'route not found: {route}' },
  QUEUE_UNAVAILABLE: {
    'pt-BR': 'fila indisponível (Redis fora do ar ou recusando escritas); nada foi enfileirado, tente novamente em instantes',
    en: 'queue unavailable (Redis is down or refusing writes); nothing was enqueued, try again shortly',
  },
  // The same words as the dashboard's refusal of a tenant's action (packages/runtime, the limiter's owner).
  TENANT_RATE_LIMITED,
  BAD_URL: {
    'pt-BR': 'URL inválida: um trecho com codificação % malformada (use %XX com dois dígitos hexadecimais de UTF-8 válido)',
    en: 'invalid URL: a part with malformed % encoding (use %XX with two hex digits of valid UTF-8)',
  },
  URL_TOO_LONG: { 'pt-BR': 'um parâmetro da URL é longo demais', en: 'a URL parameter is too long' },
  ENQUEUE_OUTCOME_UNKNOWN: {
    'pt-BR':
      'o Redis não respondeu a tempo: não se sabe se o job foi enfileirado; repita a mesma requisição com o mesmo cabeçalho Idempotency-Key (sem ele, uma nova tentativa pode criar um segundo job)',
    en: 'Redis did not answer in time: it is unknown whether the job was enqueued; retry the same request with the same Idempotency-Key header (without one, a retry may create a second job)',
  },
  // The same answer as a worker's metrics port (packages/runtime).
  METRICS_UNAUTHORIZED,
  REDIS_MISCONFIGURED: {
    'pt-BR': 'fila recusada: o Redis está configurado de forma que pode perder jobs; nada foi enfileirado ({detail})',
    en: 'queue refused: Redis is configured so that it could lose jobs; nothing was enqueued ({detail})',
  },
  DATABASE_UNAVAILABLE: {
    'pt-BR': 'banco de dados do CRM indisponível; tente novamente em instantes',
    en: 'CRM database unavailable; try again shortly',
  },
  INVALID_JSON: { 'pt-BR': 'corpo da requisição não é um JSON válido', en: 'request body is not valid JSON' },
  PAYLOAD_TOO_LARGE: {
    'pt-BR': 'corpo da requisição grande demais: o limite é {limit} ({bytes} bytes); envie menos dados por requisição',
    en: 'request body too large: the limit is {limit} ({bytes} bytes); send less data per request',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    'pt-BR': 'tipo de conteúdo não suportado: {type}; envie o corpo como JSON (content-type: application/json)',
    en: 'unsupported content type: {type}; send the body as JSON (content-type: application/json)',
  },
  // The CTI listeners (seed 002) take their parameters in the query string, a form or JSON — never as the API's JSON only.
  UNSUPPORTED_MEDIA_TYPE_LISTENER: {
    'pt-BR':
      'tipo de conteúdo não suportado: {type}; envie ramal, telefone e url_audio na query string ou no corpo como formulário (content-type: application/x-www-form-urlencoded ou text/plain) ou JSON (content-type: application/json)',
    en: 'unsupported content type: {type}; send ramal, telefone and url_audio in the query string or in the body as a form (content-type: application/x-www-form-urlencoded or text/plain) or JSON (content-type: application/json)',
  },
  HEADERS_TOO_LARGE: {
    'pt-BR': 'cabeçalhos e URL grandes demais (o limite é {limit} somados): encurte a query string ou os cabeçalhos',
    en: 'headers and URL too large (the limit is {limit} together): shorten the query string or the headers',
  },
  REQUEST_TIMEOUT: {
    'pt-BR': 'a requisição não chegou completa a tempo; envie novamente',
    en: 'the request did not arrive complete in time; send it again',
  },
  MALFORMED_REQUEST: { 'pt-BR': 'requisição HTTP malformada', en: 'malformed HTTP request' },
  RECORD_NOT_FOUND: {
    'pt-BR': 'nenhum registro da empresa encontrado para os parâmetros informados',
    en: 'no record of the empresa found for the given parameters',
  },
  INTEGRATION_FAILED: { 'pt-BR': 'a integração falhou: {detail}', en: 'the integration failed: {detail}' },
  // The same words as a failed job's (TRANSPORT_TRANSIENT in packages/queue's failure catalogue).
  RECEPTOR_UNAVAILABLE: jobFailureTemplate('TRANSPORT_TRANSIENT'),
  SERVICE_QUOTA_EXCEEDED: {
    'pt-BR':
      'limite de serviços de endpoint do contrato atingido: a empresa pode ter no máximo {limit}; apague um serviço ou amplie o contrato',
    en: "the contract's limit of endpoint services is reached: the empresa may have at most {limit}; delete a service or extend the contract",
  },
  SERVICE_NAME_TAKEN: {
    'pt-BR': 'já existe um serviço de endpoint chamado "{nome}"',
    en: 'an endpoint service named "{nome}" already exists',
  },
  CONNECTION_NOT_FOUND: {
    'pt-BR': 'conexão "{name}" não encontrada no arquivo de conexões',
    en: 'connection "{name}" not found in the connections file',
  },
  JOB_NOT_FAILED: {
    'pt-BR': 'o job {queue}/{id} está {estado}; só um job que falhou pode ser reprocessado',
    en: 'job {queue}/{id} is {state}; only a failed job can be retried',
  },
  JOB_NOT_RETRYABLE: {
    'pt-BR':
      'o job {queue}/{id} é um click-to-call, que não é reprocessado: o clique já expirou e a nova tentativa só falharia de novo; peça ao agente que clique de novo',
    en: 'job {queue}/{id} is a click-to-call, which is not retried: the click has expired and a new attempt could only fail again; ask the agent to click again',
  },
  WEBHOOK_ALREADY_DELIVERED: {
    'pt-BR':
      'o job {queue}/{id} não foi reprocessado: a entrega do webhook já foi entregue (por um reenvio ou uma recuperação); nada a enviar de novo',
    en: 'job {queue}/{id} was not retried: its webhook delivery has been delivered since (by a resend or a recover); nothing to send again',
  },
  WEBHOOK_ENDPOINT_DISABLED: {
    'pt-BR':
      'o job {queue}/{id} não foi reprocessado: o endpoint do webhook continua desativado e nada seria enviado; reative o endpoint (PATCH /v1/webhooks/:id com {"ativo": true}) e depois use POST /v1/webhooks/:id/recover para reenviar as entregas',
    en: 'job {queue}/{id} was not retried: its webhook endpoint is still disabled, so nothing would be sent; re-enable the endpoint (PATCH /v1/webhooks/:id with {"ativo": true}), then POST /v1/webhooks/:id/recover to resend its deliveries',
  },
  WEBHOOK_ENDPOINT_DELETED: {
    'pt-BR':
      'o job {queue}/{id} não foi reprocessado: o endpoint do webhook foi excluído e nada seria enviado. As entregas dele continuam em GET /v1/webhooks/:id/deliveries até o fim da retenção; para enviar de novo a esse destino, cadastre-o como um novo webhook',
    en: 'job {queue}/{id} was not retried: its webhook endpoint was deleted, so nothing would be sent. Its deliveries stay readable at GET /v1/webhooks/:id/deliveries until the retention period ends; to send to that receiver again, register it as a new webhook',
  },
  CTI_NOT_CONFIGURED: {
    'pt-BR': 'click-to-call não configurado para esta empresa: defina o modelo de URL do PABX (integrador cti configure --pbx-url …)',
    en: 'click-to-call is not configured for this empresa: set the PBX URL template (integrador cti configure --pbx-url …)',
  },
  PBX_TEMPLATE_INVALID: {
    'pt-BR':
      'o modelo de URL do PABX desta empresa não pode ser usado (marcador desconhecido ou sem numero_destino): o operador do hub deve corrigi-lo com integrador cti configure --pbx-url',
    en: "this empresa's PBX URL template cannot be used (an unknown placeholder, or no numero_destino): the hub's operator must fix it with integrador cti configure --pbx-url",
  },
  CTI_INVALID_NUMBER: {
    'pt-BR': 'campo "{field}": "{value}" não é um número que se possa discar (DDD + número, ou um ramal)',
    en: 'field "{field}": "{value}" is not a number that can be dialled (DDD + number, or an extension)',
  },
  CTI_NUMBER_TOO_SHORT: {
    'pt-BR':
      'campo "{field}": "{value}" não é um número que se possa discar: tem {digits} dígitos, mais que um ramal desta empresa (até {ramalLength}) e menos que um telefone (DDD + número); se o PABX usa ramais de {digits} dígitos, o operador do hub deve ajustar com integrador cti configure <empresa> --ramal-length {digits}',
    en: 'field "{field}": "{value}" is not a number that can be dialled: it has {digits} digits, more than an extension of this empresa (up to {ramalLength}) and fewer than a phone number (DDD + number); if the PBX uses {digits}-digit extensions, the hub\'s operator should set integrador cti configure <empresa> --ramal-length {digits}',
  },
  CTI_INVALID_PHONE_FILTER: {
    'pt-BR':
      'campo "{field}": "{value}" não é um telefone que o hub reconheça; envie DDD + número em qualquer forma ((11) 98765-4321, 011 98765-4321, +55 11 98765-4321), o número sem DDD ou um ramal',
    en: 'field "{field}": "{value}" is not a phone number the hub reads; send DDD + number in any form ((11) 98765-4321, 011 98765-4321, +55 11 98765-4321), the number without its DDD, or an extension',
  },
  CTI_PHONE_INDEX_CATCHING_UP: {
    'pt-BR':
      'o índice de telefones desta empresa está sendo atualizado com gravações recentes de contas e contatos (uma importação, por exemplo); tente de novo em alguns segundos — se não passar, verifique se o worker-cti está rodando',
    en: "this empresa's phone index is being updated with recent writes of contas and contatos (an import, say); try again in a few seconds — if it does not clear, check that worker-cti is running",
  },
  CTI_UNKNOWN_RAMAL: {
    'pt-BR':
      'campo "{field}": o ramal "{value}" não é de nenhum usuário ativo desta empresa; use o ramal de um usuário cadastrado (usuarios.ramal)',
    en: 'field "{field}": extension "{value}" belongs to no active user of this empresa; use the extension of a registered user (usuarios.ramal)',
  },
  // Read by a PBX technician: each failing parameter with what it takes (LISTENER_PARAMETER_TAKES), never the name of
  // an internal spec; several are joined with "; ".
  CTI_LISTENER_PARAMETER: {
    'pt-BR': 'parâmetro "{field}" {problem} (esperado: {takes})',
    en: 'parameter "{field}" {problem} (expected: {takes})',
  },
  // The rule in words (packages/queue idempotency.ts holds it), then what the key received breaks.
  IDEMPOTENCY_KEY_INVALID: {
    'pt-BR':
      'cabeçalho Idempotency-Key inválido: {problem}; use de 1 a {max} caracteres ASCII visíveis — letras sem acento, dígitos e pontuação, sem espaços (um UUID serve)',
    en: 'invalid Idempotency-Key header: {problem}; use 1 to {max} visible ASCII characters — unaccented letters, digits and punctuation, no spaces (a UUID will do)',
  },
  IDEMPOTENCY_KEY_LENGTH: { 'pt-BR': 'a chave recebida tem {length} caracteres', en: 'the key received has {length} characters' },
  IDEMPOTENCY_KEY_CHARACTER: {
    'pt-BR': 'o caractere na posição {position} não é permitido (espaço, acento ou caractere de controle)',
    en: 'the character at position {position} is not allowed (a space, an accent or a control character)',
  },
  // The IETF draft's 422: the key names another request (another route or body) of this tenant.
  IDEMPOTENCY_KEY_REUSED: {
    'pt-BR':
      'esta Idempotency-Key já foi usada com outra requisição (outra rota ou outro corpo); nada foi feito. Use uma chave nova para uma requisição nova, ou repita a primeira requisição exatamente como foi',
    en: 'this Idempotency-Key was already used with another request (another route or body); nothing was done. Use a new key for a new request, or repeat the first request exactly as it was',
  },
  // The IETF draft's 409: a replay while the request that bound the key still runs (its answer is not known yet).
  IDEMPOTENCY_KEY_IN_PROGRESS: {
    'pt-BR':
      'a primeira requisição com esta Idempotency-Key ainda está em andamento; repita em alguns segundos para receber a resposta dela',
    en: 'the first request with this Idempotency-Key is still in progress; repeat it in a few seconds to get its answer',
  },
  // A replay whose kept first answer no longer opens (WEBHOOK_SECRET_KEY changed): refused rather than run twice.
  IDEMPOTENCY_ANSWER_UNREADABLE: {
    'pt-BR':
      'a resposta guardada da primeira requisição com esta Idempotency-Key não pode mais ser lida (a chave WEBHOOK_SECRET_KEY mudou desde então, ou outra versão do hub a guardou noutro formato); a requisição não foi executada de novo. Confira se a primeira teve efeito e, para repetir, use uma Idempotency-Key nova: não reutilize esta',
    en: 'the kept answer of the first request with this Idempotency-Key can no longer be read (WEBHOOK_SECRET_KEY changed since, or another version of the hub kept it in another shape); the request was not run again. Check whether the first one took effect and, to repeat it, use a new Idempotency-Key: do not reuse this one',
  },
  INTERNAL: { 'pt-BR': 'erro interno; o problema foi registrado', en: 'internal error; the problem was logged' },
  // The one wording of a refused field, the dashboard API's too (@integrador/i18n validationMessage).
  VALIDATION: VALIDATION_TEMPLATE,
  // The template of CONTROL_CHARACTER for a text field (schemas.ts Text); the parametros' own names the parameter.
  CONTROL_CHARACTER_FIELD: {
    'pt-BR':
      'campo "{field}" inválido: contém um caractere de controle (NUL, U+0001–U+001F, tabulação e quebras de linha incluídas, ou U+007F–U+009F); envie o texto sem ele',
    en: 'invalid field "{field}": it holds a control character (NUL, U+0001–U+001F, tab and line breaks included, or U+007F–U+009F); send the text without it',
  },
} as const;

export type MessageKey = keyof typeof MESSAGES;

const CATALOGUE = defineCatalogue(MESSAGES);

/** Every `error.code` the error handler answers with (VALIDATION is the template of VALIDATION_FAILED, CONTROL_CHARACTER_FIELD one of CONTROL_CHARACTER; IDEMPOTENCY_KEY_LENGTH and _CHARACTER are parts of a message). */
export const ERROR_CODES: readonly string[] = [
  ...Object.keys(MESSAGES).filter(
    (key) => !['VALIDATION', 'CONTROL_CHARACTER_FIELD', 'IDEMPOTENCY_KEY_LENGTH', 'IDEMPOTENCY_KEY_CHARACTER'].includes(key),
  ),
  'VALIDATION_FAILED',
];

/** A message in the request's locale with {placeholders} filled. */
export function message(locale: Locale, key: MessageKey, params: Record<string, string> = {}): string {
  return CATALOGUE.message(locale, key, params);
}
