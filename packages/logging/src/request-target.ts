import { isSecretName } from './mask-secrets';
import { scrubText } from './redact';
import { looksLikeToken, MASK, shownUrl } from './shown-url';

/** A query value an operator may read in a request log: a plain word, number or list of them (`en`, `1`, `set,get`). */
const PLAIN_VALUE = /^[\w.,-]{0,64}$/;

/**
 * An incoming request's target (path and query) as request logs show it: the path with CTI tokens scrubbed (scrubText:
 * `ctk_[redacted]`, the kind kept), then as every URL is shown (other token-looking
 * segments masked), and of the query only the values that may be secrets masked — a secret-named parameter
 * (isSecretName: `token`, `senha`, `api_key`…), a token-looking value, or anything but a plain word or number — so
 * `/dashboard/falhas?lang=en&feito=retry` stays readable while `?token=…` does not.
 */
export function shownRequestTarget(target: string): string {
  const question = target.indexOf('?');
  if (question === -1 || target.includes('#')) return shownUrl(scrubText(target));
  const path = shownUrl(scrubText(target.slice(0, question)));
  const pairs = target
    .slice(question + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq === -1 ? pair : pair.slice(0, eq);
      if (looksLikeToken(name) || name.includes('@')) return eq === -1 ? MASK : `${MASK}=${MASK}`;
      if (eq === -1 || eq === pair.length - 1) return pair;
      const value = pair.slice(eq + 1);
      let decoded = value;
      try {
        decoded = decodeURIComponent(value.replace(/\+/g, ' '));
      } catch {
        return `${name}=${MASK}`;
      }
      const readable = !isSecretName(decodeName(name)) && PLAIN_VALUE.test(decoded) && !looksLikeToken(decoded);
      return `${name}=${readable ? value : MASK}`;
    });
  return `${path}?${pairs.join('&')}`;
}

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}
