import { type SecretQueryOptions, secretQueryValues, shownSecretPair } from './secret-query';
import { looksLikeToken, percentDecoded, shownInPlace, shownName, shownUrl, slashedPassword } from './shown-url';

/**
 * The secret parts of a URL, decoded, as a receiver may echo them: the userinfo's password, every path segment that
 * looks like a token (a receiver's secret path, reference cti.md §1) and what the query rule masks (secretQueryValues:
 * the values of credential-named or token-looking parameters, a callback URL holding a secret). Not the other values:
 * `format=json`, `lote=100`, `nome=João`, a plain callback URL are no secret, and masking their echoes would cut them
 * out of the receiver's answer (the unusual-value clause of log lines, SecretQueryOptions.strict, is off). The same
 * rule as revealedUrl.
 */
export function urlSecretValues(url: string): string[] {
  const slashed = slashedPassword(url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // A password holding a '/' ('admin:s3/nh@host') is no URL to the URL class: its password is all there is to mask.
    return slashed ? [slashed] : [];
  }
  const found: string[] = [];
  if (parsed.password !== '') found.push(percentDecoded(parsed.password) ?? parsed.password);
  if (slashed) found.push(slashed);
  for (const segment of parsed.pathname.split('/'))
    if (segment !== '' && looksLikeToken(segment)) found.push(percentDecoded(segment) ?? segment);
  return [...found, ...secretQueryValues(parsed.search.slice(1))];
}

/**
 * A URL as shown to the operator who wrote it (the CLI's PBX template and request): everything as written — the
 * placeholders, the numbers, plain query values — but its secrets masked: the userinfo dropped (up to the last '@' of
 * the authority, so a password holding '@' leaves nothing behind), every path segment or name that looks like a token,
 * the values the query rule masks (shownSecretPair, the rule of the request log lines too, without their strict
 * unusual-value clause: `endpoint=SIP/{ramal_origem}` stays as written), and any of `secrets`.
 * `keep` names values that stay as written whatever their name ('{token}', a template's placeholder). shownUrl, which
 * masks every query value, stays the rule for logs and errors. A text that is no absolute URL is shown by shownUrl.
 */
export function revealedUrl(url: string, options: SecretQueryOptions = {}): string {
  if (!/^[a-z][a-z0-9+.-]{0,31}:\/\//i.test(url)) return shownUrl(url);
  const keep = options.keep ?? (() => false);
  return shownInPlace(url, { name: (head) => (keep(head) ? head : shownName(head)), pair: (pair) => shownSecretPair(pair, options) });
}
