import { maskUrlsInText } from './shown-url';

/** Keys whose values are secrets wherever they appear in a log object. */
const SECRET_KEY =
  /pass(word)?|senha|segredo|secret|token|authorization|cookie|api[-_]?key|credential|credencia(?:l|is)|private[-_]?key|connection[-_]?string|database[-_]?url|redis[-_]?url|^dsn$/i;
/** user:password@ inside any URL-looking string. */
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]{0,31}:\/\/)([^/@\s:]*):([^/@\s]*)@/gi;
/** Bearer/Basic credentials inside free text (error messages, headers logged as strings). */
const AUTH_SCHEME = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g;

/** CTI listener path tokens and screen-pop tokens (they travel in URLs by design). */
const CTI_TOKEN = /\b(ctk|cpt)_[A-Za-z0-9_-]{20,64}/g;
/**
 * Keys whose value is a command sent to a server: ioredis puts `{ name, args }` on its errors, and the args of AUTH or
 * HELLO are the password (of any other command, job data). The command's name is kept, its arguments never.
 */
const COMMAND_KEY = /^command$/i;

export const REDACTED = '[redacted]';

/** pino `redact` paths for the same rule, in case an object reaches pino without passing the formatter. */
export const REDACT_PATHS = ['command.args', '*.command.args', '*.*.command.args', 'err.command.args', 'error.command.args'];

function redactCommand(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return typeof value === 'string' ? scrubText(value) : value;
  const { args: _args, ...rest } = value as Record<string, unknown>;
  return { ...(redactSecrets(rest) as Record<string, unknown>), args: REDACTED };
}
const MAX_DEPTH = 8;

/**
 * Removes credentials from a free-text string: every URL in it as shownUrl shows it (query values, token-looking path
 * segments and userinfo masked; the safety net for library errors that quote a URL), then Bearer/Basic and CTI tokens.
 */
export function scrubText(text: string): string {
  return maskUrlsInText(text)
    .replace(URL_CREDENTIALS, `$1$2:${REDACTED}@`)
    .replace(AUTH_SCHEME, `$1 ${REDACTED}`)
    .replace(CTI_TOKEN, `$1_${REDACTED}`);
}

/**
 * Returns a copy of a log object with secret-named keys replaced and credentials scrubbed from strings.
 * Name-based rather than path-based, so a secret nested anywhere is caught.
 */
export function redactSecrets(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1, seen));
  if (value instanceof Error) return redactError(value, depth, seen);
  if (value instanceof Date || Buffer.isBuffer(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (COMMAND_KEY.test(key)) out[key] = redactCommand(item);
    else out[key] = SECRET_KEY.test(key) && item !== undefined && item !== null ? REDACTED : redactSecrets(item, depth + 1, seen);
  }
  return out;
}

function redactError(error: Error, depth: number, seen: WeakSet<object>): Record<string, unknown> {
  const out: Record<string, unknown> = {
    type: error.name,
    message: scrubText(error.message),
    stack: error.stack ? scrubText(error.stack) : undefined,
  };
  for (const [key, item] of Object.entries(error)) {
    if (COMMAND_KEY.test(key)) out[key] = redactCommand(item);
    else out[key] = SECRET_KEY.test(key) ? REDACTED : redactSecrets(item, depth + 1, seen);
  }
  if (error.cause !== undefined) out.cause = redactSecrets(error.cause, depth + 1, seen);
  return out;
}
