import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { WebhookError } from './errors';

// The hub must sign with the secret, so it cannot store only a hash (as it does for API keys). With WEBHOOK_SECRET_KEY
// set, secrets are sealed with AES-256-GCM (a database dump alone does not reveal them); without it they are stored
// as they are, marked `plain:` so that setting a key later still reads them (and re-seals them on rotation).

const SEALED = 'v1:';
const PLAIN = 'plain:';

/** A new Standard Webhooks signing secret: `whsec_` + 32 random bytes in base64. */
export function generateSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** Parses WEBHOOK_SECRET_KEY (32 bytes, base64 or hex) into a key; undefined when unset. */
export function parseSecretKey(text: string | undefined): Buffer | undefined {
  if (!text) return undefined;
  const key = /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== 32) throw new Error('WEBHOOK_SECRET_KEY must be 32 bytes, base64 or hex');
  return key;
}

/** The stored form of a secret: sealed under `key`, or marked plain without one. */
export function sealSecret(secret: string, key: Buffer | undefined): string {
  if (!key) return `${PLAIN}${secret}`;
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const data = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return `${SEALED}${Buffer.concat([iv, cipher.getAuthTag(), data]).toString('base64')}`;
}

/** Whether a stored secret is sealed (it needs WEBHOOK_SECRET_KEY to be opened). */
export function isSealed(stored: string): boolean {
  return stored.startsWith(SEALED);
}

/**
 * The secret behind a stored form; throws when it is sealed and no (or the wrong) key is given. A missing key is a
 * WebhookError (503, WEBHOOK_SECRET_KEY_MISSING): a host started without the key it was sealed under, which the
 * operator fixes by setting it; the API answers it worded, a delivery records it.
 */
export function openSecret(stored: string, key: Buffer | undefined): string {
  if (stored.startsWith(PLAIN)) return stored.slice(PLAIN.length);
  if (!stored.startsWith(SEALED)) throw new Error('unknown stored secret format');
  if (!key) throw new WebhookError('WEBHOOK_SECRET_KEY_MISSING', 503);
  const raw = Buffer.from(stored.slice(SEALED.length), 'base64');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
}
