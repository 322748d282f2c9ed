import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { readCookie, writeCookie } from './cookies';
import type { DashboardDeps, LoginFailureLimit } from './deps';

/**
 * The login form's CSRF token (double-submit): the form carries it in `_csrf` and a cookie of the login path holds
 * the same value; a post whose two differ (a form on another site logging the victim in as the attacker) is refused.
 */
export const LOGIN_CSRF_COOKIE = 'integrador_login_csrf';
const LOGIN_CSRF_PATH = '/dashboard/login';

/** The login form's token: the one the browser holds, or a new one set now (a form is rendered with it). */
export function loginCsrfToken(request: FastifyRequest, reply: FastifyReply, secure: boolean): string {
  const held = readCookie(request, LOGIN_CSRF_COOKIE);
  if (held && /^[A-Za-z0-9_-]{32}$/.test(held)) return held;
  const token = randomBytes(24).toString('base64url');
  writeCookie(reply, LOGIN_CSRF_COOKIE, token, { secure, path: LOGIN_CSRF_PATH, maxAgeSeconds: 3600 });
  return token;
}

/** True when the posted `_csrf` is the login cookie's token. */
export function loginCsrfValid(request: FastifyRequest, posted: unknown): boolean {
  const held = readCookie(request, LOGIN_CSRF_COOKIE);
  if (!held || typeof posted !== 'string') return false;
  const a = Buffer.from(held);
  const b = Buffer.from(posted);
  return a.length === b.length && timingSafeEqual(a, b);
}

export const DEFAULT_LOGIN_FAILURE_LIMIT: LoginFailureLimit = { max: 10, windowMs: 15 * 60_000 };

/** The Redis key counting a login name's failures (the name trimmed, case-folded and hashed). */
export const loginFailureKey = (keyPrefix: string, login: string) =>
  `${keyPrefix}:dashboard:login-failures:${createHash('sha256').update(login.trim().toLowerCase()).digest('hex')}`;

const failureKey = (deps: DashboardDeps, login: string) => loginFailureKey(deps.keyPrefix, login);

/**
 * The failure counter (Redis) could not be read or written: the login is refused (503) rather than let through
 * uncounted — an outage of the counter must not make guessing unlimited — and never answered as a wrong password.
 */
export class LoginCounterUnavailableError extends Error {
  override name = 'LoginCounterUnavailableError';
  constructor(cause: unknown) {
    super('the dashboard login failure counter (Redis) is unavailable', { cause });
  }
}

/**
 * The seconds a login stays locked (0 = not locked); LoginCounterUnavailableError when Redis cannot tell. A count left
 * without an expiry (by an older release) gets the window again here: a lock always ends.
 */
export async function loginLockedFor(deps: DashboardDeps, limit: LoginFailureLimit, login: string): Promise<number> {
  try {
    const key = failureKey(deps, login);
    const [count, ttl] = await Promise.all([deps.redis.get(key), deps.redis.pttl(key)]);
    if (Number(count ?? 0) < limit.max) return 0;
    if (ttl === -1) await deps.redis.pexpire(key, limit.windowMs);
    return Math.max(1, Math.ceil((ttl > 0 ? ttl : limit.windowMs) / 1000));
  } catch (err) {
    throw new LoginCounterUnavailableError(err);
  }
}

/** One command: the count, and the window when the key has none (its first failure, or a key left without one). */
const RECORD_FAILURE = `local count = redis.call('incr', KEYS[1])
if redis.call('pttl', KEYS[1]) < 0 then redis.call('pexpire', KEYS[1], ARGV[1]) end
return count`;

/** Counts a failed login (the window starts at the first); LoginCounterUnavailableError when Redis cannot count it. */
export async function recordLoginFailure(deps: DashboardDeps, limit: LoginFailureLimit, login: string): Promise<void> {
  const key = failureKey(deps, login);
  try {
    // Atomic: a key that expires or is cleared between two commands could otherwise be counted again with no expiry.
    await deps.redis.eval(RECORD_FAILURE, 1, key, String(limit.windowMs));
  } catch (err) {
    throw new LoginCounterUnavailableError(err);
  }
}

/** A successful login clears its count. */
export async function clearLoginFailures(deps: DashboardDeps, login: string): Promise<void> {
  await deps.redis.del(failureKey(deps, login)).catch(() => undefined);
}
