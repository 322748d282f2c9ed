import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { WebhookError } from './errors';

// The hub must sign with the secret, so it cannot store only a hash (as it does for API keys). With WEBHOOK_SECRET_KEY
// set, secrets are sealed with AES-256-GCM (a database dump alone does not reveal them); without it they are stored
// as they are, marked `plain:` so that setting a key later still reads them (and re-seals them on rotation).
// Custom header values (an Authorization, an API key the receiver checks) are sealed the same way, each on its own.

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

/**
 * A custom header's value as stored: its text (written without WEBHOOK_SECRET_KEY, or before the key was set), or
 * `{ sealed }` (sealSecret's form). Never ambiguous: a value written as text is always a JSON string.
 */
export type StoredHeaderValue = string | { sealed: string };

/** Custom headers as they are stored: each value sealed under `key`; without a key, as they are. */
export function sealHeaders(headers: Record<string, string>, key: Buffer | undefined): Record<string, StoredHeaderValue> {
  if (!key) return headers;
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, { sealed: sealSecret(value, key) }]));
}

/** Whether a stored header value is sealed (it needs WEBHOOK_SECRET_KEY to be opened). */
export function isSealedHeader(value: StoredHeaderValue): value is { sealed: string } {
  return typeof value !== 'string';
}

/**
 * The values to send: text as it is, sealed ones opened (a missing key is WEBHOOK_SECRET_KEY_MISSING, as for the
 * signing secret).
 */
export function openHeaders(stored: Record<string, StoredHeaderValue>, key: Buffer | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(stored).map(([name, value]) => [name, isSealedHeader(value) ? openSecret(value.sealed, key) : value]),
  );
}
