import { type Database, getOrCreate } from '@integrador/store';
import type { Kysely } from 'kysely';
import { LRUCache } from 'lru-cache';
import type { Entrega } from './deliveries.repository';
import { endpointMark, findWebhookEndpoint, type WebhookEndpoint } from './endpoints.repository';

/**
 * An endpoint row with its signing keys once opened (AES-GCM when sealed) and decoded, once per row read, not per
 * delivery: the row stays cached for a second (cachedEndpoint), so a busy endpoint's keys are derived about once a
 * second per process. Kept on the cached row itself, as a property that is not enumerable (out of logs, JSON and
 * spreads of the row): they leave memory with it.
 */
export type SigningEndpoint = WebhookEndpoint & {
  decodedKeys?: { current: Buffer; previous?: Buffer };
  openedHeaders?: Record<string, string>;
};

// Endpoints are read once a second at most per process: a backlog of one endpoint's deliveries does not read its row
// for every job. A change made through the API (a rotated or revoked secret, a disabling, a new URL) applies to every
// delivery that starts after the API answered, not a second later: each delivery's own row (loadEntregas, read anyway)
// carries its endpoint's mark, and a cached row of another mark is read again (endpointAsLoaded); a change made by
// another worker alone (its failure clock) applies within the second. The read itself is shared: when the entry
// expires, the hundred deliveries in flight wait on one SELECT instead of each making its own. No timer per entry: an
// idle endpoint's row (and the keys decoded on it) stays until it is asked for again — then dropped as expired and
// read anew — or pushed out of the 10,000 most recently used.
// Each entry is the read's promise, as in set-target.ts: lru-cache's fetchMethod would share the read too, but it does
// not cache "not found", and forgetting an entry mid-read (forgetEndpoint) would reject every waiter.
// One cache per database handle: ids are the database's own, so a process that reaches two CRM databases (tests, a
// tool) never serves one's endpoint for the other's.
const ENDPOINT_TTL_MS = 1000;
type EndpointCache = LRUCache<string, Promise<SigningEndpoint | undefined>>;
const endpointCaches = new WeakMap<Kysely<Database>, EndpointCache>();

/** The endpoint row, read at most once a second per process and database (and once at a time). */
export function cachedEndpoint(db: Kysely<Database>, empresaId: number, id: number): Promise<SigningEndpoint | undefined> {
  const endpointCache = getOrCreate(endpointCaches, db, (): EndpointCache => new LRUCache({ max: 10000, ttl: ENDPOINT_TTL_MS }));
  const key = `${empresaId}:${id}`;
  const hit = endpointCache.get(key);
  if (hit) return hit;
  const endpoint = findWebhookEndpoint(db, empresaId, id);
  endpointCache.set(key, endpoint);
  // A failed read is not cached: the next delivery reads again (the waiters of this one all see its error).
  endpoint.catch(() => {
    if (endpointCache.peek(key) === endpoint) endpointCache.delete(key);
  });
  return endpoint;
}

/**
 * The endpoint read again from the database, past the cache: a cached "inactive" may be a second old, from before a
 * re-enable and recover, and cancelling on it would cancel the recovered delivery again. Only the cancel path pays
 * this read. The jobs that saw the same stale entry share one read: the entry is replaced once, and a job that finds
 * it already replaced takes the newer read (begun after this job's own, so after any re-enable it could have missed).
 */
export function freshEndpoint(
  db: Kysely<Database>,
  empresaId: number,
  id: number,
  seen: Promise<SigningEndpoint | undefined>,
): Promise<SigningEndpoint | undefined> {
  const key = `${empresaId}:${id}`;
  const current = endpointCaches.get(db)?.peek(key);
  if (current && current !== seen) return current;
  endpointCaches.get(db)?.delete(key);
  return cachedEndpoint(db, empresaId, id);
}

/** Forgets a cached endpoint (after this process disabled it or moved its failure clock). */
export function forgetEndpoint(db: Kysely<Database>, endpoint: WebhookEndpoint): void {
  endpointCaches.get(db)?.delete(`${endpoint.empresaId}:${endpoint.id}`);
}

/**
 * The endpoint as this delivery's own row saw it (its mark, read after the job began): the cached row when its mark is
 * the same, else one read again. A read another job put in the cache meanwhile may have begun before the change: when
 * its mark differs too, a read begun after this one's load is taken (freshEndpoint's rule), whatever mark it shows (a
 * change made since is newer still).
 */
export async function endpointAsLoaded(
  db: Kysely<Database>,
  entrega: Pick<Entrega, 'empresa_id' | 'endpoint_id' | 'endpoint_marca'>,
  seen: Promise<SigningEndpoint | undefined>,
): Promise<SigningEndpoint | undefined> {
  const empresaId = Number(entrega.empresa_id);
  const sameMark = (endpoint: SigningEndpoint | undefined) => (endpoint ? endpointMark(endpoint) : null) === entrega.endpoint_marca;
  const cached = await seen;
  if (sameMark(cached)) return cached;
  const fresh = freshEndpoint(db, empresaId, entrega.endpoint_id, seen);
  const endpoint = await fresh;
  return sameMark(endpoint) ? endpoint : freshEndpoint(db, empresaId, entrega.endpoint_id, fresh);
}
