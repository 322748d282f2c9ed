import { parseAddressAllowlist } from '@integrador/connections';
import { freePort } from '@integrador/test-support/ports';
import { checkWebhookUrl } from './endpoint-input';
import { WebhookError } from './errors';
import { createWebhookHttpClient } from './http-client';
import { webhookMessage } from './messages';
import { explain } from './test-endpoint';

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
  });
});
