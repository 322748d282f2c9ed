/** What stands for a secret part of a URL (a query value, a token-looking path segment), and for a whole URL that cannot be shown safely. */
export const MASK = '***';
/** Longer malformed texts are not shown at all: a URL is rarely that long, a pasted secret blob may be. */
const MAX_MALFORMED = 200;
/** A run of letters and digits long enough to be a key: an API key, a hex digest, a Slack webhook secret. */
const KEY_RUN = /[A-Za-z0-9]{16,}/g;

/**
 * Whether a piece of a URL (a path segment, a `;param` or bare query name, a fragment) looks like a token: it holds a run
 * of 16 or more letters and digits mixing both, or it is 32 or more characters long with capitals and digits making at
 * least a quarter of it (base64url with `-`/`_`: a Discord webhook token, a UUID). Words joined by `_`/`-` and ids of
 * digits only (`sapiens_Synccom_senior_g5_co_cad_clientes`, `123`) stay readable. Read percent-decoded.
 */
function looksLikeToken(piece: string): boolean {
  let text = piece;
  try {
    text = decodeURIComponent(piece);
  } catch {
    // malformed escapes: read as written
  }
  for (const run of text.match(KEY_RUN) ?? []) if (/[A-Za-z]/.test(run) && /\d/.test(run)) return true;
  return text.length >= 32 && text.replace(/[^A-Z0-9]/g, '').length * 4 >= text.length;
}

/**
 * A URL as records, logs and messages show it: scheme, host, port, path, query names and fragment; every query (or
 * fragment) value, every `;param` value and every path segment or bare name that looks like a token (looksLikeToken)
 * replaced by ***; userinfo dropped. The one owner of the rule: attempt rows, log lines (scrubText, through
 * maskUrlsInText), error texts and the dashboard go through it. The request itself still goes to the full URL. A path
 * with its query (an integration's link: '/svc?wsdl&token=…', '?wsdl', 'POST /api/x?token=…') is shown the same way.
 * Never throws: any other text the URL class cannot read is shown up to its first ? or #, or as *** when that part holds
 * an @ or = (userinfo, a key=value) or is too long to be an address.
 */
export function shownUrl(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : url;
  } catch {
    return shownRelative(String(url));
  }
  // An opaque URL (no //host: mailto:, or 'user:pass@host' read as scheme 'user:') may be anything after its scheme.
  if (parsed.host === '' && !parsed.href.startsWith(`${parsed.protocol}//`)) return `${parsed.protocol}${MASK}`;
  return `${parsed.protocol}//${parsed.host}${shownTail(`${parsed.pathname}${parsed.search}${parsed.hash}`)}`;
}

/** Path, query and fragment as written, only their secret parts replaced (nothing re-encoded). */
function shownTail(tail: string): string {
  const hash = tail.indexOf('#');
  const beforeHash = hash === -1 ? tail : tail.slice(0, hash);
  const question = beforeHash.indexOf('?');
  const path = question === -1 ? beforeHash : beforeHash.slice(0, question);
  let shown = path.split('/').map(shownSegment).join('/');
  if (question !== -1) shown += `?${shownPairs(beforeHash.slice(question + 1))}`;
  if (hash !== -1) shown += `#${shownPairs(tail.slice(hash + 1))}`;
  return shown;
}

function shownSegment(segment: string): string {
  const [head = '', ...params] = segment.split(';');
  return [looksLikeToken(head) ? MASK : head, ...params.map(shownPair)].join(';');
}

/** A query (or fragment): 'a=1&b' → 'a=***&b'; an empty value stays empty, a bare name that looks like a token is ***. */
function shownPairs(query: string): string {
  return query.split('&').map(shownPair).join('&');
}

function shownPair(pair: string): string {
  const eq = pair.indexOf('=');
  const name = eq === -1 ? pair : pair.slice(0, eq);
  const shownName = looksLikeToken(name) ? MASK : name;
  return eq === -1 ? shownName : `${shownName}=${eq === pair.length - 1 ? '' : MASK}`;
}

/** A link: an optional method, then a path or a query ('/x?a=1', '?wsdl', never '//host/…'). */
const RELATIVE = /^((?:[A-Z]+ )?)([/?](?![/\\])\S*)$/;

function shownRelative(text: string): string {
  const link = RELATIVE.exec(text);
  return link ? `${link[1]}${shownTail(link[2] ?? '')}` : shownMalformed(text);
}

function shownMalformed(text: string): string {
  const head = text.split(/[?#]/, 1)[0]?.trim() ?? '';
  return head === '' || /[@=]/.test(head) || head.length > MAX_MALFORMED ? MASK : head;
}

/** A text (a library's error message) with every copy of `url` replaced by its shown form; returned as is without one. */
export function withUrlShown(text: unknown, url: string, shown = shownUrl(url)): string {
  const message = String(text ?? '');
  return url !== '' && url !== shown && message.includes(url) ? message.split(url).join(shown) : message;
}

/** Where a URL starts and ends inside free text: its scheme, up to a space, quote, bracket or backslash (a JSON escape). */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`\\]+/gi;
/** A path with a query inside free text ('Cannot POST /api/x?token=…', a receptor echoing the request): after a space, quote, ( or =. */
const LINK_IN_TEXT = /(^|[\s"'(=])(\/(?![/\\])[^\s"'<>`\\?#]*\?[^\s"'<>`\\]+)/g;
/** Punctuation that ends a sentence rather than the URL before it. */
const TRAILING = /[.,;:!)\]}]+$/;

/**
 * Every URL inside a free text (an error message, a log line, a stored request), and every path that carries a query,
 * with its secret parts replaced by the shownUrl rule, in place: the rest of the text, and any URL with nothing secret, stay byte-identical.
 */
export function maskUrlsInText(text: string): string {
  const urlsShown = text.includes('://') ? text.replace(URL_IN_TEXT, (found) => shownWithTrailing(found, shownInPlace)) : text;
  return urlsShown.includes('?')
    ? urlsShown.replace(LINK_IN_TEXT, (_found, before: string, link: string) => before + shownWithTrailing(link, shownTail))
    : urlsShown;
}

function shownWithTrailing(found: string, show: (url: string) => string): string {
  const trailing = TRAILING.exec(found)?.[0] ?? '';
  return show(found.slice(0, found.length - trailing.length)) + trailing;
}

function shownInPlace(url: string): string {
  const start = url.indexOf('://') + 3;
  const end = url.slice(start).search(/[/?#]/);
  const authority = end === -1 ? url.slice(start) : url.slice(start, start + end);
  const at = authority.lastIndexOf('@');
  const host = at === -1 ? authority : authority.slice(at + 1);
  return url.slice(0, start) + host + (end === -1 ? '' : shownTail(url.slice(start + end)));
}
