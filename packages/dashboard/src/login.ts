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

const failureKey = (deps: DashboardDeps, login: string) =>
  `${deps.keyPrefix}:dashboard:login-failures:${createHash('sha256').update(login.trim().toLowerCase()).digest('hex')}`;

/**
 * The seconds a login stays locked (0 = not locked). Redis unreachable: not locked (the per-address limit still holds),
 * so an outage of the counter does not lock every operator out.
 */
export async function loginLockedFor(deps: DashboardDeps, limit: LoginFailureLimit, login: string): Promise<number> {
  try {
    const key = failureKey(deps, login);
    const [count, ttl] = await Promise.all([deps.redis.get(key), deps.redis.pttl(key)]);
    if (Number(count ?? 0) < limit.max) return 0;
    return Math.max(1, Math.ceil((ttl > 0 ? ttl : limit.windowMs) / 1000));
  } catch {
    return 0;
  }
}

/** Counts a failed login (the window starts at the first). */
export async function recordLoginFailure(deps: DashboardDeps, limit: LoginFailureLimit, login: string): Promise<void> {
  const key = failureKey(deps, login);
  try {
    // The window is set with the key (NX), before the count: INCR keeps it, and no key is left without an expiry.
    await deps.redis.set(key, '0', 'PX', limit.windowMs, 'NX');
    await deps.redis.incr(key);
  } catch {
    // The per-address limit still holds; a login is not refused for want of its counter.
  }
}

/** A successful login clears its count. */
export async function clearLoginFailures(deps: DashboardDeps, login: string): Promise<void> {
  await deps.redis.del(failureKey(deps, login)).catch(() => undefined);
}
