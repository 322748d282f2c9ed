import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The dashboard's pages: their own scripts and style sheet only (no inline script or style), the inline SVG icon, the
 * JSON API fetched from the page; never framed, forms posted only here.
 */
export const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

// bull-board's UI (admins' raw queue browser) is a bundle with inline styles: it keeps the frame and form rules, and
// loads styles, fonts, images and data from this server only (its page's Google Fonts link is dropped: bull-board.ts).
const BULL_BOARD_CSP = [
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self' data:",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');
// A JSON answer, script or style sheet renders nothing: it may load nothing nor be framed.
const RESOURCE_CSP = "default-src 'none'; frame-ancestors 'none'";

/**
 * onSend: every dashboard answer (pages, the JSON API, bull-board, errors) carries the security headers, and an HTML
 * page says its charset.
 */
export async function securityHeaders(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
  const type = String(reply.getHeader('content-type') ?? '');
  const isHtml = type.startsWith('text/html');
  if (isHtml && !/charset=/i.test(type)) reply.header('content-type', 'text/html; charset=utf-8');
  const csp = !isHtml ? RESOURCE_CSP : request.url.startsWith('/dashboard/filas') ? BULL_BOARD_CSP : PAGE_CSP;
  if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', csp);
  reply.header('x-frame-options', 'DENY');
  reply.header('x-content-type-options', 'nosniff');
  reply.header('referrer-policy', 'same-origin');
  return payload;
}
