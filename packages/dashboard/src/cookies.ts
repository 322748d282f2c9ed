import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The one session cookie, read and written by hand: two small functions instead of @fastify/cookie, whose
 * ESM-only `cookie` dependency is loaded by a dynamic import that Jest's module system cannot run.
 */
export function readCookie(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) {
      try {
        return decodeURIComponent(part.slice(at + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export interface CookieOptions {
  /** Omitted: a browser-session cookie (gone when the browser closes). */
  maxAgeSeconds?: number;
  secure: boolean;
  path: string;
}

/** Sets an httpOnly, SameSite=Strict cookie (maxAge 0 clears it; none: a browser-session cookie). */
export function writeCookie(reply: FastifyReply, name: string, value: string, options: CookieOptions): void {
  const parts = [
    `${name}=${encodeURIComponent(value)}`,
    `Path=${options.path}`,
    ...(options.maxAgeSeconds === undefined ? [] : [`Max-Age=${options.maxAgeSeconds}`]),
    'HttpOnly',
    'SameSite=Strict',
  ];
  if (options.secure) parts.push('Secure');
  reply.header('set-cookie', parts.join('; '));
}
