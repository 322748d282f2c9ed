import { createHash } from 'node:crypto';
import type { Connection } from './connection';
import { Secret } from './secret';

/** The value with every Secret revealed and object keys sorted, so that equal definitions print alike. */
function canonical(value: unknown): unknown {
  if (value instanceof Secret) return { secret: value.reveal() };
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries.map(([key, item]) => [key, canonical(item)]));
}

/**
 * A digest of everything a client is built from, secrets included (a Secret prints as "[REDACTED]", so a changed password
 * would not show in its JSON): two loads of the same definition give the same digest. A hash, never the text: it may be
 * compared or kept, and still reveals nothing.
 */
export function connectionFingerprint(connection: Connection): string {
  let known = digests.get(connection);
  if (known === undefined) {
    known = createHash('sha256')
      .update(JSON.stringify(canonical(connection)))
      .digest('hex');
    digests.set(connection, known);
  }
  return known;
}

// A loaded connection never changes (a reload makes new objects): its digest is computed once, however often it is asked.
const digests = new WeakMap<Connection, string>();
