import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { attemptHeaders, customHeaders, signingKeys, signingSecrets } from './deliver';
import type { WebhookEndpoint } from './endpoints.repository';
import { generateSigningSecret, parseSecretKey, sealSecret } from './secret-box';

describe('signing keys of an endpoint', () => {
  const secretKey = parseSecretKey(randomBytes(32).toString('base64'));
  const current = generateSigningSecret();
  const previous = generateSigningSecret();
  const endpoint = (graceUntil: Date | null): WebhookEndpoint => ({
    id: 1,
    empresaId: 1,
    nome: 'e',
    url: 'https://example.com/hook',
    gatilhos: ['contato.criado'],
    ativo: true,
    segredo: sealSecret(current, secretKey),
    segredoAnterior: graceUntil ? sealSecret(previous, secretKey) : null,
    segredoAnteriorExpiraEm: graceUntil,
    cabecalhos: { 'x-tenant': 'a' },
    limitePorSegundo: null,
    primeiraFalhaEm: null,
    desativadoMotivo: null,
    criadoEm: new Date(),
    atualizadoEm: null,
  });
  const body = '[{"id":"1"}]';

  it('are opened and decoded once per endpoint row, and sign as Standard Webhooks verifies', () => {
    const row = endpoint(null);
    const keys = signingKeys(row, { secretKey });
    // The same row gives the same key bytes: no AES-GCM open and base64 decode per delivery.
    expect(signingKeys(row, { secretKey })[0]).toBe(keys[0]);
    const headers = attemptHeaders(customHeaders(row, { secretKey }), keys, 'msg_1', body, 'contato.criado');
    expect(headers['x-tenant']).toBe('a');
    expect(() => new Webhook(current).verify(body, headers)).not.toThrow();
  });

  it('include the previous secret during its grace period only', () => {
    const now = Date.now();
    const row = endpoint(new Date(now + 60000));
    const during = attemptHeaders(customHeaders(row, { secretKey }), signingKeys(row, { secretKey }, now), 'msg_2', body, 'contato.criado');
    expect(during['webhook-signature']?.split(' ')).toHaveLength(2);
    expect(() => new Webhook(previous).verify(body, during)).not.toThrow();
    expect(() => new Webhook(current).verify(body, during)).not.toThrow();
    const after = attemptHeaders(
      customHeaders(row, { secretKey }),
      signingKeys(row, { secretKey }, now + 60001),
      'msg_3',
      body,
      'contato.criado',
    );
    expect(after['webhook-signature']?.split(' ')).toHaveLength(1);
    expect(() => new Webhook(previous).verify(body, after)).toThrow();
  });

  it('never open an expired previous secret (it may be sealed under a retired WEBHOOK_SECRET_KEY)', () => {
    const retiredKey = parseSecretKey(randomBytes(32).toString('base64'));
    const now = Date.now();
    const row: WebhookEndpoint = { ...endpoint(new Date(now - 1000)), segredoAnterior: sealSecret(previous, retiredKey) };
    // Both callers (deliveries and the test call) follow the one grace rule: only the current secret signs.
    expect(signingKeys(row, { secretKey }, now)).toHaveLength(1);
    expect(signingSecrets(row, { secretKey }, now)).toEqual([current]);
    const headers = attemptHeaders(
      customHeaders(row, { secretKey }),
      signingKeys(row, { secretKey }, now),
      'msg_4',
      body,
      'contato.criado',
    );
    expect(() => new Webhook(current).verify(body, headers)).not.toThrow();
  });

  it('drop the previous key once its grace period ends while the row is cached', () => {
    const now = Date.now();
    const row = endpoint(new Date(now + 1000));
    expect(signingKeys(row, { secretKey }, now)).toHaveLength(2);
    expect(signingKeys(row, { secretKey }, now + 1001)).toHaveLength(1);
    // Back within the grace period (a clock step back) the key is opened again, not kept in memory meanwhile.
    expect(signingKeys(row, { secretKey }, now)).toHaveLength(2);
  });
});
