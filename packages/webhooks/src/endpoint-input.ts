import { validateHeaderName, validateHeaderValue } from 'node:http';
import net from 'node:net';
import { type AddressAllowlist, OutboundAddressError, shownUrl } from '@integrador/connections';
import { assertAllowedWithoutDns } from '@integrador/transports';
import { WebhookError } from './errors';
import { GATILHOS, type Gatilho, isGatilho } from './gatilhos';

const RESERVED_HEADER = /^(content-type|content-length|host|webhook-.*|transfer-encoding|connection)$/i;

/**
 * Whether WEBHOOK_HTTPS_ONLY refuses this URL: an http:// one while the operator requires HTTPS. The one rule for a URL
 * saved (checkWebhookUrl) and for a delivery (deliver.ts: an endpoint saved as http:// before the operator turned it on).
 */
export function plainHttpRefused(url: string, httpsOnly: boolean): boolean {
  return httpsOnly && /^http:/i.test(url.trim());
}

/**
 * A fixed http(s) URL (seed 004: no parameters or placeholders): `{…}`, `#var#`, `${…}` are refused, as are
 * credentials in the URL (a custom header carries them, and is masked in the attempt log), and a host the outbound
 * guard refuses without DNS — an IP literal or `localhost` outside the operator's `allowlist` — (a name is judged
 * when a delivery connects: resolving it now would be racy), and an http:// URL when the operator requires HTTPS
 * (WEBHOOK_HTTPS_ONLY: the bodies carry personal data, and plain HTTP lets anyone on the way read or alter them).
 */
export function checkWebhookUrl(
  text: string,
  rules: { allowlist: AddressAllowlist; httpsOnly: boolean } = { allowlist: [], httpsOnly: false },
): string {
  const url = text.trim();
  // A refusal names the URL as shown: the error's message reaches logs, and its query may hold a token.
  if (/[{}#$]|%7b|%7d/i.test(url)) throw new WebhookError('WEBHOOK_URL_PLACEHOLDER', 400, { url: shownUrl(url) });
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new WebhookError('WEBHOOK_URL_INVALID', 400, { url: shownUrl(url) });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new WebhookError('WEBHOOK_URL_INVALID', 400, { url: shownUrl(url) });
  if (plainHttpRefused(url, rules.httpsOnly)) throw new WebhookError('WEBHOOK_URL_HTTPS_REQUIRED', 400, { url: shownUrl(url) });
  if (parsed.username || parsed.password) throw new WebhookError('WEBHOOK_URL_CREDENTIALS', 400);
  checkReachable(parsed.hostname, rules.allowlist);
  return url;
}

/** The guard's refusal of a host as a 400 naming its range and, when one can, the allowlist entry that would let it through. */
function checkReachable(host: string, allowlist: AddressAllowlist): void {
  try {
    // RFC 6761 reserves the whole .localhost domain for loopback: foo.localhost is judged as localhost is.
    const name = host.toLowerCase().replace(/\.$/, '');
    assertAllowedWithoutDns(name.endsWith('.localhost') ? 'localhost' : host, allowlist);
  } catch (err) {
    if (!(err instanceof OutboundAddressError)) throw err;
    // A range no allowlist may open (link-local, cloud metadata: config refuses such entries) gets no advice to allow it.
    if (err.always) throw new WebhookError('WEBHOOK_URL_FORBIDDEN', 400, { host, range: err.range }, 'WEBHOOK_URL_NEVER_ALLOWED');
    const address = err.address.replace(/^\[|\]$/g, '');
    const entry = `${address}/${net.isIPv6(address) ? 128 : 32}`;
    throw new WebhookError('WEBHOOK_URL_FORBIDDEN', 400, { host, range: err.range, entry });
  }
}

/** The gatilhos, known and without repeats. */
export function checkGatilhos(values: readonly string[]): Gatilho[] {
  for (const gatilho of values) {
    if (!isGatilho(gatilho)) throw new WebhookError('WEBHOOK_GATILHO_INVALID', 400, { gatilho, gatilhos: GATILHOS.join(', ') });
  }
  return [...new Set(values as Gatilho[])];
}

/**
 * Custom headers: not the ones the engine sets itself, and a name and value HTTP can carry — judged by Node's own rule
 * (a token name; a value of tab, visible ASCII and Latin-1, no line break), the one the delivery's client applies too:
 * a value it would refuse ("€") would fail every delivery as a network error, so it is refused here, naming the header.
 */
export function checkHeaders(headers: Record<string, string>): Record<string, string> {
  for (const [name, value] of Object.entries(headers)) {
    if (RESERVED_HEADER.test(name) || !sendable(name, value)) throw new WebhookError('WEBHOOK_HEADER_INVALID', 400, { name });
  }
  return headers;
}

function sendable(name: string, value: string): boolean {
  try {
    validateHeaderName(name);
    validateHeaderValue(name, value);
    return true;
  } catch {
    return false;
  }
}
