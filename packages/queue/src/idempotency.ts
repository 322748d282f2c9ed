import { createHash } from 'node:crypto';
import type { TenantRef } from '@integrador/jobs';

/** The longest Idempotency-Key accepted. */
export const IDEMPOTENCY_KEY_MAX_LENGTH = 200;

/** The characters a key may hold: visible ASCII, no space. */
const KEY_CHARACTERS = '\\x21-\\x7e';

/** What an Idempotency-Key may hold: 1–200 visible ASCII characters (Stripe's and the IETF draft's practice). */
export const IDEMPOTENCY_KEY_PATTERN = `^[${KEY_CHARACTERS}]{1,${IDEMPOTENCY_KEY_MAX_LENGTH}}$`;

const OTHER_CHARACTER = new RegExp(`[^${KEY_CHARACTERS}]`, 'u');

/** Why a key breaks IDEMPOTENCY_KEY_PATTERN, for a message in words: its length, or the first character not allowed (1-based). */
export type IdempotencyKeyFault = { kind: 'length'; length: number } | { kind: 'character'; position: number };

/** The first rule of IDEMPOTENCY_KEY_PATTERN a key breaks, undefined when it is valid. */
export function idempotencyKeyFault(key: string): IdempotencyKeyFault | undefined {
  const chars = [...key];
  if (chars.length === 0 || chars.length > IDEMPOTENCY_KEY_MAX_LENGTH) return { kind: 'length', length: chars.length };
  const at = chars.findIndex((c) => OTHER_CHARACTER.test(c));
  return at === -1 ? undefined : { kind: 'character', position: at + 1 };
}

/**
 * The job id an idempotency key stands for: the same tenant, operation and key always name the same job, so a retried
 * request finds the job its first attempt created (BullMQ adds nothing for an id it already holds) and different
 * tenants' keys never meet. Hashed: a key may hold any visible character, a job id no `:` and not only digits.
 * `scope` names the operation and its target (e.g. "run-i42", "ping-set").
 */
export function idempotentJobId(tenant: TenantRef, scope: string, key: string): string {
  const digest = createHash('sha256')
    .update(`${tenant.empresaId}|${tenant.filialId ?? ''}|${scope}|${key}`)
    .digest('hex');
  return `idem-${digest.slice(0, 40)}`;
}

/**
 * How long an Idempotency-Key stays bound to its request's fingerprint: as long as a job it names may still exist
 * (RETENTION keeps a failed job 7 days), so a replay meets either its first job or, for another body, the refusal.
 */
export const IDEMPOTENCY_BINDING_TTL_S = 7 * 24 * 3600;

/** JSON with object keys sorted, so a retry that sends the same body with its keys in another order is the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    const keys = Object.keys(object)
      .filter((key) => object[key] !== undefined)
      .sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonical(object[key])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** The fingerprint of a request (its method, route, path parameters, query and body), as the IETF draft's. */
export function requestFingerprint(request: { method: string; route: string; params?: unknown; query?: unknown; body?: unknown }): string {
  return createHash('sha256')
    .update(canonical({ method: request.method, route: request.route, params: request.params, query: request.query, body: request.body }))
    .digest('hex');
}

/** The Redis key holding a tenant's Idempotency-Key binding (the key hashed: it may hold any visible character). */
function bindingKey(prefix: string, tenant: TenantRef, key: string): string {
  const digest = createHash('sha256')
    .update(`${tenant.empresaId}|${tenant.filialId ?? ''}|${key}`)
    .digest('hex');
  return `${prefix}:idem-key:${digest.slice(0, 40)}`;
}

/** The Redis commands the binding uses. */
export interface IdempotencyStore {
  set(key: string, value: string, ex: 'EX', seconds: number, nx: 'NX'): Promise<string | null>;
  eval(script: string, keys: number, ...args: string[]): Promise<unknown>;
}

/**
 * Binds a tenant's Idempotency-Key to the fingerprint of the first request that used it (IETF
 * draft-ietf-httpapi-idempotency-key): `bound` for the first use, `same` for a replay of that request (the job ids of
 * idempotentJobId then answer it, deduplicated), `reused` when the key comes back with another route or body — which
 * the caller refuses (422) rather than silently run as a new request. `replay` names this request among the replays of
 * the key: a replay refused in the end withdraws its mark by it (withdrawIdempotencyReplay).
 */
export async function bindIdempotencyKey(
  redis: IdempotencyStore,
  prefix: string,
  tenant: TenantRef,
  key: string,
  fingerprint: string,
  replay: string,
): Promise<'bound' | 'same' | 'reused'> {
  const name = bindingKey(prefix, tenant, key);
  if ((await redis.set(name, fingerprint, 'EX', IDEMPOTENCY_BINDING_TTL_S, 'NX')) === 'OK') return 'bound';
  // A replay marks the binding as shared (atomically with the comparison): the first request may no longer free the
  // key even if it is then refused, since this replay goes on to enqueue under the job id the key names.
  const matched = await redis.eval(SHARE, 2, name, sharedKey(name), fingerprint, String(IDEMPOTENCY_BINDING_TTL_S), replay);
  // Expired or freed between the two commands: bind it now.
  if (matched === null) return bindIdempotencyKey(redis, prefix, tenant, key, fingerprint, replay);
  return matched === 1 ? 'same' : 'reused';
}

/**
 * The replays that matched a binding ('same') and were not refused: a set of their `replay` names while any remains
 * (the binding is then never freed). Redis deletes a set whose last member goes, so a binding whose replays were all
 * refused is as it was before them. A plain '1' (written before replays were named) stays until it expires.
 */
function sharedKey(name: string): string {
  return `${name}:shared`;
}

/**
 * 1 (and adds ARGV[3] to the binding's replays, which live no longer than the binding: a later binding of the key must
 * not inherit them) when the binding holds ARGV[1], 0 for another fingerprint, nil when absent.
 */
const SHARE = `local stored = redis.call('get', KEYS[1])
if not stored then return nil end
if stored ~= ARGV[1] then return 0 end
if redis.call('type', KEYS[2]).ok == 'string' then return 1 end
redis.call('sadd', KEYS[2], ARGV[3])
local ttl = redis.call('pttl', KEYS[1])
if ttl > 0 then redis.call('pexpire', KEYS[2], ttl) else redis.call('expire', KEYS[2], ARGV[2]) end
return 1`;

/** Removes ARGV[1] from the binding's replays (a plain '1' marker is left as it is). */
const WITHDRAW = `if redis.call('type', KEYS[1]).ok == 'set' then return redis.call('srem', KEYS[1], ARGV[1]) end
return 0`;

/**
 * Withdraws the mark of a replay that was refused (a 4xx: nothing done): the binding is as the replay found it, so a
 * refused first request may still free the key unless another replay that was not refused holds it.
 */
export async function withdrawIdempotencyReplay(
  redis: IdempotencyStore,
  prefix: string,
  tenant: TenantRef,
  key: string,
  replay: string,
): Promise<void> {
  await redis.eval(WITHDRAW, 1, sharedKey(bindingKey(prefix, tenant, key)), replay);
}

/** Deletes the binding only when it still holds ARGV[1] and no replay matched it. */
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] and redis.call('exists', KEYS[2]) == 0 then
  return redis.call('del', KEYS[1])
end
return 0`;

/**
 * Frees a key bound by a request that was refused (nothing done): the client may fix the body and use the key again.
 * Never while a replay of that request that matched the binding ('same') was not refused: the replay may have enqueued
 * under the job id the key names, and a new body bound to the freed key would be silently deduplicated into that job.
 */
export async function releaseIdempotencyKey(
  redis: IdempotencyStore,
  prefix: string,
  tenant: TenantRef,
  key: string,
  fingerprint: string,
): Promise<void> {
  const name = bindingKey(prefix, tenant, key);
  await redis.eval(RELEASE, 2, name, sharedKey(name), fingerprint);
}
