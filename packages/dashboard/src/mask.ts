/** Names whose values are secrets wherever they appear (SOAP elements, JSON keys, query strings). */
const SECRET_NAMES = 'senha|password|passwd|pass|token|secret|segredo|apikey|api_key|authorization';

const XML_ELEMENT = new RegExp(`<((?:[\\w.-]+:)?(?:${SECRET_NAMES}))(\\s[^>]*)?>[^<]*</\\1>`, 'gi');
const JSON_FIELD = new RegExp(`("(?:${SECRET_NAMES})"\\s*:\\s*)"(?:[^"\\\\]|\\\\.)*"`, 'gi');
const QUERY_FIELD = new RegExp(`([?&](?:${SECRET_NAMES})=)[^&\\s]*`, 'gi');

/**
 * Masks secrets in a stored request or response before an operator sees it. The transports already redact what
 * they store; this second pass covers older rows and receptors that echo a credential back.
 */
export function maskSecrets(text: string | null | undefined): string {
  if (!text) return '';
  return text
    .replace(XML_ELEMENT, (_m, tag: string, attrs: string | undefined) => `<${tag}${attrs ?? ''}>••••••</${tag}>`)
    .replace(JSON_FIELD, '$1"••••••"')
    .replace(QUERY_FIELD, '$1••••••');
}
