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

/**
 * JSON with object keys sorted, so a retry that sends the same body with its keys in another order is the same.
 * Iterative (an explicit stack of what is left to write): a body nested thousands of levels deep, which JSON.parse
 * takes, must not overflow the call stack here.
 */
function canonical(root: unknown): string {
  const out: string[] = [];
  // Popped from the end: a string is written as it is, a { value } is expanded.
  const todo: Array<string | { value: unknown }> = [{ value: root }];
  for (let item = todo.pop(); item !== undefined; item = todo.pop()) {
    if (typeof item === 'string') {
      out.push(item);
      continue;
    }
    const { value } = item;
    if (Array.isArray(value)) {
      todo.push(']');
      for (let i = value.length - 1; i >= 0; i--) todo.push({ value: value[i] }, ...(i > 0 ? [','] : []));
      todo.push('[');
    } else if (value !== null && typeof value === 'object') {
      const object = value as Record<string, unknown>;
      const keys = Object.keys(object)
        .filter((key) => object[key] !== undefined)
        .sort();
      todo.push('}');
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i] as string;
        todo.push({ value: object[key] }, `${JSON.stringify(key)}:`, ...(i > 0 ? [','] : []));
      }
      todo.push('{');
    } else out.push(JSON.stringify(value ?? null));
  }
  return out.join('');
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
  get(key: string): Promise<string | null>;
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

/**
 * The fingerprint of a first request that was refused while replays of it were still out (RELEASE could not free the
 * key then): the last of those replays to be refused frees it (WITHDRAW). Lives no longer than the binding.
 */
function refusedKey(name: string): string {
  return `${name}:refused`;
}

/**
 * Removes ARGV[1] from the binding's replays (KEYS[1]; a plain '1' marker is left as it is); when it was the last one
 * and the first request was refused meanwhile (KEYS[3] holds the binding's fingerprint), frees the binding (KEYS[2]).
 */
const WITHDRAW = `if redis.call('type', KEYS[1]).ok ~= 'set' then return 0 end
redis.call('srem', KEYS[1], ARGV[1])
if redis.call('exists', KEYS[1]) == 1 then return 0 end
local refused = redis.call('get', KEYS[3])
if refused and refused == redis.call('get', KEYS[2]) then
  redis.call('del', KEYS[2], KEYS[3])
  return 1
end
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
  const name = bindingKey(prefix, tenant, key);
  await redis.eval(WITHDRAW, 3, sharedKey(name), name, refusedKey(name), replay);
}

/**
 * Deletes the binding (KEYS[1]) when it still holds ARGV[1] and no replay holds it (KEYS[2]); with replays still out,
 * records the refusal (KEYS[3], for as long as the binding lives) so that the last of them, if refused too, frees it.
 */
const RELEASE = `if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
if redis.call('exists', KEYS[2]) == 0 then return redis.call('del', KEYS[1]) end
local ttl = redis.call('pttl', KEYS[1])
if ttl > 0 then redis.call('set', KEYS[3], ARGV[1], 'PX', ttl) end
return 0`;

/**
 * Frees a key bound by a request that was refused (nothing done): the client may fix the body and use the key again.
 * Never while a replay of that request that matched the binding ('same') was not refused: the replay may have enqueued
 * under the job id the key names, and a new body bound to the freed key would be silently deduplicated into that job.
 * A replay still out when the first request is refused frees the key itself if it is refused too (withdrawIdempotencyReplay).
 */
export async function releaseIdempotencyKey(
  redis: IdempotencyStore,
  prefix: string,
  tenant: TenantRef,
  key: string,
  fingerprint: string,
): Promise<void> {
  const name = bindingKey(prefix, tenant, key);
  await redis.eval(RELEASE, 3, name, sharedKey(name), refusedKey(name), fingerprint);
}

/**
 * The first answer of a request bound to an Idempotency-Key, kept beside its binding for as long as the binding lives:
 * a replay is answered from it and runs nothing again, whatever became of the jobs the first request enqueued (the
 * queues keep completed jobs by count, shared by every tenant, so another tenant's traffic may evict them long before
 * the binding expires) and for routes that enqueue nothing (a webhook created, a secret rotated).
 */
function answerKey(name: string): string {
  return `${name}:answer`;
}

/** What the answer key holds while the request that bound the key still runs. */
const PENDING = 'pending';

/**
 * How long the pending marker outlives a request that could not clear it (its process died, or Redis went away under
 * it, so the clearing failed too): a replay meanwhile is a 409, after it the replay runs the route (enqueueing routes
 * still find the first job by its idempotentJobId). Short, so a client retrying through a Redis outage is not held
 * off for long; long enough for the routes that enqueue nothing (a webhook created, a secret rotated: one or two
 * queries) to finish first.
 */
export const IDEMPOTENCY_PENDING_TTL_MS = 10_000;

/** A replay's view of the first request: still running, answered (the stored answer), or neither (it failed, 5xx). */
export type IdempotentAnswer = { state: 'pending' } | { state: 'answered'; stored: string } | { state: 'none' };

/**
 * Marks the key's first request as running, for IDEMPOTENCY_PENDING_TTL_MS. Called when the key was just bound: no
 * answer of an earlier binding can be there (a kept answer expires with its binding, and a freed binding had none).
 */
export async function markIdempotencyPending(redis: IdempotencyStore, prefix: string, tenant: TenantRef, key: string): Promise<void> {
  await redis.eval(MARK_PENDING, 1, answerKey(bindingKey(prefix, tenant, key)), String(IDEMPOTENCY_PENDING_TTL_MS));
}

const MARK_PENDING = `return redis.call('set', KEYS[1], '${PENDING}', 'PX', ARGV[1])`;

/** The state of the key's first request, as a replay finds it. */
export async function idempotentAnswer(redis: IdempotencyStore, prefix: string, tenant: TenantRef, key: string): Promise<IdempotentAnswer> {
  const stored = await redis.get(answerKey(bindingKey(prefix, tenant, key)));
  if (stored === null) return { state: 'none' };
  return stored === PENDING ? { state: 'pending' } : { state: 'answered', stored };
}

/** Stores ARGV[2] as the answer, for as long as the binding (still holding ARGV[1]) lives; the first answer stays. */
const STORE_ANSWER = `if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
local stored = redis.call('get', KEYS[2])
if stored and stored ~= '${PENDING}' then return 0 end
local ttl = redis.call('pttl', KEYS[1])
if ttl <= 0 then return 0 end
redis.call('set', KEYS[2], ARGV[2], 'PX', ttl)
return 1`;

/** Keeps `stored` as the first answer of the request bound to the key with `fingerprint` (a later answer never replaces it). */
export async function storeIdempotentAnswer(
  redis: IdempotencyStore,
  prefix: string,
  tenant: TenantRef,
  key: string,
  fingerprint: string,
  stored: string,
): Promise<void> {
  const name = bindingKey(prefix, tenant, key);
  await redis.eval(STORE_ANSWER, 2, name, answerKey(name), fingerprint, stored);
}

/** Deletes the pending marker (not a stored answer). */
const DROP_PENDING = `if redis.call('get', KEYS[1]) == '${PENDING}' then return redis.call('del', KEYS[1]) end
return 0`;

/** The request that marked the key pending ended without an answer to keep (refused, or failed): a replay may run it. */
export async function dropIdempotencyPending(redis: IdempotencyStore, prefix: string, tenant: TenantRef, key: string): Promise<void> {
  await redis.eval(DROP_PENDING, 1, answerKey(bindingKey(prefix, tenant, key)));
}
