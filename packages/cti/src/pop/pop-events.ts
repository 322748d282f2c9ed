import type { Redis } from 'ioredis';
import { isWithheldCaller, type NormalizedPhone } from '../phone/normalize-phone';
import type { CallerMatch } from '../phone/phone-index';
import { popKeys } from './pop-keys';

/** What a screen-pop subscriber receives (SSE event name = type, SSE id = id). */
export type PopEvent =
  | {
      id: number;
      type: 'ringing';
      callId: string;
      ramal: string;
      numero: string;
      normalizado: string | null;
      recebidoEm: string;
      /** True: the listener is looking the caller up and publishes the card next (worker-cti waits for it). */
      consultando?: boolean;
      /** True: the caller is an extension (an internal call; numero is its ramal). */
      interno?: true;
      /** True: the caller id was withheld (numero empty or a PBX's word for it: "anonymous", "Privado"…). */
      privado?: true;
    }
  | {
      id: number;
      type: 'caller';
      callId: string;
      ramal: string;
      numero: string;
      normalizado: string | null;
      recebidoEm: string;
      /** All matches, ranked; empty = unknown caller (or an internal call: interno). */
      matches: CallerMatch[];
      /** True: the caller is an extension (an internal call; numero is its ramal). */
      interno?: true;
      /** True: the caller id was withheld (numero empty or a PBX's word for it: "anonymous", "Privado"…). */
      privado?: true;
    }
  | { id: number; type: 'ended'; callId: string; ramal: string; numero: string; encerradoEm: string };

/** The caller's kind on a pop card: an extension (interno), a withheld caller id (privado), or a number (neither). */
export function callerFlags(numero: string, phone: NormalizedPhone): { interno?: true; privado?: true } {
  if (phone.kind === 'ramal') return { interno: true };
  return isWithheldCaller(numero) ? { privado: true } : {};
}

type Unnumbered<T> = T extends { id: number } ? Omit<T, 'id'> : never;
export type PopEventInput = Unnumbered<PopEvent>;

/**
 * Numbers the event, keeps the ramal's active-call state for replay and publishes it, atomically. ARGV[4]: 'first'
 * keeps the state only if the call has none yet (a late "ringing" must not hide the caller card), 'once' publishes a
 * caller card only if the call does not show one yet (the listener and the worker both pop it: whichever comes first
 * wins, the other publishes nothing; returns 0), 'drop' removes the state (the call ended) and leaves an "ended"
 * marker (KEYS[3]) for ARGV[5] ms: the listener's lookup or the worker may finish after the end, and a 'first' or
 * 'once' arriving then publishes nothing (returns 0) instead of putting the call back on every page. 'settle' rewrites
 * the stored "ringing" of the call in place (same id, no INCR, no PUBLISH: subscribers saw it already) with ARGV[3],
 * only while the stored entry is still a "ringing"; returns its id, or 0 when it is not.
 */
const PUBLISH_SCRIPT = `
if ARGV[4] ~= 'drop' and redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
if ARGV[4] == 'settle' then
  local current = redis.call('HGET', KEYS[2], ARGV[2])
  if not current then return 0 end
  if cjson.decode(current).type ~= 'ringing' then return 0 end
  local id = string.match(current, '^{"id":(%d+),')
  redis.call('HSET', KEYS[2], ARGV[2], '{"id":' .. id .. ',' .. string.sub(ARGV[3], 2))
  return tonumber(id)
end
if ARGV[4] == 'once' then
  local current = redis.call('HGET', KEYS[2], ARGV[2])
  if current and cjson.decode(current).type == 'caller' then return 0 end
end
local id = redis.call('INCR', KEYS[1])
local msg = '{"id":' .. id .. ',' .. string.sub(ARGV[3], 2)
if ARGV[4] == 'first' then
  redis.call('HSETNX', KEYS[2], ARGV[2], msg)
elseif ARGV[4] == 'once' then
  redis.call('HSET', KEYS[2], ARGV[2], msg)
else
  redis.call('HDEL', KEYS[2], ARGV[2])
  redis.call('SET', KEYS[3], '1', 'PX', ARGV[5])
end
if ARGV[4] ~= 'drop' then redis.call('PEXPIRE', KEYS[2], ARGV[5]) end
redis.call('PUBLISH', ARGV[1], msg)
return id`;

/** The name the publish script is defined under on a connection (ioredis defineCommand). */
const PUBLISH_COMMAND = 'integradorCtiPublishPop';

type PublishFn = (...args: string[]) => Promise<unknown>;
/** The command of each connection, defined and bound once (a call start publishes twice). */
const publishCommands = new WeakMap<Redis, PublishFn>();

/**
 * The publish script as a command of the connection: ioredis sends EVALSHA (the script's hash, not its text) and
 * loads the text once on NOSCRIPT. Every call start publishes twice, and with EVAL Redis hashed the script's text on
 * every call.
 */
function publishCommand(redis: Redis): PublishFn {
  let publish = publishCommands.get(redis);
  if (!publish) {
    const commands = redis as unknown as Record<string, PublishFn | undefined>;
    if (!commands[PUBLISH_COMMAND]) redis.defineCommand(PUBLISH_COMMAND, { numberOfKeys: 3, lua: PUBLISH_SCRIPT });
    publish = (commands[PUBLISH_COMMAND] as PublishFn).bind(redis);
    publishCommands.set(redis, publish);
  }
  return publish;
}

/**
 * Publishes a pop event to every subscriber of the ramal on every ingress process; returns its id, or 0 when nothing
 * was published (a caller card the call already shows, or a "ringing" / caller card of a call that already ended).
 */
export async function publishPop(
  redis: Redis,
  prefix: string,
  empresaId: number,
  event: PopEventInput,
  activeTtlMs: number,
): Promise<number> {
  const mode = event.type === 'ringing' ? 'first' : event.type === 'caller' ? 'once' : 'drop';
  return runPublishScript(redis, prefix, empresaId, event, mode, activeTtlMs);
}

/** One run of the publish script for `event` of a call, in `mode` (first, once, drop or settle). */
async function runPublishScript(
  redis: Redis,
  prefix: string,
  empresaId: number,
  event: PopEventInput,
  mode: 'first' | 'once' | 'drop' | 'settle',
  activeTtlMs: number,
): Promise<number> {
  const keys = popKeys(prefix);
  const result = await publishCommand(redis)(
    keys.sequence(empresaId, event.ramal),
    keys.active(empresaId, event.ramal),
    keys.ended(empresaId, event.ramal, event.callId),
    keys.channel(empresaId, event.ramal),
    event.callId,
    JSON.stringify(event),
    mode,
    String(activeTtlMs),
  );
  return Number(result);
}

/**
 * The listener will not publish the caller card it announced (its lookup failed, or the index is behind noted writes):
 * the call's stored "ringing" loses `consultando`, so worker-cti looks the caller up at once instead of waiting for a
 * card that never comes. Only while the call still shows that "ringing"; nothing is published (the pages saw it).
 */
export async function settleRinging(
  redis: Redis,
  prefix: string,
  empresaId: number,
  ringing: Extract<PopEventInput, { type: 'ringing' }>,
  activeTtlMs: number,
): Promise<number> {
  const { consultando: _announced, ...settled } = ringing;
  return runPublishScript(redis, prefix, empresaId, settled, 'settle', activeTtlMs);
}

/** What a call shows now on its ramal's screen pop (under the call's tenant), or undefined (none, ended, or expired). */
export async function shownPop(
  redis: Redis,
  prefix: string,
  empresaId: number,
  ramal: string,
  callId: string,
): Promise<PopEvent | undefined> {
  const current = await redis.hget(popKeys(prefix).active(empresaId, ramal), callId);
  return current ? (JSON.parse(current) as PopEvent) : undefined;
}

/** The latest event of each call still ringing or in progress at the ramal, oldest first, after `afterId`. */
export async function activePops(redis: Redis, prefix: string, empresaId: number, ramal: string, afterId = 0): Promise<string[]> {
  const all = await redis.hvals(popKeys(prefix).active(empresaId, ramal));
  return all
    .map((text) => ({ text, id: Number((JSON.parse(text) as { id: number }).id) }))
    .filter((e) => e.id > afterId)
    .sort((a, b) => a.id - b.id)
    .map((e) => e.text);
}
