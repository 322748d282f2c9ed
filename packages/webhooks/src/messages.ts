import { defineCatalogue, type Locale, type MessageTable } from '@integrador/i18n';
import type { WebhookErrorCode } from './errors';

/** The engine's user-facing texts: pt-BR by default, English on request; one language per message. */
export type { Locale };

export type TestCode =
  | 'OK'
  | 'CONNECTION_REFUSED'
  | 'DNS_FAILED'
  | 'TLS_FAILED'
  | 'TIMEOUT'
  | 'REDIRECT'
  | 'CLIENT_ERROR'
  | 'SERVER_ERROR'
  | 'ADDRESS_FORBIDDEN'
  | 'NETWORK_ERROR';

const MESSAGES: MessageTable<TestCode | WebhookErrorCode | 'GONE' | 'FAILING_TOO_LONG'> = {
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
  NETWORK_ERROR: {
    'pt-BR': 'A conexão com {url} falhou ({detail}). Verifique a URL e a rede do servidor de destino.',
    en: 'The connection to {url} failed ({detail}). Check the URL and the receiving server’s network.',
  },
  GONE: {
    'pt-BR': 'desativado: o destino respondeu 410 (Gone), ou seja, não quer mais receber dados',
    en: 'disabled: the receiver answered 410 (Gone), meaning it no longer wants data',
  },
  FAILING_TOO_LONG: {
    'pt-BR': 'desativado: todas as entregas falharam desde {since}; corrija o destino e reative o webhook',
    en: 'disabled: every delivery failed since {since}; fix the receiver and enable the webhook again',
  },
  WEBHOOK_NOT_FOUND: { 'pt-BR': 'webhook não encontrado', en: 'webhook not found' },
  DELIVERY_NOT_FOUND: { 'pt-BR': 'entrega não encontrada', en: 'delivery not found' },
  WEBHOOK_URL_INVALID: {
    'pt-BR': 'URL inválida: {url}; esperado um endereço http:// ou https:// completo',
    en: 'invalid URL: {url}; expected a full http:// or https:// address',
  },
  WEBHOOK_URL_PLACEHOLDER: {
    'pt-BR': 'a URL deve ser fixa (seed 004): sem parâmetros ou marcadores como {, }, # ou $ ({url})',
    en: 'the URL must be fixed: no parameters or placeholders such as {, }, # or $ ({url})',
  },
  WEBHOOK_URL_CREDENTIALS: {
    'pt-BR': 'a URL não pode conter usuário e senha; use um cabeçalho personalizado (por exemplo Authorization)',
    en: 'the URL must not hold a user and password; use a custom header (for example Authorization)',
  },
  WEBHOOK_GATILHO_INVALID: {
    'pt-BR': 'gatilho desconhecido: {gatilho}; use um de {gatilhos}',
    en: 'unknown gatilho: {gatilho}; use one of {gatilhos}',
  },
  WEBHOOK_HEADER_INVALID: {
    'pt-BR': 'cabeçalho personalizado inválido: {name} (nomes reservados: content-type, webhook-*; nomes e valores sem quebras de linha)',
    en: 'invalid custom header: {name} (reserved names: content-type, webhook-*; names and values without line breaks)',
  },
  WEBHOOK_SECRET_KEY_MISSING: {
    'pt-BR':
      'o segredo de assinatura deste webhook está cifrado, mas a chave WEBHOOK_SECRET_KEY não está definida neste servidor; defina a mesma chave usada ao criá-lo e reinicie (nada foi enviado)',
    en: "this webhook's signing secret is sealed, but WEBHOOK_SECRET_KEY is not set on this host; set the key it was created with and restart (nothing was sent)",
  },
  CHANGE_TABLE_INVALID: {
    'pt-BR': 'a tabela {tabela} não dispara webhooks; use contatos, oportunidades, atividades ou eventos',
    en: 'table {tabela} fires no webhooks; use contatos, oportunidades, atividades or eventos',
  },
};

const CATALOGUE = defineCatalogue(MESSAGES);

/** A message in the locale with its {params} filled in. */
export function webhookMessage(locale: Locale, code: keyof typeof MESSAGES, params: Record<string, string | number> = {}): string {
  return CATALOGUE.message(locale, code, params);
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
