/** What stands for a secret part of a URL (a query value, a token-looking path segment), and for a whole URL that cannot be shown safely. */
export const MASK = '***';
/** Longer malformed texts are not shown at all: a URL is rarely that long, a pasted secret blob may be. */
const MAX_MALFORMED = 200;
/** A run of letters and digits long enough to be a key: an API key, a hex digest, a Slack webhook secret. */
const KEY_RUN = /[A-Za-z0-9]{16,}/g;
/** A run of lower-case letters too short to be (part of) a word: 'bq' in 'bqXQ8x2y…', 'a' in 'a1B2c3…'. */
const SHORT_LOWER = /(?:^|[^a-z])[a-z]{1,2}(?![a-z])/;

/**
 * Whether a run of 16+ letters and digits reads as words, so it stays readable: mixing cases, every lower-case run is
 * 3 letters or more (capitals may lead it: 'ClienteServiceV2Port', 'IntegracaoCRM2Service') with at most two groups of
 * digits ('Pessoas2024Integracao'); in one case only, letters then digits ('ORD20240115000123', 'clientes20240115').
 * A random key rarely does: mixing cases, its lower-case letters come one or two at a time; in one case (upper-case
 * hex, an AWS-style key, a lower-case key) its letters and digits alternate.
 */
function readsAsWords(run: string): boolean {
  if (!/[a-z]/.test(run)) return /^[A-Z]{2,}\d+$/.test(run);
  if (!/[A-Z]/.test(run)) return /^[a-z]{3,}\d+$/.test(run);
  return !SHORT_LOWER.test(run) && (run.match(/\d+/g)?.length ?? 0) <= 2;
}

/**
 * Whether a piece of a URL (a path segment, a `;param` or bare query name, a fragment) looks like a token: it holds a run
 * of 16 or more letters and digits mixing both that does not read as words (readsAsWords), or it is 32 or more characters long with capitals and digits making at
 * least a quarter of it (base64url with `-`/`_`: a Discord webhook token, a UUID). Words joined by `_`/`-` and ids of
 * digits only (`sapiens_Synccom_senior_g5_co_cad_clientes`, `123`) stay readable. Read percent-decoded.
 */
export function looksLikeToken(piece: string): boolean {
  const text = percentDecoded(piece) ?? piece;
  for (const run of text.match(KEY_RUN) ?? []) if (/[A-Za-z]/.test(run) && /\d/.test(run) && !readsAsWords(run)) return true;
  return text.length >= 32 && text.replace(/[^A-Z0-9]/g, '').length * 4 >= text.length;
}

/**
 * A URL as records, logs and messages show it: scheme, host, port, path, query names and fragment; every query (or
 * fragment) value, every `;param` value and every path segment or bare name that looks like a token (looksLikeToken)
 * replaced by ***; userinfo dropped. The one owner of the rule: attempt rows, log lines (scrubText, through
 * maskUrlsInText), error texts and the dashboard go through it. The request itself still goes to the full URL. A path
 * with its query (an integration's link: '/svc?wsdl&token=…', '?wsdl', 'POST /api/x?token=…') is shown the same way.
 * Never throws: any other text the URL class cannot read is shown up to its first ? or #, or as *** when that part holds
 * an @ or = (userinfo, a key=value) or is too long to be an address; as scheme://*** when its authority is not a plain
 * host[:port] or an @ follows (a password holding '#' or '?'); as scheme://*** too when its password holds a '/'
 * (slashedPassword: what comes before that '/' is no host[:port]).
 */
export function shownUrl(url: string | URL): string {
  const text = String(url);
  if (slashedPassword(text) !== undefined) return `${text.slice(0, text.indexOf('://') + 3)}${MASK}`;
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

/** A text percent-decoded; undefined when its escapes are malformed. */
export function percentDecoded(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/**
 * How the parts of a URL's path, query and fragment are shown: a path segment's name (before its `;params`), and each
 * `name=value` of its query, fragment and `;params`. Logs and errors mask every value (shownPair); views that keep
 * plain values (revealedUrl) pass their own pair rule.
 */
export interface TailRule {
  name: (segment: string) => string;
  pair: (pair: string) => string;
}

const EVERY_VALUE_MASKED: TailRule = { name: shownName, pair: shownPair };

/** Path, query and fragment as written, only their secret parts replaced (nothing re-encoded). */
function shownTail(tail: string, rule: TailRule = EVERY_VALUE_MASKED): string {
  const hash = tail.indexOf('#');
  const beforeHash = hash === -1 ? tail : tail.slice(0, hash);
  const question = beforeHash.indexOf('?');
  const path = question === -1 ? beforeHash : beforeHash.slice(0, question);
  const pairs = (query: string) => query.split('&').map(rule.pair).join('&');
  let shown = path
    .split('/')
    .map((segment) => {
      const [head = '', ...params] = segment.split(';');
      return [rule.name(head), ...params.map(rule.pair)].join(';');
    })
    .join('/');
  if (question !== -1) shown += `?${pairs(beforeHash.slice(question + 1))}`;
  if (hash !== -1) shown += `#${pairs(tail.slice(hash + 1))}`;
  return shown;
}

/** A file extension kept visible after a masked name ('***.json'). */
const EXTENSION = /\.[A-Za-z0-9]{1,5}$/;

export function shownName(name: string): string {
  if (!looksLikeToken(name)) return name;
  const extension = EXTENSION.exec(name)?.[0] ?? '';
  return extension !== '' && looksLikeToken(name.slice(0, -extension.length)) ? MASK + extension : MASK;
}

/** One pair of a query (or fragment): 'a=1' → 'a=***', 'b' → 'b'; an empty value stays empty, a masked name (isMaskedName) is ***. */
function shownPair(pair: string): string {
  const eq = pair.indexOf('=');
  const name = eq === -1 ? pair : pair.slice(0, eq);
  const shownName = isMaskedName(name) ? MASK : name;
  return eq === -1 ? shownName : `${shownName}=${eq === pair.length - 1 ? '' : MASK}`;
}

/**
 * Whether a query, fragment or `;param` name is itself shown as ***: it looks like a token, or it holds an '@' (it may
 * be the rest of a userinfo a '#' or '?' cut short: 'https://joao#S3nh@host').
 */
export function isMaskedName(name: string): boolean {
  return looksLikeToken(name) || name.includes('@');
}

/** A link: an optional method, then a path or a query ('/x?a=1', '?wsdl', never '//host/…'). */
const RELATIVE = /^((?:[A-Z]+ )?)([/?](?![/\\])\S*)$/;

function shownRelative(text: string): string {
  const link = RELATIVE.exec(text);
  return link ? `${link[1]}${shownTail(link[2] ?? '')}` : shownMalformed(text);
}

/** A scheme and an authority at the start of a text ('https://joao:S3nh', when a '#' in the password cut it there). */
const SCHEME_AUTHORITY = /^([a-z][a-z0-9+.-]{0,31}:\/\/)([^/?#]*)/i;
/** An authority with nothing but a host and an optional port: no userinfo, no ':' followed by something else. */
const PLAIN_AUTHORITY = /^(?:\[[^\]@]*\]|[^:@[\]]*)(?::\d*)?$/;

function shownMalformed(text: string): string {
  const head = text.split(/[?#]/, 1)[0]?.trim() ?? '';
  if (head === '' || /[@=]/.test(head) || head.length > MAX_MALFORMED) return MASK;
  // A password holding '#' or '?' ends the authority early: 'https://joao:S3nh#a@host/x'. Shown as scheme://*** then.
  const authority = SCHEME_AUTHORITY.exec(head);
  if (authority && (!PLAIN_AUTHORITY.test(authority[2] ?? '') || text.includes('@'))) return `${authority[1]}${MASK}`;
  return head;
}

/** A text (a library's error message) with every copy of `url` replaced by its shown form; returned as is without one. */
export function withUrlShown(text: unknown, url: string, shown = shownUrl(url)): string {
  const message = String(text ?? '');
  return url !== '' && url !== shown && message.includes(url) ? message.split(url).join(shown) : message;
}

/**
 * Where a URL starts and ends inside free text: its scheme, up to a space, quote, bracket or backslash (a JSON escape).
 * The scheme is bounded (32 characters) so that a long run of 'a.a.a…' costs a bounded look at each start: linear.
 */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]{0,31}:\/\/[^\s"'<>`\\]+/gi;
/** Punctuation that ends a sentence rather than the URL before it. */
const TRAILING = '.,;:!)]}';
const QUERY_OR_FRAGMENT = /[?#]/g;

/**
 * Every URL inside a free text (an error message, a log line, a stored request), and every path that carries a query,
 * with its secret parts replaced by the shownUrl rule, in place: the rest of the text, and any URL with nothing secret, stay byte-identical.
 */
export function maskUrlsInText(text: string): string {
  const urlsShown = text.includes('://') ? text.replace(URL_IN_TEXT, (found) => shownWithTrailing(found, shownInPlace)) : text;
  return linksShownAroundQueries(urlsShown);
}

/** A character that ends a run of text: a link inside free text never crosses a space, quote, bracket or backslash. */
const RUN_END = /[\s"'<>`\\]/;

/**
 * linksShown on every run of text between RUN_END characters that holds a '?', the rest untouched: only such a run can hold a
 * link with a query. Found from each '?' outwards, so a text is read once — every stored SOAP answer has a '?' (its
 * XML declaration), and replacing each of its words through linksShown cost twice as much.
 */
function linksShownAroundQueries(text: string): string {
  let out = '';
  let last = 0;
  let q = text.indexOf('?');
  while (q !== -1) {
    let start = q;
    while (start > last && !RUN_END.test(text[start - 1] as string)) start -= 1;
    let end = q + 1;
    while (end < text.length && !RUN_END.test(text[end] as string)) end += 1;
    out += text.slice(last, start) + linksShown(text.slice(start, end));
    last = end;
    q = text.indexOf('?', end);
  }
  return last === 0 ? text : out + text.slice(last);
}

/**
 * A path with a query inside a run of text ('Cannot POST /api/x?token=…', '<td>/api/x?…', 'path:/api/x?…'): it starts
 * at a '/' that no name character or '/' comes right before (so 'a/b?c', 'host:8080/x?' and '//host/x?' are not links)
 * and runs to the end of the run. One pass over the run: a start whose query does not come before a '#' skips to it.
 */
function linksShown(run: string): string {
  let from = 0;
  while (from < run.length) {
    const slash = run.indexOf('/', from);
    if (slash === -1) return run;
    if (/[\w.~%/-]/.test(run[slash - 1] ?? '') || /[/\\]/.test(run[slash + 1] ?? '')) {
      from = slash + 1;
      continue;
    }
    QUERY_OR_FRAGMENT.lastIndex = slash + 1;
    const stop = QUERY_OR_FRAGMENT.exec(run)?.index ?? run.length;
    if (run[stop] === '?') return run.slice(0, slash) + shownWithTrailing(run.slice(slash), shownTail);
    from = stop + 1;
  }
  return run;
}

function shownWithTrailing(found: string, show: (url: string) => string): string {
  let end = found.length;
  while (end > 0 && TRAILING.includes(found[end - 1] ?? '')) end -= 1;
  return show(found.slice(0, end)) + found.slice(end);
}

/**
 * The password of an absolute URL whose password holds a '/' ('http://admin:s3/nh@host/x'), decoded; undefined for any
 * other text. Only what comes before the first '/' after the scheme is the authority: when that part is a plain
 * host[:port] ('pbx.local', 'pbx:8080'), an '@' or ':' after it is the path's (a SIP URI `/call/sip:201@pbx.local`, an
 * Asterisk `/dial/201@from-internal`), as the URL class, the HTTP clients and the server read it. When it is no host[:port]
 * ('admin:s3': the URL class refuses such a text), the '/' was the password's: it is read by the URL class with the
 * '/'s before the last '@' of the text up to its query or fragment written as %2F (the userinfo's own) — does the URL
 * hold a password? One the URL class then refuses is a password all the same: never showing one comes first. A
 * password of digits before its '/' ('admin:12/ss@host') reads as a port and a path, as it does to every client.
 */
export function slashedPassword(url: string): string | undefined {
  const start = url.indexOf('://') + 3;
  if (start < 3) return undefined;
  const query = url.slice(start).search(/[?#]/);
  const at = (query === -1 ? url : url.slice(0, start + query)).lastIndexOf('@');
  const slash = url.indexOf('/', start);
  if (at === -1 || slash === -1 || slash > at || PLAIN_AUTHORITY.test(url.slice(start, slash))) return undefined;
  const userinfo = url.slice(start, at);
  try {
    const password = new URL(`${url.slice(0, start)}${userinfo.split('/').join('%2F')}${url.slice(at)}`).password;
    return password === '' ? undefined : (percentDecoded(password) ?? password);
  } catch {
    return userinfo.slice(userinfo.indexOf(':') + 1);
  }
}

/**
 * An absolute URL as written (`scheme://authority…`), its userinfo dropped up to the last '@' of the authority (a
 * password holding '@' leaves nothing behind), its tail shown by `rule`; `scheme://***` when the authority is no plain
 * host[:port] (a password holding '#', '?' or '/' ended it early: 'user:p#ss@host').
 */
export function shownInPlace(url: string, rule: TailRule = EVERY_VALUE_MASKED): string {
  const start = url.indexOf('://') + 3;
  if (slashedPassword(url) !== undefined) return `${url.slice(0, start)}${MASK}`;
  const end = url.slice(start).search(/[/?#]/);
  const authority = end === -1 ? url.slice(start) : url.slice(start, start + end);
  const at = authority.lastIndexOf('@');
  const host = at === -1 ? authority : authority.slice(at + 1);
  if (!PLAIN_AUTHORITY.test(host)) return `${url.slice(0, start)}${MASK}`;
  return url.slice(0, start) + host + (end === -1 ? '' : shownTail(url.slice(start + end), rule));
}
