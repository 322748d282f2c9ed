import { isSecretName } from './mask-secrets';
import { looksLikeToken, MASK, PLAIN_AUTHORITY, shownName, shownUrl } from './shown-url';

/**
 * Query names that carry a credential in URLs though they are no secret word in a field's name (isSecretName): a PBX's
 * or a receiver's `?key=`, `?chave=`, `?auth=`, `?sig=`, `?hash=`. Whole names only: `chave_pedido` stays readable.
 */
const URL_CREDENTIAL_NAME = /^(?:key|chave|auth|sig|signature|hash|hmac|access[-_]?key)$/i;

/** Whether a URL's query (or `;param`) name makes its value a secret: isSecretName's words, or URL_CREDENTIAL_NAME. */
function isSecretParameter(name: string): boolean {
  const plain = decoded(name);
  return isSecretName(plain) || URL_CREDENTIAL_NAME.test(plain);
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/** Whether a query value is a secret: by its parameter's name, by its look (looksLikeToken), or named by the caller. */
function isSecretValue(name: string, value: string, secrets: readonly string[]): boolean {
  return value !== '' && (isSecretParameter(name) || looksLikeToken(value) || secrets.includes(decoded(value)));
}

/**
 * The secret parts of a URL, decoded, as a receiver may echo them: the userinfo's password, every path segment that
 * looks like a token (a receiver's secret path, reference cti.md §1) and the values of secret query parameters
 * (isSecretParameter) or token-looking ones. Not the other values: `format=json`, `lote=100` are no secret, and masking
 * their echoes would cut `json` and `100` out of the receiver's answer. The same rule as revealedUrl.
 */
export function urlSecretValues(url: string): string[] {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [];
  }
  const found: string[] = [];
  if (parsed.password !== '') found.push(decoded(parsed.password));
  for (const segment of parsed.pathname.split('/')) if (segment !== '' && looksLikeToken(segment)) found.push(decoded(segment));
  for (const [name, value] of parsed.searchParams) if (isSecretValue(name, value, [])) found.push(value);
  return found;
}

/**
 * A URL as shown to the operator who wrote it (the CLI's PBX template and request): everything as written — the
 * placeholders, the numbers, plain query values — but its secrets masked: the userinfo dropped (up to the last '@' of
 * the authority, so a password holding '@' leaves nothing behind), every path segment or bare name that looks like a
 * token, and the values of secret-named or token-looking parameters, and any of `secrets`. `keep` names values that
 * stay as written whatever their name ('{token}', a template's placeholder). shownUrl, which masks every query value,
 * stays the rule for logs and errors. A text that is no absolute URL is shown by shownUrl.
 */
export function revealedUrl(url: string, options: { secrets?: readonly string[]; keep?: (value: string) => boolean } = {}): string {
  const scheme = /^[a-z][a-z0-9+.-]{0,31}:\/\//i.exec(url);
  if (!scheme) return shownUrl(url);
  const start = scheme[0].length;
  const end = url.slice(start).search(/[/?#]/);
  const authority = end === -1 ? url.slice(start) : url.slice(start, start + end);
  const host = authority.slice(authority.lastIndexOf('@') + 1);
  // A password holding '#', '?' or '/' ends the authority early ('user:p#ss@host'): masked whole, as shownUrl does.
  if (!PLAIN_AUTHORITY.test(host)) return `${scheme[0]}${MASK}`;
  const secrets = options.secrets ?? [];
  const keep = options.keep ?? (() => false);
  const pair = (text: string) => {
    const eq = text.indexOf('=');
    const name = eq === -1 ? text : text.slice(0, eq);
    const value = eq === -1 ? '' : text.slice(eq + 1);
    const shownNameText = looksLikeToken(name) || name.includes('@') ? MASK : name;
    if (eq === -1) return shownNameText;
    return `${shownNameText}=${!keep(value) && isSecretValue(name, value, secrets) ? MASK : value}`;
  };
  const tail = end === -1 ? '' : url.slice(start + end);
  const hash = tail.indexOf('#');
  const beforeHash = hash === -1 ? tail : tail.slice(0, hash);
  const question = beforeHash.indexOf('?');
  const path = question === -1 ? beforeHash : beforeHash.slice(0, question);
  let shown = path
    .split('/')
    .map((segment) => {
      const [head = '', ...params] = segment.split(';');
      return [keep(head) ? head : shownName(head), ...params.map(pair)].join(';');
    })
    .join('/');
  const pairs = (query: string) => query.split('&').map(pair).join('&');
  if (question !== -1) shown += `?${pairs(beforeHash.slice(question + 1))}`;
  if (hash !== -1) shown += `#${pairs(tail.slice(hash + 1))}`;
  return `${scheme[0]}${host}${shown}`;
}
