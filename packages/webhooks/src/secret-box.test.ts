import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { generateSigningSecret, openSecret, parseSecretKey, sealSecret } from './secret-box';
import { standardWebhookHeaders } from './signing';

describe('signing secrets', () => {
  it('are whsec_ + 32 random bytes that standardwebhooks accepts', () => {
    const secret = generateSigningSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    const body = '[{"id":"1"}]';
    expect(() => new Webhook(secret).verify(body, standardWebhookHeaders([secret], 'msg_1', body))).not.toThrow();
  });

  it('are sealed with AES-256-GCM under WEBHOOK_SECRET_KEY and opened only with that key', () => {
    const key = parseSecretKey(randomBytes(32).toString('base64'));
    const secret = generateSigningSecret();
    const sealed = sealSecret(secret, key);
    expect(sealed).not.toContain(secret.slice(6));
    expect(openSecret(sealed, key)).toBe(secret);
    expect(() => openSecret(sealed, randomBytes(32))).toThrow();
    expect(() => openSecret(sealed, undefined)).toThrow(/WEBHOOK_SECRET_KEY/);
  });

  it('without a key are stored as they are, marked plain (and still read once a key is set)', () => {
    const secret = generateSigningSecret();
    expect(sealSecret(secret, undefined)).toBe(`plain:${secret}`);
    expect(openSecret(`plain:${secret}`, randomBytes(32))).toBe(secret);
  });
});
