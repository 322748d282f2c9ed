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

/**
 * The connection the binding's scripts run on (an ioredis Redis or Cluster): each script is defined on it once as a
 * command, which sends EVALSHA (the script's hash, not its text) and loads the text only on NOSCRIPT (a restarted or
 * failed-over Redis, a Cluster node not yet asked) — every /v1 write with a key runs two or three of them.
 */
export interface IdempotencyStore {
  defineCommand(name: string, definition: { lua: string; numberOfKeys: number }): void;
}

/**
 * What binding an Idempotency-Key found (IETF draft-ietf-httpapi-idempotency-key): `bound` for the first use (the key
 * is now bound to the request's fingerprint and marked pending under the request's token), `reused` when the key comes
 * back with another route or body — which the caller refuses (422) rather than silently run as a new request — and for
 * a replay of the same request: `pending` while a request holding the pending marker runs, `answered` with the first
 * 2xx answer kept, or `run` when there is neither (the first request failed, or its answer is not kept): the replay
 * took the pending marker under its token (other replays meanwhile are `pending`) and runs the route, whose job ids
 * (idempotentJobId) still find the first jobs. `unreadable` when a key of the binding holds another Redis type than
 * this release writes (left by another release during a rolling upgrade): what the first request did is unknown, so
 * nothing runs.
 */
export type IdempotencyBinding =
  | { state: 'bound' }
  | { state: 'reused' }
  | { state: 'pending' }
  | { state: 'run' }
  | { state: 'answered'; stored: string }
  | { state: 'unreadable' };

/**
 * Binds the key or meets its binding, in one script: a replay can never fall between the binding and its pending
 * marker, and of the replays that find no answer only one takes the marker. `replay` names this request among the
 * replays that run (a replay refused in the end withdraws its mark by it: withdrawIdempotencyReplay); `token` is this
 * request's pending marker, renewed (renewIdempotencyPending) and dropped (dropIdempotencyPending) by it alone.
 */
export async function bindIdempotencyKey(
  redis: IdempotencyStore,
  prefix: string,
  tenant: TenantRef,
  key: string,
  fingerprint: string,
  replay: string,
  token: string,
): Promise<IdempotencyBinding> {
  const name = bindingKey(prefix, tenant, key);
  const args = [fingerprint, String(IDEMPOTENCY_BINDING_TTL_S), replay, pendingMarker(token), String(IDEMPOTENCY_PENDING_TTL_MS)];
  const found = (await runScript(redis, 'bind', name, sharedKey(name), answerKey(name), refusedKey(name), ...args)) as [string, string?];
  const [state, stored] = found;
  if (state === 'answered') return { state, stored: stored as string };
  if (state === 'bound' || state === 'reused' || state === 'pending' || state === 'run' || state === 'unreadable') return { state };
  throw new Error(`unexpected Idempotency-Key binding state ${state}`);
}

/**
 * KEYS: binding, its replays, its answer, its refused fingerprint. ARGV: fingerprint, binding TTL (s), replay name,
 * pending marker, marker TTL (ms). A replay that runs is added to the binding's replays (which live no longer than the
 * binding: a later binding of the key must not inherit them), so the first request, if refused after it, no longer
 * frees the key. A key of another type than this release writes (another release's) is 'unreadable' before any command
 * that would fail on it (WRONGTYPE) — the refused fingerprint too, which WITHDRAW reads after the request ran.
 */
const BIND = `local function holds(key, ...)
  local kind = redis.call('type', key).ok
  if kind == 'none' then return true end
  for _, allowed in ipairs({...}) do if kind == allowed then return true end end
  return false
end
if not (holds(KEYS[1], 'string') and holds(KEYS[3], 'string') and holds(KEYS[2], 'string', 'set') and holds(KEYS[4], 'string')) then
  return {'unreadable'}
end
if redis.call('set', KEYS[1], ARGV[1], 'EX', ARGV[2], 'NX') then
  redis.call('set', KEYS[3], ARGV[4], 'PX', ARGV[5])
  return {'bound'}
end
if redis.call('get', KEYS[1]) ~= ARGV[1] then return {'reused'} end
local answer = redis.call('get', KEYS[3])
if answer and string.sub(answer, 1, 7) == 'pending' then return {'pending'} end
if answer then return {'answered', answer} end
redis.call('set', KEYS[3], ARGV[4], 'PX', ARGV[5])
if redis.call('type', KEYS[2]).ok == 'string' then return {'run'} end
redis.call('sadd', KEYS[2], ARGV[3])
local ttl = redis.call('pttl', KEYS[1])
if ttl > 0 then redis.call('pexpire', KEYS[2], ttl) else redis.call('expire', KEYS[2], ARGV[2]) end
return {'run'}`;

/**
 * The replays that matched a binding ('same') and were not refused: a set of their `replay` names while any remains
 * (the binding is then never freed). Redis deletes a set whose last member goes, so a binding whose replays were all
 * refused is as it was before them. A plain '1' (written before replays were named) stays until it expires.
 */
function sharedKey(name: string): string {
  return `${name}:shared`;
}

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
-- BIND refused another type's fingerprint; one written since by another release is left alone, not a WRONGTYPE.
if redis.call('type', KEYS[3]).ok ~= 'string' or redis.call('type', KEYS[2]).ok ~= 'string' then return 0 end
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
  await runScript(redis, 'withdraw', sharedKey(name), name, refusedKey(name), replay);
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
  await runScript(redis, 'release', name, sharedKey(name), refusedKey(name), fingerprint);
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

/**
 * What the answer key holds while a request that may answer it runs: `pending:` and that request's token, so that
 * only it renews or drops the marker (a request that freed the key must not drop the marker of the corrected request
 * that bound it next). A bare `pending` (written before markers held a token) counts as pending until it expires.
 */
function pendingMarker(token: string): string {
  return `pending:${token}`;
}

/**
 * How long the pending marker lives without renewal: the request holding it renews it every third of this while it
 * runs (up to IDEMPOTENCY_PENDING_MAX_MS), so only a request that could not clear it (its process died, or Redis went
 * away under it) leaves it behind, for this long: a replay meanwhile is a 409, after it the replay runs the route
 * (enqueueing routes still find the first job by its idempotentJobId). Short, so a client retrying after a crash or
 * through a Redis outage is not held off for long.
 */
export const IDEMPOTENCY_PENDING_TTL_MS = 10_000;

/**
 * The longest a request renews its pending marker: past the longest a route may run (a connection test waits up to
 * 600 s), so a handler that never ends cannot hold its key's replays off for ever.
 */
export const IDEMPOTENCY_PENDING_MAX_MS = 15 * 60_000;

/** Extends KEYS[1] by ARGV[2] ms while it still holds this request's marker ARGV[1]. */
const RENEW_PENDING = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0`;

/** Keeps the pending marker of the request holding `token` alive for another IDEMPOTENCY_PENDING_TTL_MS. */
export async function renewIdempotencyPending(
  redis: IdempotencyStore,
  prefix: string,
  tenant: TenantRef,
  key: string,
  token: string,
): Promise<void> {
  const name = answerKey(bindingKey(prefix, tenant, key));
  await runScript(redis, 'renewPending', name, pendingMarker(token), String(IDEMPOTENCY_PENDING_TTL_MS));
}

/** Stores ARGV[2] as the answer, for as long as the binding (still holding ARGV[1]) lives; the first answer stays. */
const STORE_ANSWER = `if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
local stored = redis.call('get', KEYS[2])
if stored and string.sub(stored, 1, 7) ~= 'pending' then return 0 end
local ttl = redis.call('pttl', KEYS[1])
if ttl <= 0 then return 0 end
redis.call('set', KEYS[2], ARGV[2], 'PX', ttl)
return 1`;

/**
 * Keeps `stored` as the first answer of the request bound to the key with `fingerprint` (a later answer never replaces
 * it); false when it was not kept (an answer was there first, or the binding is gone).
 */
export async function storeIdempotentAnswer(
  redis: IdempotencyStore,
  prefix: string,
  tenant: TenantRef,
  key: string,
  fingerprint: string,
  stored: string,
): Promise<boolean> {
  const name = bindingKey(prefix, tenant, key);
  return (await runScript(redis, 'storeAnswer', name, answerKey(name), fingerprint, stored)) === 1;
}

/** Deletes the pending marker when it is still this request's (ARGV[1]): never a stored answer, never another's marker. */
const DROP_PENDING = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0`;

/** The request holding `token` ended without an answer kept (refused, failed, or not kept): a replay may run the route. */
export async function dropIdempotencyPending(
  redis: IdempotencyStore,
  prefix: string,
  tenant: TenantRef,
  key: string,
  token: string,
): Promise<void> {
  await runScript(redis, 'dropPending', answerKey(bindingKey(prefix, tenant, key)), pendingMarker(token));
}

/** Every script of the binding with how many of its arguments are keys (all of one binding's hash slot). */
const SCRIPTS = {
  bind: { lua: BIND, numberOfKeys: 4 },
  withdraw: { lua: WITHDRAW, numberOfKeys: 3 },
  release: { lua: RELEASE, numberOfKeys: 3 },
  renewPending: { lua: RENEW_PENDING, numberOfKeys: 1 },
  storeAnswer: { lua: STORE_ANSWER, numberOfKeys: 2 },
  dropPending: { lua: DROP_PENDING, numberOfKeys: 1 },
} as const;

type ScriptName = keyof typeof SCRIPTS;
type ScriptCommand = (...keysThenArgs: string[]) => Promise<unknown>;

/** The connections whose commands are defined (a connection is defined on once, by its first binding call). */
const definedOn = new WeakSet<IdempotencyStore>();

/** The command name a script is defined under: no other module's (pop-events, the limiter's) on a shared connection. */
const commandName = (script: ScriptName) => `integradorIdempotency_${script}`;

/** Runs one of the binding's scripts on the connection, by its hash once ioredis has loaded it there. */
function runScript(redis: IdempotencyStore, script: ScriptName, ...keysThenArgs: string[]): Promise<unknown> {
  if (!definedOn.has(redis)) {
    for (const name of Object.keys(SCRIPTS) as ScriptName[]) redis.defineCommand(commandName(name), SCRIPTS[name]);
    definedOn.add(redis);
  }
  const command = (redis as unknown as Record<string, ScriptCommand>)[commandName(script)] as ScriptCommand;
  return command.apply(redis, keysThenArgs);
}
