/** What stands for a query value, and for a whole URL that cannot be shown safely. */
export const MASK = '***';
/** Longer malformed texts are not shown at all: a URL is rarely that long, a pasted secret blob may be. */
const MAX_MALFORMED = 200;

/**
 * A URL as records, logs and messages show it: scheme, host, port, path and the names of the query parameters, every
 * query value replaced by ***; userinfo and fragment dropped (a token travels in any of those). The one owner of the
 * rule: every attempt row, log line and error text that names a connection's or endpoint's URL goes through it. The
 * request itself still goes to the full URL. A path with its query (an integration's link, '/svc?wsdl&token=…') is shown
 * the same way. Never throws: any other text the URL class cannot read is shown up to its first ? or #, or as *** when
 * that part holds an @ or = (userinfo, a key=value) or is too long to be an address.
 */
export function shownUrl(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : url;
  } catch {
    return shownRelative(url as string);
  }
  // An opaque URL (no //host: mailto:, or 'user:pass@host' read as scheme 'user:') may be anything after its scheme.
  if (parsed.host === '' && !parsed.href.startsWith(`${parsed.protocol}//`)) return `${parsed.protocol}${MASK}`;
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}${shownQuery(parsed)}`;
}

/** The query with its parameter names and every value ***; '' without one. */
function shownQuery(parsed: URL): string {
  let query = '';
  for (const [name, value] of parsed.searchParams) {
    const shown = value === '' ? encodeURIComponent(name) : `${encodeURIComponent(name)}=${MASK}`;
    query += query === '' ? `?${shown}` : `&${shown}`;
  }
  return query;
}

/** A path with its query ('/x?a=1', never '//host/…'), read against a placeholder origin that is not shown. */
function shownRelative(text: string): string {
  if (typeof text === 'string' && /^\/(?![/\\])/.test(text)) {
    try {
      const parsed = new URL(text, 'http://link.invalid');
      if (parsed.host === 'link.invalid') return `${parsed.pathname}${shownQuery(parsed)}`;
    } catch {
      // shown as malformed text below
    }
  }
  return shownMalformed(text);
}

function shownMalformed(text: string): string {
  const head = String(text).split(/[?#]/, 1)[0]?.trim() ?? '';
  return head === '' || /[@=]/.test(head) || head.length > MAX_MALFORMED ? MASK : head;
}

/** A text (a library's error message) with every copy of `url` replaced by its shown form; returned as is without one. */
export function withUrlShown(text: string, url: string, shown = shownUrl(url)): string {
  return url !== '' && url !== shown && text.includes(url) ? text.split(url).join(shown) : text;
}
