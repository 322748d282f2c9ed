import { parseAddressAllowlist } from '@integrador/connections';
import { freePort } from '@integrador/test-support/ports';
import { ATIVIDADE_108, CONTATO_341, EVENTO_934, OPORTUNIDADE_150 } from '@integrador/test-support/seed-004';
import { typeDrift } from '@integrador/test-support/seed-004-types';
import { spawnReceiver } from '@integrador/test-support/webhook-receiver';
import { Webhook } from 'standardwebhooks';
import { checkWebhookUrl } from './endpoint-input';
import { WebhookError } from './errors';
import { createWebhookHttpClient } from './http-client';
import { webhookMessage } from './messages';
import { explain } from './outcome-wording';
import { generateSigningSecret } from './secret-box';
import { testWebhookEndpoint } from './test-endpoint';

// An endpoint URL may carry a token in its query (credentials before the host are refused): the delivery goes to the
// full URL, the test's messages, the stored error and a refusal name it as shownUrl gives it.
describe('webhook endpoint URLs as shown', () => {
  it('explains a refused connection and a redirect without the query values', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/hook?token=s3cr3t`;
    const client = createWebhookHttpClient({ connectTimeoutMs: 1000, timeoutMs: 1000, allowlist: parseAddressAllowlist(['127.0.0.1/32']) });
    try {
      const result = await client.send(url, {}, '[]');
      const { code, params } = explain(result, url, 1000);
      expect(code).toBe('CONNECTION_REFUSED');
      expect(webhookMessage('pt-BR', code, params)).toContain(`no endereço http://127.0.0.1:${port}/hook?token=***:`);
      expect(result.error ?? '').not.toContain('s3cr3t');
    } finally {
      await client.close();
    }
    const redirect = explain(
      {
        ok: false,
        status: 302,
        body: null,
        headers: { location: 'https://outro/x?token=s3cr3t' },
        durationMs: 1,
        errorClass: 'redirect',
        error: null,
      },
      url,
      1000,
    );
    expect(redirect.params.location).toBe('https://outro/x?token=***');
  });

  it.each([
    ['http://169.254.169.254/latest/meta-data', '169.254.169.254', 'link-local', false],
    ['http://100.100.100.200/latest/meta-data', '100.100.100.200', 'metadados de nuvem', false],
    ['http://100.64.0.1/hook', '100.64.0.1', 'NAT da operadora', true],
    ['http://10.1.2.3/hook', '10.1.2.3', 'privada', true],
  ])("explains a refused address %s by the guard's own range, worded", async (url, host, words, allowable) => {
    const client = createWebhookHttpClient({ connectTimeoutMs: 1000, timeoutMs: 1000, allowlist: [] });
    try {
      const { code, params } = explain(await client.send(url, {}, '[]'), url, 1000);
      expect(code).toBe('ADDRESS_FORBIDDEN');
      const message = webhookMessage('pt-BR', code, params);
      expect(message).toContain(`O endereço ${host} leva a uma rede interna (${words})`);
      // A range config refuses in WEBHOOK_ALLOWED_NETWORKS (link-local, cloud metadata) gets no advice to allow it.
      expect(message.includes('libere a faixa')).toBe(allowable);
      expect(webhookMessage('en', code, params).includes('ask the hub operator to allow')).toBe(allowable);
      if (!allowable) expect(message).toContain('nunca alcança');
    } finally {
      await client.close();
    }
  });

  it('refuses a URL with a placeholder or another scheme naming it as shown', () => {
    const refusal = (text: string) => {
      try {
        checkWebhookUrl(text);
      } catch (err) {
        expect(err).toBeInstanceOf(WebhookError);
        return err as WebhookError;
      }
      throw new Error('expected a refusal');
    };
    expect(refusal('https://h.example/hook?token=s3cr3t&id={id}').params.url).toBe('https://h.example/hook?token=***&id=***');
    expect(refusal('ftp://h.example/hook?token=s3cr3t').params.url).toBe('ftp://h.example/hook?token=***');
    expect(refusal('ftp://h.example/hook?token=s3cr3t').message).not.toContain('s3cr3t');
    // Worded for the tenant: no name of the internal spec ("seed 004").
    const placeholder = refusal('https://h.example/hook/{id}');
    expect(webhookMessage('pt-BR', placeholder.code, placeholder.params)).toBe(
      'a URL deve ser fixa: sem parâmetros ou marcadores como {, }, # ou $ (https://h.example/hook/%7Bid%7D)',
    );
  });
});

// The Testar sample must not look like a real record to a receiver that upserts by id: it carries a header real
// deliveries never carry, a msg_test_ webhook-id (signed), and ids "0", which no CRM row has. Its shape is checked
// against the spec itself (seed 004's example of the gatilho's table, the Standard Webhooks headers), not against the
// builder that made it.
const SEED_004_EXAMPLE = {
  'contato.criado': CONTATO_341,
  'oportunidade.criada': OPORTUNIDADE_150,
  'atividade.concluida': ATIVIDADE_108,
  'evento.criado': EVENTO_934,
} as const;

describe('the test delivery a receiver gets', () => {
  it.each(Object.keys(SEED_004_EXAMPLE) as (keyof typeof SEED_004_EXAMPLE)[])(
    '%s: marked by webhook-teste and msg_test_, every id "0", signed, and seed 004\'s shape',
    async (gatilho) => {
      const receiver = await spawnReceiver();
      const http = createWebhookHttpClient({ connectTimeoutMs: 2000, timeoutMs: 5000, allowlist: parseAddressAllowlist(['127.0.0.1/32']) });
      const segredo = generateSigningSecret();
      const endpoint = {
        id: 1,
        empresaId: 1,
        nome: 'e',
        url: `${receiver.url}/ok/teste`,
        gatilhos: [gatilho],
        ativo: true,
        segredo: `plain:${segredo}`,
        segredoAnterior: null,
        segredoAnteriorExpiraEm: null,
        cabecalhos: {},
        limitePorSegundo: null,
        primeiraFalhaEm: null,
        desativadoMotivo: null,
        criadoEm: new Date(),
        atualizadoEm: null,
      };
      try {
        const sentAt = Math.floor(Date.now() / 1000);
        const result = await testWebhookEndpoint(http, { secretKey: undefined, timeoutMs: 5000, httpsOnly: false }, endpoint, 'pt-BR');
        expect(result.ok).toBe(true);
        const [request] = await receiver.waitFor('/ok/teste', 1);
        const { headers, body } = request as { headers: Record<string, string>; body: string };
        // Seed 004: "POST application/json"; Standard Webhooks: webhook-id, webhook-timestamp (Unix seconds) and
        // webhook-signature (space-separated `v1,<base64>`), verified by the reference library with the endpoint's secret.
        expect(headers['content-type']).toMatch(/^application\/json\b/);
        expect(headers['webhook-teste']).toBe('1');
        expect(headers['webhook-gatilho']).toBe(gatilho);
        expect(headers['webhook-id']).toMatch(/^msg_test_[0-9a-f]{32}$/);
        expect(headers['webhook-timestamp']).toMatch(/^\d+$/);
        expect(Math.abs(Number(headers['webhook-timestamp']) - sentAt)).toBeLessThanOrEqual(5);
        expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+={0,2}( v1,[A-Za-z0-9+/]+={0,2})*$/);
        const verified = new Webhook(segredo).verify(body, headers) as Record<string, unknown>[];
        expect(() => new Webhook(generateSigningSecret()).verify(body, headers)).toThrow();
        const ids: unknown[] = [];
        JSON.stringify(verified, (key, value) => {
          if (key === 'id' && value !== null) ids.push(value);
          return value;
        });
        expect(ids.length).toBeGreaterThan(0);
        expect(new Set(ids)).toEqual(new Set(['0']));
        // A JSON array of one record: seed 004's fields of the gatilho's table, in the seed's order, each of the seed's
        // type or null (seed 004: what is not available is sent as NULL).
        const example = SEED_004_EXAMPLE[gatilho];
        expect(verified).toHaveLength(1);
        expect(Object.keys(verified[0] as object)).toEqual(Object.keys(example));
        expect(typeDrift([example], verified)).toEqual([]);
      } finally {
        await http.close();
        await receiver.close();
      }
    },
  );
});
