import { randomUUID } from 'node:crypto';
import { attemptHeaders, customHeaders, signingSecrets } from './deliver';
import { plainHttpRefused } from './endpoint-input';
import type { WebhookEndpoint } from './endpoints.repository';
import { type Gatilho, tableOf } from './gatilhos';
import type { WebhookHttpClient } from './http-client';
import { type Locale, type TestCode, webhookMessage } from './messages';
import { explain } from './outcome-wording';
import { atividadePayload, contatoPayload, eventoPayload, oportunidadePayload } from './payloads';
import type { WebhookSettings } from './settings';

// The test button (seed 004): a sample of the endpoint's gatilho, built by the same builders as real payloads from
// a made-up row, signed like a real delivery; the answer says whether it worked and, if not, what to fix. A receiver
// that upserts by id must not take it for a real record: it is marked three ways (README "Receiving webhooks"): the
// header `webhook-teste: 1`, a webhook-id starting `msg_test_` (covered by the signature), and every id in the body
// "0", which no CRM row has (the CRM's ids start at 1).

/** The header a test delivery carries (real deliveries never do), named under the spec's prefix as webhook-gatilho is. */
const TEST_HEADER = 'webhook-teste';
/** The prefix of a test delivery's webhook-id (a real one is msg_ and hex only: message-id.ts). */
const TEST_WEBHOOK_ID_PREFIX = 'msg_test_';

const SAMPLE_ROW = {
  id: 0,
  codigo: 'TESTE',
  nome: 'Contato de teste',
  email: 'teste@exemplo.com.br',
  telefone: '1130000000',
  status: 'Aberta',
  tipo: 'Teste de webhook',
  descricao: 'Teste de webhook',
  inicio: '2026-01-01T12:00:00Z',
  dados: null,
  campos_personalizados: null,
};
const SAMPLE_REFS = {
  usuario: { id: 0, nome: 'Usuário de teste', email: 'usuario@exemplo.com.br' },
  contato: { id: 0, codigo: 'TESTE' },
};

/** The sample payload of a gatilho (a JSON array, as real deliveries send). */
export function samplePayload(gatilho: Gatilho): Record<string, unknown>[] {
  switch (tableOf(gatilho)) {
    case 'contatos':
      return [contatoPayload(SAMPLE_ROW)];
    case 'oportunidades':
      return [oportunidadePayload(SAMPLE_ROW, SAMPLE_REFS)];
    case 'atividades':
      return [atividadePayload(SAMPLE_ROW, SAMPLE_REFS)];
    case 'eventos':
      return [eventoPayload(SAMPLE_ROW, SAMPLE_REFS)];
  }
}

/** The test's answer: ok, a code saying what went wrong, and a message saying what to fix. */
export interface TestResult {
  ok: boolean;
  code: TestCode;
  message: string;
  /** The message's parameters: whoever shows the outcome later words it again with webhookMessage(locale, code, params). */
  params: Record<string, string | number>;
  status: number | null;
  durationMs: number;
}

/** Sends the sample of the endpoint's (first) gatilho and explains the outcome in the caller's language. */
export async function testWebhookEndpoint(
  http: WebhookHttpClient,
  settings: Pick<WebhookSettings, 'secretKey' | 'timeoutMs' | 'httpsOnly'>,
  endpoint: WebhookEndpoint,
  locale: Locale,
): Promise<TestResult> {
  // No http:// request at all under WEBHOOK_HTTPS_ONLY, the test's included (an endpoint saved before it was set).
  if (plainHttpRefused(endpoint.url, settings.httpsOnly)) {
    const code = 'HTTPS_REQUIRED';
    return { ok: false, code, message: webhookMessage(locale, code), params: {}, status: null, durationMs: 0 };
  }
  const gatilho = endpoint.gatilhos[0] ?? 'contato.criado';
  const body = JSON.stringify(samplePayload(gatilho));
  const webhookId = `${TEST_WEBHOOK_ID_PREFIX}${randomUUID().replaceAll('-', '')}`;
  const signed = attemptHeaders(customHeaders(endpoint, settings), signingSecrets(endpoint, settings), webhookId, body, gatilho);
  const headers = { ...signed, [TEST_HEADER]: '1' };
  const result = await http.send(endpoint.url, headers, body);
  const { code, params } = explain(result, endpoint.url, settings.timeoutMs);
  return {
    ok: result.ok,
    code,
    message: webhookMessage(locale, code, params),
    params,
    status: result.status,
    durationMs: result.durationMs,
  };
}
