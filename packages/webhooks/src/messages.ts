import { addressRangeText, isAlwaysRefusedRangeName } from '@integrador/connections';
import { defineCatalogue, type Locale, type MessageTable } from '@integrador/i18n';
import type { WebhookWording } from './errors';

/** The engine's user-facing texts: pt-BR by default, English on request; one language per message. */
export type { Locale };

/** Why a change was sent to no endpoint (the reply is stored, so it keeps the code; worded here when shown). */
export type NothingSentCode = 'NO_ROW' | 'NO_GATILHO' | 'NOT_CONCLUDED' | 'NO_ENDPOINT' | 'ENDPOINTS_DISABLED' | 'VIA_TRIGGERS';

export type TestCode =
  | 'OK'
  | 'CONNECTION_REFUSED'
  | 'DNS_FAILED'
  | 'TLS_FAILED'
  | 'TIMEOUT'
  | 'REDIRECT'
  | 'CLIENT_ERROR'
  | 'SIGNATURE_REJECTED'
  | 'RATE_LIMITED'
  | 'RECEIVER_GONE'
  | 'SERVER_ERROR'
  | 'ADDRESS_FORBIDDEN'
  | 'NETWORK_ERROR'
  | 'HTTPS_REQUIRED';

/** Why a pending delivery was cancelled (stored as the code in `ultimo_erro`, worded when shown). */
export type CancelReason = 'ENDPOINT_DISABLED' | 'ENDPOINT_DELETED';

/** The codes whose words name the attempt's URL, host or redirect location: a past attempt's words name none. */
export type PastCode =
  `${Extract<TestCode, 'CONNECTION_REFUSED' | 'DNS_FAILED' | 'TLS_FAILED' | 'TIMEOUT' | 'REDIRECT' | 'NETWORK_ERROR' | 'RECEIVER_GONE'>}_PAST`;

const MESSAGES: MessageTable<
  | TestCode
  | PastCode
  | 'ADDRESS_NEVER_ALLOWED'
  | 'GAVE_UP'
  | WebhookWording
  | CancelReason
  | 'GONE'
  | 'FAILING_TOO_LONG'
  | NothingSentCode
  | 'PAYLOAD_TOO_LARGE'
  | 'PAYLOAD_TOO_LARGE_PAST'
> = {
  OK: {
    'pt-BR': 'Webhook funcionando: {url} recebeu os dados de teste e respondeu {status} em {ms} ms.',
    en: 'Webhook working: {url} received the test data and answered {status} in {ms} ms.',
  },
  CONNECTION_REFUSED: {
    'pt-BR':
      'Nenhum servidor respondeu no endereço {url}: a conexão foi recusada. A URL provavelmente está incorreta (endereço ou porta) ou o sistema de destino está fora do ar; valide a URL com o seu desenvolvedor ou com o suporte da ferramenta que a forneceu.',
    en: 'No server answered at {url}: the connection was refused. The URL is probably wrong (address or port) or the receiving system is down; check the URL with your developer or with the support of the tool that gave it to you.',
  },
  DNS_FAILED: {
    'pt-BR':
      'O endereço {host} não foi encontrado (falha de DNS). Confira se o nome do servidor na URL está escrito corretamente e se o domínio existe e está publicado.',
    en: 'The address {host} was not found (DNS failure). Check that the server name in the URL is spelled correctly and that the domain exists and is published.',
  },
  TLS_FAILED: {
    'pt-BR':
      'A conexão segura (HTTPS) com {host} falhou ({detail}). O certificado do servidor de destino é inválido, expirou ou não corresponde ao endereço; peça ao responsável pelo destino que corrija o certificado.',
    en: "The secure (HTTPS) connection to {host} failed ({detail}). The receiving server's certificate is invalid, expired or does not match the address; ask whoever runs it to fix the certificate.",
  },
  TIMEOUT: {
    'pt-BR':
      'O servidor em {url} não respondeu em {seconds} s. Ele pode estar sobrecarregado ou um firewall pode estar descartando a conexão; o destino deve responder logo ao receber os dados (e processá-los depois).',
    en: 'The server at {url} did not answer within {seconds} s. It may be overloaded or a firewall may be dropping the connection; the receiver should answer as soon as it gets the data (and process it afterwards).',
  },
  REDIRECT: {
    'pt-BR':
      'O servidor respondeu {status}, um redirecionamento para {location}. Webhooks não seguem redirecionamentos: cadastre a URL final (por exemplo com https:// ou com a barra final).',
    en: 'The server answered {status}, a redirect to {location}. Webhooks do not follow redirects: register the final URL (for example with https:// or the trailing slash).',
  },
  CLIENT_ERROR: {
    'pt-BR':
      'O servidor recusou os dados com o status {status}. Verifique o caminho da URL (404 = não existe), os cabeçalhos de autenticação configurados (401/403) e se o destino aceita POST com JSON (405/415).',
    en: 'The server refused the data with status {status}. Check the URL path (404 = it does not exist), the configured authentication headers (401/403) and that the receiver accepts a JSON POST (405/415).',
  },
  // 401/403: the receiver refuses the request's credentials, typically the signature after a rotation. No secret in
  // the words: only where to look.
  SIGNATURE_REJECTED: {
    'pt-BR':
      'O servidor recusou os dados com o status {status} (não autorizado). O destino pode estar rejeitando a assinatura (cabeçalho webhook-signature): confira se ele verifica com o segredo de assinatura atual deste webhook — depois de uma rotação (rotate-secret) ele precisa do segredo novo, e com revogarAnterior o antigo deixou de assinar na hora. Confira também os cabeçalhos de autenticação configurados no webhook.',
    en: "The server refused the data with status {status} (unauthorized). The receiver may be rejecting the signature (the webhook-signature header): check that it verifies with this webhook's current signing secret — after a rotation (rotate-secret) it needs the new secret, and with revogarAnterior the old one stopped signing at once. Check the authentication headers configured on the webhook too.",
  },
  RATE_LIMITED: {
    'pt-BR':
      'O servidor pediu para diminuir o ritmo (status {status}, muitas requisições). As entregas recebidas assim são tentadas de novo depois do tempo que o destino pede no cabeçalho Retry-After (ou do intervalo do hub); se isso se repete, peça ao responsável pelo destino que aumente o limite dele, ou defina limitePorSegundo no webhook.',
    en: 'The server asked the hub to slow down (status {status}, too many requests). Deliveries answered this way are tried again after the time the receiver asks for in its Retry-After header (or the hub’s interval); if it keeps happening, ask whoever runs the receiver to raise its limit, or set limitePorSegundo on the webhook.',
  },
  RECEIVER_GONE: {
    'pt-BR':
      'O servidor respondeu {status} (Gone): ele diz que não quer mais receber dados. Numa entrega, essa resposta desativa o webhook; se a URL mudou, cadastre a nova, e confira com o responsável pelo destino se ele ainda deve receber os dados.',
    en: 'The server answered {status} (Gone): it says it no longer wants data. On a delivery, this answer disables the webhook; if the URL moved, register the new one, and check with whoever runs the receiver whether it should still get the data.',
  },
  SERVER_ERROR: {
    'pt-BR':
      'O servidor de destino teve um erro interno (status {status}). O problema está na aplicação que recebe os dados: peça ao responsável que verifique os logs dela.',
    en: 'The receiving server had an internal error (status {status}). The problem is in the application receiving the data: ask whoever runs it to check its logs.',
  },
  ADDRESS_FORBIDDEN: {
    'pt-BR':
      'O endereço {host} leva a uma rede interna ({range}) e foi bloqueado por segurança. Use um endereço público; se o destino é interno de propósito, peça ao operador do hub que libere a faixa em WEBHOOK_ALLOWED_NETWORKS.',
    en: 'The address {host} leads to an internal network ({range}) and was blocked for security. Use a public address; if the receiver is internal on purpose, ask the hub operator to allow the range in WEBHOOK_ALLOWED_NETWORKS.',
  },
  // ADDRESS_FORBIDDEN's words for a range config refuses in WEBHOOK_ALLOWED_NETWORKS (link-local, cloud metadata): no
  // advice to allow it (WEBHOOK_URL_NEVER_ALLOWED's, said when the URL is saved).
  ADDRESS_NEVER_ALLOWED: {
    'pt-BR':
      'O endereço {host} leva a uma rede interna ({range}) que o hub nunca alcança, por segurança (nenhum valor de WEBHOOK_ALLOWED_NETWORKS a libera). Use um endereço público.',
    en: 'The address {host} leads to an internal network ({range}) that the hub never reaches, for security (no WEBHOOK_ALLOWED_NETWORKS value allows it). Use a public address.',
  },
  // A past attempt's outcome (a delivery's last error): the attempt's URL is not stored, and the endpoint's current one
  // may not be the one it was sent to (edited since), so these name none; a redirect's location is not stored either.
  CONNECTION_REFUSED_PAST: {
    'pt-BR':
      'Nenhum servidor respondeu no endereço do webhook: a conexão foi recusada. A URL provavelmente está incorreta (endereço ou porta) ou o sistema de destino está fora do ar; valide a URL com o seu desenvolvedor ou com o suporte da ferramenta que a forneceu.',
    en: "No server answered at the webhook's address: the connection was refused. The URL is probably wrong (address or port) or the receiving system is down; check the URL with your developer or with the support of the tool that gave it to you.",
  },
  DNS_FAILED_PAST: {
    'pt-BR':
      'O endereço do webhook não foi encontrado (falha de DNS). Confira se o nome do servidor na URL está escrito corretamente e se o domínio existe e está publicado.',
    en: "The webhook's address was not found (DNS failure). Check that the server name in the URL is spelled correctly and that the domain exists and is published.",
  },
  TLS_FAILED_PAST: {
    'pt-BR':
      'A conexão segura (HTTPS) com o destino falhou ({detail}). O certificado do servidor de destino é inválido, expirou ou não corresponde ao endereço; peça ao responsável pelo destino que corrija o certificado.',
    en: "The secure (HTTPS) connection to the receiver failed ({detail}). The receiving server's certificate is invalid, expired or does not match the address; ask whoever runs it to fix the certificate.",
  },
  TIMEOUT_PAST: {
    'pt-BR':
      'O servidor de destino não respondeu em {seconds} s. Ele pode estar sobrecarregado ou um firewall pode estar descartando a conexão; o destino deve responder logo ao receber os dados (e processá-los depois).',
    en: 'The receiving server did not answer within {seconds} s. It may be overloaded or a firewall may be dropping the connection; the receiver should answer as soon as it gets the data (and process it afterwards).',
  },
  REDIRECT_PAST: {
    'pt-BR':
      'O servidor respondeu {status}, um redirecionamento. Webhooks não seguem redirecionamentos: cadastre a URL final (por exemplo com https:// ou com a barra final).',
    en: 'The server answered {status}, a redirect. Webhooks do not follow redirects: register the final URL (for example with https:// or the trailing slash).',
  },
  RECEIVER_GONE_PAST: {
    'pt-BR':
      'O destino respondeu {status} (Gone), ou seja, não quer mais receber dados: esta resposta desativou o webhook. Se o destino voltar a aceitar, reative o webhook e use "recuperar" (recover) para enviar o que falhou.',
    en: 'The receiver answered {status} (Gone), meaning it no longer wants data: this answer disabled the webhook. If the receiver accepts again, enable the webhook again and use recover to send what failed.',
  },
  NETWORK_ERROR_PAST: {
    'pt-BR': 'A conexão com o destino falhou ({detail}). Verifique a URL e a rede do servidor de destino.',
    en: 'The connection to the receiver failed ({detail}). Check the URL and the receiving server’s network.',
  },
  // A delivery that gave up: its last attempt's outcome in the test button's words (outcome-wording.ts).
  GAVE_UP: {
    'pt-BR': 'desistiu depois de {n} tentativas. {motivo}',
    en: 'gave up after {n} attempts. {motivo}',
  },
  NETWORK_ERROR: {
    'pt-BR': 'A conexão com {url} falhou ({detail}). Verifique a URL e a rede do servidor de destino.',
    en: 'The connection to {url} failed ({detail}). Check the URL and the receiving server’s network.',
  },
  // A change made while the endpoint is disabled is recorded as a cancelled delivery: a recover sends it too.
  GONE: {
    'pt-BR':
      'desativado: o destino respondeu 410 (Gone), ou seja, não quer mais receber dados. Enquanto o webhook estiver desativado, nada é enviado a ele: as mudanças ficam registradas como entregas canceladas. Se o destino voltar a aceitar, reative o webhook e use "recuperar" (recover) desde quando quiser para enviar as entregas que falharam ou foram canceladas, inclusive as mudanças feitas enquanto ele estava desativado',
    en: 'disabled: the receiver answered 410 (Gone), meaning it no longer wants data. While the webhook is disabled nothing is sent to it: changes are recorded as cancelled deliveries. If the receiver accepts again, enable the webhook again and use recover since the time you choose to send the deliveries that failed or were cancelled, the changes made while it was disabled included',
  },
  FAILING_TOO_LONG: {
    'pt-BR':
      'desativado: todas as entregas falharam desde {since}. Enquanto o webhook estiver desativado, nada é enviado a ele: as mudanças ficam registradas como entregas canceladas. Corrija o destino, reative o webhook e use "recuperar" (recover) desde {since} para enviar as entregas que falharam ou foram canceladas, inclusive as mudanças feitas enquanto ele estava desativado',
    en: 'disabled: every delivery failed since {since}. While the webhook is disabled nothing is sent to it: changes are recorded as cancelled deliveries. Fix the receiver, enable the webhook again and use recover since {since} to send the deliveries that failed or were cancelled, the changes made while it was disabled included',
  },
  ENDPOINT_DISABLED: {
    'pt-BR': 'cancelada: o webhook estava desativado; reative-o e use "recuperar" (recover) para reenviá-la',
    en: 'cancelled: the webhook was disabled; enable it again and use recover to resend it',
  },
  ENDPOINT_DELETED: { 'pt-BR': 'cancelada: o webhook foi excluído', en: 'cancelled: the webhook was deleted' },
  WEBHOOK_DISABLED: {
    'pt-BR': 'webhook desativado: reative-o (PATCH /v1/webhooks/{id} com {"ativo": true}) antes de reenviar',
    en: 'webhook disabled: enable it again (PATCH /v1/webhooks/{id} with {"ativo": true}) before resending',
  },
  // A resend, recover or job retry of a delivery whose endpoint was deleted: nothing would be sent (its deliveries stay readable).
  WEBHOOK_DELETED: {
    'pt-BR':
      'o webhook #{id} foi excluído: nada é enviado a ele, e reenviar ou recuperar as entregas dele não envia nada. As entregas continuam visíveis até o fim da retenção (RETENTION_WEBHOOKS_DAYS); para enviar de novo a esse destino, cadastre-o como um novo webhook',
    en: 'webhook #{id} was deleted: nothing is sent to it, and resending or recovering its deliveries would send nothing. Its deliveries stay readable until the retention period ends (RETENTION_WEBHOOKS_DAYS); to send to that receiver again, register it as a new webhook',
  },
  WEBHOOK_ROTATION_IN_GRACE: {
    'pt-BR':
      'o segredo foi girado há pouco e o anterior ainda assina as entregas até {ate} (período de carência): girar de novo agora o revogaria na hora, e o destino pode ainda estar usando-o. Configure o destino com o segredo novo (o da última rotação) e gire de novo depois de {ate}; se um segredo vazou, gire com {"revogarAnterior": true} (na CLI, --revogar-anterior): os anteriores deixam de assinar na hora',
    en: 'the secret was rotated a moment ago and the previous one still signs deliveries until {ate} (grace period): rotating again now would revoke it at once, and the receiver may still be using it. Set the new secret (the last rotation\'s) on the receiver and rotate again after {ate}; if a secret leaked, rotate with {"revogarAnterior": true} (CLI: --revogar-anterior): the previous ones stop signing at once',
  },
  WEBHOOK_NOT_FOUND: { 'pt-BR': 'webhook não encontrado', en: 'webhook not found' },
  DELIVERY_NOT_FOUND: { 'pt-BR': 'entrega não encontrada', en: 'delivery not found' },
  WEBHOOK_URL_INVALID: {
    'pt-BR': 'URL inválida: {url}; esperado um endereço http:// ou https:// completo',
    en: 'invalid URL: {url}; expected a full http:// or https:// address',
  },
  WEBHOOK_URL_PLACEHOLDER: {
    'pt-BR': 'a URL deve ser fixa: sem parâmetros ou marcadores como {, }, # ou $ ({url})',
    en: 'the URL must be fixed: no parameters or placeholders such as {, }, # or $ ({url})',
  },
  WEBHOOK_URL_HTTPS_REQUIRED: {
    'pt-BR':
      'este hub só envia webhooks por HTTPS: os dados enviados incluem informações pessoais e, por http://, qualquer um no caminho pode lê-los ou alterá-los. Cadastre a URL com https:// ({url}); o operador do hub exige isso em WEBHOOK_HTTPS_ONLY',
    en: 'this hub sends webhooks over HTTPS only: the data sent includes personal information and, over http://, anyone on the way can read or alter it. Register the URL with https:// ({url}); the hub operator requires it in WEBHOOK_HTTPS_ONLY',
  },
  // A delivery refused by WEBHOOK_HTTPS_ONLY: its endpoint was saved as http:// before the operator turned it on. No URL
  // in the words (its query may hold a token, and the endpoint's URL may have changed since).
  HTTPS_REQUIRED: {
    'pt-BR':
      'não enviado: este hub só envia webhooks por HTTPS (WEBHOOK_HTTPS_ONLY) e a URL deste webhook é http://, gravada antes de o operador exigir HTTPS; altere a URL para https:// e reenvie as entregas que falharam',
    en: "not sent: this hub sends webhooks over HTTPS only (WEBHOOK_HTTPS_ONLY) and this webhook's URL is http://, saved before the operator required HTTPS; change the URL to https:// and resend the failed deliveries",
  },
  // A delivery whose body is over WEBHOOK_MAX_PAYLOAD_BYTES (deliver.ts): stored with the sizes, shown without them.
  PAYLOAD_TOO_LARGE: {
    'pt-BR':
      'não enviado: o corpo deste webhook tem {kb} KB, acima do limite de {max} KB do hub (WEBHOOK_MAX_PAYLOAD_BYTES); reduza os dados do registro (por exemplo os campos personalizados) e reenvie, ou peça ao operador do hub que aumente o limite',
    en: "not sent: this webhook's body is {kb} KB, over the hub's limit of {max} KB (WEBHOOK_MAX_PAYLOAD_BYTES); reduce the record's data (its custom fields, for example) and resend, or ask the hub operator to raise the limit",
  },
  PAYLOAD_TOO_LARGE_PAST: {
    'pt-BR':
      'não enviado: o corpo deste webhook passa do limite de tamanho do hub (WEBHOOK_MAX_PAYLOAD_BYTES); reduza os dados do registro (por exemplo os campos personalizados) e reenvie, ou peça ao operador do hub que aumente o limite',
    en: "not sent: this webhook's body is over the hub's size limit (WEBHOOK_MAX_PAYLOAD_BYTES); reduce the record's data (its custom fields, for example) and resend, or ask the hub operator to raise the limit",
  },
  WEBHOOK_URL_CREDENTIALS: {
    'pt-BR': 'a URL não pode conter usuário e senha; use um cabeçalho personalizado (por exemplo Authorization)',
    en: 'the URL must not hold a user and password; use a custom header (for example Authorization)',
  },
  // Said when the URL is saved, in the words of the test button's ADDRESS_FORBIDDEN: the guard would refuse every delivery.
  WEBHOOK_URL_FORBIDDEN: {
    'pt-BR':
      'o endereço {host} leva a uma rede interna ({range}) e o hub recusa entregas para lá por segurança; use um endereço público. Se o destino é interno de propósito, o operador do hub pode liberá-lo incluindo {entry} em WEBHOOK_ALLOWED_NETWORKS (e reiniciando o ingress e o worker de webhooks)',
    en: 'the address {host} leads to an internal network ({range}) and the hub refuses to deliver there for security; use a public address. If the receiver is internal on purpose, the hub operator can allow it by adding {entry} to WEBHOOK_ALLOWED_NETWORKS (and restarting the ingress and the webhook worker)',
  },
  // WEBHOOK_URL_FORBIDDEN for a range config refuses in WEBHOOK_ALLOWED_NETWORKS (link-local, cloud metadata): no advice to allow it.
  WEBHOOK_URL_NEVER_ALLOWED: {
    'pt-BR':
      'o endereço {host} leva a uma rede interna ({range}) que o hub nunca alcança, por segurança (nenhum valor de WEBHOOK_ALLOWED_NETWORKS a libera); use um endereço público',
    en: 'the address {host} leads to an internal network ({range}) that the hub never reaches, for security (no WEBHOOK_ALLOWED_NETWORKS value allows it); use a public address',
  },
  WEBHOOK_GATILHO_INVALID: {
    'pt-BR': 'gatilho desconhecido: {gatilho}; use um de {gatilhos}',
    en: 'unknown gatilho: {gatilho}; use one of {gatilhos}',
  },
  WEBHOOK_HEADER_INVALID: {
    'pt-BR':
      "cabeçalho personalizado inválido: {name} (nomes reservados: content-type, webhook-*; o nome só com letras, dígitos e !#$%&'*+.^_`|~-; o valor sem quebras de linha nem caracteres fora do Latin-1, como €)",
    en: "invalid custom header: {name} (reserved names: content-type, webhook-*; the name only letters, digits and !#$%&'*+.^_`|~-; the value without line breaks or characters outside Latin-1, such as €)",
  },
  WEBHOOK_SECRET_KEY_MISSING: {
    'pt-BR':
      'o segredo de assinatura ou os cabeçalhos personalizados deste webhook estão cifrados, mas a chave WEBHOOK_SECRET_KEY não está definida neste servidor; defina a mesma chave usada ao gravá-los e reinicie (nada foi enviado)',
    en: "this webhook's signing secret or custom headers are sealed, but WEBHOOK_SECRET_KEY is not set on this host; set the key they were written with and restart (nothing was sent)",
  },
  WEBHOOK_HEADERS_REQUIRED: {
    'pt-BR':
      'a nova URL leva a outro destino ({from} → {to}) e o webhook tem cabeçalhos personalizados ({names}), cujos valores nunca são mostrados: envie "cabecalhos" com os valores para o novo destino, ou {} para removê-los',
    en: 'the new URL leads to another receiver ({from} → {to}) and the webhook has custom headers ({names}) whose values are never shown: send "cabecalhos" with the values for the new receiver, or {} to remove them',
  },
  CHANGE_TABLE_INVALID: {
    'pt-BR':
      'tabela desconhecida: "{tabela}"; nenhum gatilho de webhook nem integração da empresa usa essa tabela. Tabelas aceitas: {tabelas}',
    en: 'unknown table: "{tabela}"; no webhook gatilho nor integration of the empresa uses it. Accepted tables: {tabelas}',
  },
  // A webhook table's event with neither `id` nor `parametros` (a typo such as "ID"): it could do nothing at all.
  CHANGE_ID_REQUIRED: {
    'pt-BR':
      'falta o campo "id" (a linha de {tabela} que mudou): sem ele nenhum webhook é enviado e nenhuma integração tem parâmetros. Envie "id" com o id da linha (em minúsculas), ou "parametros" para só disparar as integrações SET',
    en: 'the "id" field is missing (the row of {tabela} that changed): without it no webhook is sent and no integration has parameters. Send "id" with the row\'s id (lower case), or "parametros" to run the SET integrations only',
  },
  CHANGE_IN_PROGRESS: {
    'pt-BR':
      'o evento com esta chave de idempotência ainda está sendo processado (a primeira tentativa não terminou); tente de novo em alguns segundos para receber a resposta dela',
    en: 'the event with this idempotency key is still being processed (its first attempt has not finished); retry in a few seconds to get its answer',
  },
  CHANGE_KEY_REUSED: {
    'pt-BR':
      'esta chave de idempotência já foi usada com outro evento (outro corpo); nada foi feito. Use uma chave nova para um evento novo, ou repita o primeiro evento exatamente como foi',
    en: 'this idempotency key was already used with another event (another body); nothing was done. Use a new key for a new event, or repeat the first event exactly as it was',
  },
  // Why a change event sent no webhook (the `motivo` of its answer).
  NO_ROW: {
    'pt-BR': 'nenhum webhook enviado: a linha {tabela} #{id} não existe nesta empresa',
    en: 'no webhook sent: row {tabela} #{id} does not exist in this empresa',
  },
  NO_GATILHO: {
    'pt-BR': 'nenhum webhook enviado: a operação "{operacao}" em {tabela} não dispara gatilho; disparam: {disparam}',
    en: 'no webhook sent: operacao "{operacao}" on {tabela} fires no gatilho; these do: {disparam}',
  },
  NOT_CONCLUDED: {
    'pt-BR':
      'nenhum webhook enviado: o status atual da atividade #{id} ("{status}") não é de concluída; "{operacao}" só dispara atividade.concluida quando a atividade já está concluída no CRM: grave o status de concluída antes de enviar o evento',
    en: 'no webhook sent: the current status of atividade #{id} ("{status}") is not concluded; "{operacao}" fires atividade.concluida only once the atividade is concluded in the CRM: save the concluded status before sending the event',
  },
  NO_ENDPOINT: {
    'pt-BR': 'nenhum webhook enviado: nenhum webhook da empresa assina o gatilho {gatilho}',
    en: 'no webhook sent: no webhook of the empresa subscribes to gatilho {gatilho}',
  },
  ENDPOINTS_DISABLED: {
    'pt-BR':
      'nenhum webhook enviado agora: os webhooks que assinam o gatilho {gatilho} estão desativados. A mudança ficou registrada como entrega cancelada (canceladas); reative o webhook e use "recuperar" (recover) para enviá-la',
    en: 'no webhook sent now: the webhooks subscribed to gatilho {gatilho} are disabled. The change is recorded as a cancelled delivery (canceladas); enable the webhook again and use recover to send it',
  },
  VIA_TRIGGERS: {
    'pt-BR': 'os gatilhos de captura instalados no CRM informam as mudanças (WEBHOOK_CAPTURE=triggers): esta rota não envia webhooks',
    en: 'the capture triggers installed on the CRM report changes (WEBHOOK_CAPTURE=triggers): this route sends no webhooks',
  },
};

const CATALOGUE = defineCatalogue(MESSAGES);

/** A message in the locale with its {params} filled in (an address range worded in the locale). */
export function webhookMessage(locale: Locale, code: keyof typeof MESSAGES, params: Record<string, string | number> = {}): string {
  const range = typeof params.range === 'string' ? addressRangeText(locale, params.range) : undefined;
  // The code stays ADDRESS_FORBIDDEN (clients and stored results know it); its words follow the range it names.
  const never = code === 'ADDRESS_FORBIDDEN' && typeof params.range === 'string' && isAlwaysRefusedRangeName(params.range);
  return CATALOGUE.message(locale, never ? 'ADDRESS_NEVER_ALLOWED' : code, range === undefined ? params : { ...params, range });
}

/** Whether a code read back from storage (an audit row) is one of this catalogue's. */
export function isWebhookMessageCode(code: string): code is keyof typeof MESSAGES {
  return CATALOGUE.has(code);
}

/** The reason an endpoint was disabled (stored as JSON), worded for the reader; null when it is not disabled. */
export function disabledReasonMessage(locale: Locale, stored: string | null): { code: string; message: string } | null {
  if (!stored) return null;
  try {
    const reason = JSON.parse(stored) as { code: 'GONE' | 'FAILING_TOO_LONG'; since?: string };
    return { code: reason.code, message: webhookMessage(locale, reason.code, { since: reason.since ?? '' }) };
  } catch {
    return { code: 'DISABLED', message: stored };
  }
}

/** The code `ultimo_erro` holds for a delivery cancelled because its endpoint was disabled (recover re-sends these). */
export const CANCELLED_DISABLED: CancelReason = 'ENDPOINT_DISABLED';
/** What `ultimo_erro` held for every cancelled delivery before the reasons were coded (read as ENDPOINT_DISABLED). */
export const LEGACY_CANCEL_TEXT = 'endpoint disabled or deleted';

/**
 * Why a cancelled delivery was cancelled, as its code (the field `motivo` beside the worded `ultimo_erro`): the text
 * written before the codes existed reads as ENDPOINT_DISABLED; null for a delivery that is not cancelled.
 */
export function cancelReasonOf(status: string, stored: string | null): CancelReason | null {
  if (status !== 'cancelada') return null;
  if (stored === 'ENDPOINT_DELETED') return stored;
  return stored === 'ENDPOINT_DISABLED' || stored === LEGACY_CANCEL_TEXT ? 'ENDPOINT_DISABLED' : null;
}

/**
 * A delivery's last error as shown: a cancelled one's stored reason code worded in the reader's language (the text
 * written before the codes existed counts as "disabled": its endpoint, shown, exists); any other error as recorded.
 */
export function storedErrorMessage(locale: Locale, status: string, stored: string | null): string | null {
  if (status !== 'cancelada' || stored === null) return stored;
  if (stored === 'ENDPOINT_DISABLED' || stored === 'ENDPOINT_DELETED') return webhookMessage(locale, stored);
  return stored === LEGACY_CANCEL_TEXT ? webhookMessage(locale, 'ENDPOINT_DISABLED') : stored;
}
