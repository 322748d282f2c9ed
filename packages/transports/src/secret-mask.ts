import type { Connection } from '@integrador/connections';

/** What a receptor's echo of a connection's secret becomes in every text the hub keeps or shows. */
export const ECHO_MASK = '***';

/**
 * A secret (or a form of it) shorter than this is not looked for: a 1-character password would otherwise mask every
 * copy of that letter in every answer. The forms the hub builds around a secret ("Bearer <token>", the base64 of
 * user:password) are longer than the secret, so they are masked even when the secret alone is too short.
 */
export const MIN_MASKED_SECRET_LENGTH = 3;

/** Replaces every copy of a connection's secrets (as sent, and as the answer may quote them) by `***`. */
export interface SecretMasker {
  /** The text with every secret form masked; the same string when it holds none (no copy). */
  text(text: string): string;
  /**
   * A parsed answer (data the hub may write back) with every string value that EQUALS a secret form replaced by `***`;
   * other strings keep their text (a secret inside "administração" or "CLI-20240001" is not cut out) and object keys are
   * never touched. The same value when nothing changed.
   */
  value<T>(value: T): T;
}

const NO_SECRETS: SecretMasker = { text: (text) => text, value: (value) => value };

function xmlEscaped(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** The ways a secret may come back inside an answer: as is, JSON-escaped, XML-escaped, percent-encoded, base64. */
function formsOf(secret: string): string[] {
  return [secret, JSON.stringify(secret).slice(1, -1), xmlEscaped(secret), encodeURIComponent(secret)];
}

/**
 * The derived forms of an HTTP credential header value the hub sends: the value itself, its credential after the
 * scheme ("Bearer <token>" → the token), and for Basic the decoded `user:password` and the password.
 */
export function authorizationForms(value: string): string[] {
  const match = /^\s*(Basic|Bearer)\s+(\S+)\s*$/i.exec(value);
  if (!match) return [value];
  const [, scheme, credential = ''] = match;
  if (scheme?.toLowerCase() !== 'basic') return [value, credential];
  const decoded = Buffer.from(credential, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return [value, credential, decoded, ...(colon === -1 ? [] : [decoded.slice(colon + 1)])];
}

/**
 * A masker for these secret values (each also looked for JSON- and XML-escaped, percent-encoded): the longest form is
 * replaced first, so "Bearer <token>" becomes `***`, not "Bearer ***". Forms shorter than MIN_MASKED_SECRET_LENGTH are
 * left out.
 */
export function createSecretMasker(secrets: Iterable<string | undefined | null>): SecretMasker {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (!secret) continue;
    for (const form of formsOf(secret)) if (form.length >= MIN_MASKED_SECRET_LENGTH) forms.add(form);
  }
  if (forms.size === 0) return NO_SECRETS;
  const ordered = [...forms].sort((a, b) => b.length - a.length);
  const text = (input: string): string => {
    let out = input;
    for (const form of ordered) if (out.includes(form)) out = out.split(form).join(ECHO_MASK);
    return out;
  };
  const whole = (input: string): string => (forms.has(input) ? ECHO_MASK : input);
  const value = <T>(input: T): T => maskValue(input, whole, 0) as T;
  return { text, value };
}

const MAX_DEPTH = 64;

function maskValue(input: unknown, text: (value: string) => string, depth: number): unknown {
  if (typeof input === 'string') return text(input);
  if (input === null || typeof input !== 'object' || depth > MAX_DEPTH) return input;
  if (Array.isArray(input)) {
    let changed = false;
    const out = input.map((item) => {
      const masked = maskValue(item, text, depth + 1);
      if (masked !== item) changed = true;
      return masked;
    });
    return changed ? out : input;
  }
  const proto = Object.getPrototypeOf(input);
  if (proto !== Object.prototype && proto !== null) return input;
  let changed = false;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(input)) {
    const masked = maskValue(item, text, depth + 1);
    if (masked !== item) changed = true;
    out[key] = masked;
  }
  return changed ? out : input;
}

/**
 * Every secret value of a connection (passwords, tokens, API keys, credentialed URLs and connection strings) and the
 * forms the hub itself sends built from them: `Basic base64(user:password)` and `Bearer <token>`.
 */
export function connectionSecrets(connection: Connection): string[] {
  if (connection.kind === 'webservice') return [connection.password.reveal()];
  if (connection.kind === 'api') {
    const { auth } = connection;
    if (auth.type === 'basic') {
      const password = auth.password.reveal();
      return [password, ...authorizationForms(`Basic ${Buffer.from(`${auth.user}:${password}`).toString('base64')}`)];
    }
    if (auth.type === 'bearer') return authorizationForms(`Bearer ${auth.token.reveal()}`);
    if (auth.type === 'header') return [auth.value.reveal()];
    return [];
  }
  const password = connection.password?.reveal();
  return [connection.url?.reveal(), connection.connectionString?.reveal(), password].filter(
    (secret): secret is string => secret !== undefined,
  );
}

/** The masker of a connection's secrets. */
export function connectionMasker(connection: Connection): SecretMasker {
  return createSecretMasker(connectionSecrets(connection));
}
