import { shownUrl } from '@integrador/connections';

/** Names whose values are secrets wherever they appear (SOAP elements, JSON keys, query strings). */
const SECRET_NAMES = 'senha|password|passwd|pass|token|secret|segredo|apikey|api_key|authorization';

const XML_ELEMENT = new RegExp(`<((?:[\\w.-]+:)?(?:${SECRET_NAMES}))(\\s[^>]*)?>[^<]*</\\1>`, 'gi');
const JSON_FIELD = new RegExp(`("(?:${SECRET_NAMES})"\\s*:\\s*)"(?:[^"\\\\]|\\\\.)*"`, 'gi');
const QUERY_FIELD = new RegExp(`([?&](?:${SECRET_NAMES})=)[^&\\s]*`, 'gi');
/** Where a URL starts and ends inside free text: its scheme, up to a space, quote or bracket (the URL class reads it). */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi;
/** Punctuation that ends a sentence rather than the URL before it. */
const TRAILING = /[.,;:!)\]}]+$/;

/**
 * Masks secrets in a stored request or response before an operator sees it. The transports already redact what
 * they store; this second pass covers older rows and receptors that echo a credential back.
 */
export function maskSecrets(text: string | null | undefined): string {
  if (!text) return '';
  return maskUrlsIn(text)
    .replace(XML_ELEMENT, (_m, tag: string, attrs: string | undefined) => `<${tag}${attrs ?? ''}>••••••</${tag}>`)
    .replace(JSON_FIELD, '$1"••••••"')
    .replace(QUERY_FIELD, '$1••••••');
}

/**
 * A stored URL as an operator sees it (shownUrl: query values masked, no userinfo or fragment). The engine stores URLs
 * that way already; rows written before it did still hold the full URL.
 */
export function maskUrl<T extends string | null | undefined>(url: T): T {
  return (url ? shownUrl(url) : url) as T;
}

/** Every URL inside a stored free text (an error message, a job log line) shown as maskUrl shows it. */
export function maskUrlsIn<T extends string | null | undefined>(text: T): T {
  if (!text?.includes('://')) return text;
  return (text as string).replace(URL_IN_TEXT, (found) => {
    const tail = TRAILING.exec(found)?.[0] ?? '';
    return shownUrl(found.slice(0, found.length - tail.length)) + tail;
  }) as T;
}
