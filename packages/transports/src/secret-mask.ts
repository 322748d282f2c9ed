import { type Connection, shownUrl } from '@integrador/connections';

/** What a receptor's echo of a connection's secret becomes in every text the hub keeps or shows. */
export const ECHO_MASK = '***';

/**
 * A secret shorter than this is not looked for, in any form (nor its base64): a 1-character password would otherwise
 * mask every copy of that letter in every answer. The secrets the hub builds around it ("Bearer <token>", the base64 of
 * user:password) are secrets of their own, longer, so they are masked even when the secret alone is too short.
 */
export const MIN_MASKED_SECRET_LENGTH = 3;

/** Replaces every copy of a connection's secrets (as sent, and as the answer may quote them) by `***`. */
export interface SecretMasker {
  /** The text with every secret form masked; the same string when it holds none (no copy). */
  text(text: string): string;
  /**
   * A URL the answer names (a redirect's Location) as shown (shownUrl), every secret form masked ignoring case before
   * and after it is parsed: host names are case-insensitive (parsing lowercases them, a receptor may upper-case them).
   */
  url(url: string): string;
  /**
   * A parsed answer (data the hub may write back) with every string value that EQUALS a secret form replaced by `***`;
   * other strings keep their text (a secret inside "administração" or "CLI-20240001" is not cut out) and object keys are
   * never touched. The same value when nothing changed.
   */
  value<T>(value: T): T;
}

const NO_SECRETS: SecretMasker = { text: (text) => text, url: (url) => shownUrl(url), value: (value) => value };

/**
 * The decoded variants of a secret looked for: itself and its base64, standard and url-safe, without the padding (so a
 * padded copy is masked too, its trailing `=` left: they tell nothing).
 */
function variantsOf(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  return [secret, bytes.toString('base64').replace(/=+$/, ''), bytes.toString('base64url')];
}

const REGEXP_SPECIAL = /[.*+?^${}()|[\]\\/-]/g;

function literal(text: string): string {
  return text.replace(REGEXP_SPECIAL, '\\$&');
}

/** Hex digits matched in either case ('00e7' → '00[eE]7'), whatever flags the expression has. */
function hexDigits(hex: string): string {
  return hex.replace(/[a-f]/gi, (digit) => `[${digit.toLowerCase()}${digit.toUpperCase()}]`);
}

const XML_NAMED: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
const JSON_SHORT: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '/': '\\/',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

/**
 * One character (code point) of a secret in every way a receptor may write it, escapes first: JSON (`\/`, `\"`, `\uXXXX`
 * in either case, a surrogate pair past U+FFFF), XML/HTML (`&amp;`…, `&#231;`, `&#xE7;`, leading zeros allowed),
 * percent-encoded once or twice (`%C3%A7`, `%25C3%25A7`, either case; `+` for a space), or as is.
 */
function characterForms(character: string): string[] {
  const code = character.codePointAt(0) ?? 0;
  const units = code > 0xffff ? [character.charCodeAt(0), character.charCodeAt(1)] : [code];
  const bytes = [...Buffer.from(character, 'utf8')].map((byte) => hexDigits(byte.toString(16).toUpperCase().padStart(2, '0')));
  const forms = [
    units.map((unit) => `\\\\u${hexDigits(unit.toString(16).padStart(4, '0'))}`).join(''),
    `&#0{0,8}${code};`,
    `&#[xX]0{0,8}${hexDigits(code.toString(16))};`,
    bytes.map((byte) => `%${byte}`).join(''),
    bytes.map((byte) => `%25${byte}`).join(''),
  ];
  const short = JSON_SHORT[character];
  if (short) forms.unshift(literal(short));
  const named = XML_NAMED[character];
  if (named) forms.unshift(named);
  if (character === ' ') forms.push('\\+');
  forms.push(literal(character));
  return forms;
}

/**
 * How many characters of a secret are looked for in every form, mixed forms included. An attempt at a text position
 * costs a few looks per character of that part, so masking costs (text length) × (this) at worst, whatever the secret:
 * without the cap a 501-character secret crafted against a 100 KB answer took seconds. A longer secret's remaining
 * characters are looked for only in a few whole forms (see VariantSearch).
 */
export const MAX_MIXED_FORM_LENGTH = 64;

/** Characters whose plain form starts one of their escaped forms (`\` in `\\`, `&` in `&amp;`, `%` in `%25`). */
const STARTS_AN_ESCAPE = new Set(['\\', '&', '%']);

/** A text as JSON, XML/HTML and percent-encoding (once, twice) write it whole: the forms of a long secret's tail. */
function wholeForms(text: string): string[] {
  const json = JSON.stringify(text).slice(1, -1);
  const xml = text.replace(/[&<>"']/g, (character) => XML_NAMED[character] ?? character);
  const percent = encodeURIComponent(text);
  return [...new Set([json, json.replace(/\//g, '\\/'), xml, percent, encodeURIComponent(percent), text])];
}

/**
 * The expression of one variant of a secret: its first character in any form, then the rest as is or each of its
 * characters in any of its forms (mixed forms included). Each of those characters' choice is atomic (a lookahead
 * captured, then matched by back-reference: the first form that fits is kept, never tried again), so an attempt costs
 * a few looks per character, never a backtracking blow-up (a secret of backslashes against a text of backslashes
 * included); a whole scan costs up to text length × MAX_MIXED_FORM_LENGTH. The "as is" shortcut is left out when the
 * last character's plain form starts one of its escapes: it would cut `abc\` out of the JSON `abc\\`, leaving a
 * lone backslash. Past MAX_MIXED_FORM_LENGTH characters the expression covers the head only; the rest is the tail
 * (VariantSearch), compared as plain strings after a match: no expression grows with the secret.
 */
function variantPattern(variant: string): string {
  const all = [...variant];
  const [first = '', ...rest] = all.slice(0, MAX_MIXED_FORM_LENGTH);
  const head = [first, ...rest].join('');
  const last = rest.at(-1) ?? first;
  const characters = rest.map((character, index) => `(?=(${characterForms(character).join('|')}))\\${index + 1}`);
  const plain = STARTS_AN_ESCAPE.has(last) ? [] : [literal(head.slice(first.length))];
  return `(?:${characterForms(first).join('|')})(?:${[...plain, characters.join('')].join('|')})`;
}

/**
 * How one variant is looked for: its head's expression and, for a variant past MAX_MIXED_FORM_LENGTH characters, the
 * whole forms its tail may follow in. A head without its tail is masked alone (it is secret too): a tail in a mixed
 * form stays.
 */
interface VariantSearch {
  expression: RegExp;
  tails: string[];
  ignoreCase: boolean;
}

function variantSearch(variant: string, flags: 'g' | 'gi'): VariantSearch {
  const head = [...variant].slice(0, MAX_MIXED_FORM_LENGTH).join('');
  const tails = head.length < variant.length ? wholeForms(variant.slice(head.length)) : [];
  return { expression: new RegExp(variantPattern(variant), flags), tails, ignoreCase: flags === 'gi' };
}

/** The end of a match once the tail that follows it (the longest that does), if any, is taken along. */
function withTail(input: string, end: number, search: VariantSearch): number {
  let longest = 0;
  for (const tail of search.tails) {
    const next = input.slice(end, end + tail.length);
    const same = search.ignoreCase ? next.toLowerCase() === tail.toLowerCase() : next === tail;
    if (same && tail.length > longest) longest = tail.length;
  }
  return end + longest;
}

/** For each position of a text: is the character there escaped by a backslash (an odd run of them right before)? */
function escapedPositions(text: string): Uint8Array {
  const escaped = new Uint8Array(text.length + 1);
  let run = 0;
  for (let index = 0; index < text.length; index++) {
    escaped[index] = run % 2;
    run = text[index] === '\\' ? run + 1 : 0;
  }
  escaped[text.length] = run % 2;
  return escaped;
}

const JSON_UNICODE_TAIL = /^u[0-9a-fA-F]{4}/;
const REFERENCE_HEAD = /&#?[0-9A-Za-z]{0,16}$/;
const CHARACTER_REFERENCE = /^&(?:#[0-9]{1,16}|#[xX][0-9A-Fa-f]{1,16}|[A-Za-z][0-9A-Za-z]{0,16});/;

/** The length of the character reference's start (`&amp` of `&amp;`) right before `start`, or 0 when there is none. */
function referenceHead(input: string, from: number, start: number): number {
  const head = REFERENCE_HEAD.exec(input.slice(from, start))?.[0];
  if (!head) return 0;
  return CHARACTER_REFERENCE.test(input.slice(start - head.length, start + 20)) ? head.length : 0;
}

/**
 * Replaces every match of a variant's expression by `***`, widened so that no escape is cut in two (the masked text of
 * a JSON or XML answer still parses): a match starting right after an escaping backslash (`x\nabc`, password `nabc`)
 * or inside a character reference (`&amp;x`, secret `amp;x`) takes its start with it, and a match ending on an escaping
 * backslash takes the escaped character (or `uXXXX`). Masking a little more is safe; a broken answer is not.
 */
function maskMatches(input: string, search: VariantSearch): string {
  const { expression } = search;
  expression.lastIndex = 0;
  const escaped = input.includes('\\') ? escapedPositions(input) : undefined;
  let out = '';
  let copied = 0;
  for (let match = expression.exec(input); match !== null; match = expression.exec(input)) {
    let start = match.index;
    let end = withTail(input, start + match[0].length, search);
    if (escaped?.[start]) start -= 1;
    else start -= referenceHead(input, Math.max(copied, start - 18), start);
    if (escaped?.[end] && end < input.length) end += JSON_UNICODE_TAIL.test(input.slice(end, end + 5)) ? 5 : 1;
    out += input.slice(copied, Math.max(copied, start)) + ECHO_MASK;
    copied = end;
    expression.lastIndex = end;
  }
  return copied === 0 ? input : out + input.slice(copied);
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
 * A masker for these secret values, each looked for as is, as its base64 (standard and url-safe), and each of those
 * written in any JSON, XML/HTML or percent (single or double) escape form (past MAX_MIXED_FORM_LENGTH characters, in
 * a whole form only; see VariantSearch), never cutting an escape in two: the longest variant is replaced first, so
 * "Bearer <token>" becomes `***`, not "Bearer ***". A secret shorter than MIN_MASKED_SECRET_LENGTH is left out, with
 * its variants. A secret split into pieces (half in one field, half in another) is not looked for.
 */
export function createSecretMasker(secrets: Iterable<string | undefined | null>): SecretMasker {
  const variants = new Set<string>();
  for (const secret of secrets) {
    if (!secret || secret.length < MIN_MASKED_SECRET_LENGTH) continue;
    for (const variant of variantsOf(secret)) if (variant.length >= MIN_MASKED_SECRET_LENGTH) variants.add(variant);
  }
  if (variants.size === 0) return NO_SECRETS;
  const ordered = [...variants].sort((a, b) => b.length - a.length);
  const exact = ordered.map((variant) => variantSearch(variant, 'g'));
  const ignoringCase = ordered.map((variant) => variantSearch(variant, 'gi'));
  const masked =
    (expressions: VariantSearch[]) =>
    (input: string): string => {
      let out = input;
      for (const expression of expressions) out = maskMatches(out, expression);
      return out;
    };
  const text = masked(exact);
  const anyCase = masked(ignoringCase);
  const url = (input: string): string => anyCase(shownUrl(anyCase(input)));
  // A padded base64 copy counts too: its `=` are dropped before comparing (variants hold base64 unpadded).
  const whole = (input: string): string => (variants.has(input) || variants.has(input.replace(/={1,2}$/, '')) ? ECHO_MASK : input);
  const value = <T>(input: T): T => maskValue(input, whole, 0) as T;
  return { text, url, value };
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
