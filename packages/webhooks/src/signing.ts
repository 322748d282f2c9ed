import { createHmac } from 'node:crypto';

/** The key bytes of a `whsec_…` secret (base64 after the prefix, as Standard Webhooks defines it). */
export function signingKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
}

/** `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` for one secret (or its key bytes, decoded once by signingKey). */
export function signatureV1(secret: string | Buffer, webhookId: string, timestamp: number, body: string): string {
  const key = typeof secret === 'string' ? signingKey(secret) : secret;
  return `v1,${createHmac('sha256', key).update(`${webhookId}.${timestamp}.${body}`).digest('base64')}`;
}

/**
 * The Standard Webhooks headers of one attempt: webhook-id (stable across retries), webhook-timestamp (this attempt)
 * and webhook-signature with one v1 signature per secret, space-separated (during a rotation, the new and the old).
 */
export function standardWebhookHeaders(secrets: readonly (string | Buffer)[], webhookId: string, body: string, now = Date.now()) {
  const timestamp = Math.floor(now / 1000);
  return {
    'webhook-id': webhookId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': secrets.map((secret) => signatureV1(secret, webhookId, timestamp, body)).join(' '),
  };
}
