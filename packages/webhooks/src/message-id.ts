import { randomBytes } from 'node:crypto';

// Deliveries are at-least-once and not ordered (retries, a worker restart, a recover send a backlog in parallel), so
// the receiver needs a way to tell an older change from a newer one: the webhook-id sorts by the time the change was
// published. It is a UUIDv7 (RFC 9562: 48-bit Unix milliseconds, version, a 12-bit counter, random bits) in hex behind
// Standard Webhooks' `msg_` prefix: the same 36 characters as the random id it replaces, unique, and in string order
// the same as in time order. Node has no UUIDv7 generator (randomUUID is v4); these lines spare a dependency.

let lastMs = -1;
let lastSeq = 0;

/**
 * A new webhook-id: `msg_` + 32 hex digits whose first 12 are the publishing time in Unix milliseconds. Monotonic in
 * this process (RFC 9562 §6.2 method 1): an id made in the same millisecond as the last one, or while the clock stepped
 * back, counts up from it, so one record's changes, published one after the other, get increasing ids.
 */
export function newWebhookId(now: number = Date.now()): string {
  const bytes = randomBytes(16);
  let ms = Math.max(0, Math.trunc(now));
  // A new millisecond starts the counter low (room for 2048 more ids in it).
  let seq = bytes.readUInt16BE(6) & 0x7ff;
  if (ms <= lastMs) {
    ms = lastSeq < 0xfff ? lastMs : lastMs + 1;
    seq = lastSeq < 0xfff ? lastSeq + 1 : seq;
  }
  lastMs = ms;
  lastSeq = seq;
  bytes.writeUIntBE(ms, 0, 6);
  bytes[6] = 0x70 | (seq >> 8);
  bytes[7] = seq & 0xff;
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  return `msg_${bytes.toString('hex')}`;
}
