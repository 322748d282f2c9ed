import ipaddr from 'ipaddr.js';

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** Thrown for an allowlist or proxy entry that is neither an address nor a CIDR range; names it (`entry`, for a caller's own wording). */
export class AddressListError extends Error {
  override name = 'AddressListError';
  constructor(readonly entry: string) {
    super(`"${entry}" is not an IP address or CIDR range (e.g. 200.10.20.30 or 200.10.20.0/24)`);
  }
}

function parseAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  try {
    const address = ipaddr.parse(text.trim().replace(/^\[|\]$/g, ''));
    // ::ffff:10.0.0.1 (an IPv4 client on a dual-stack socket) is matched as 10.0.0.1.
    return address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() ? (address as ipaddr.IPv6).toIPv4Address() : address;
  } catch {
    return undefined;
  }
}

/** Parses "10.0.0.5", "10.0.0.0/24", "2001:db8::/32"; throws AddressListError naming a bad entry. */
export function parseRanges(entries: readonly string[]): Range[] {
  return entries.map((entry) => {
    const text = entry.trim();
    if (text.includes('/')) {
      try {
        return ipaddr.parseCIDR(text) as Range;
      } catch {
        throw new AddressListError(text);
      }
    }
    const address = parseAddress(text);
    if (!address) throw new AddressListError(text);
    return [address, address.kind() === 'ipv4' ? 32 : 128] as Range;
  });
}

function inRanges(address: string, ranges: readonly Range[]): boolean {
  const parsed = parseAddress(address);
  if (!parsed) return false;
  return ranges.some(([base, bits]) => base.kind() === parsed.kind() && parsed.match(base as never, bits));
}

/**
 * The address a request came from: the socket's peer, or — only when that peer is one of the configured proxies — the
 * right-most X-Forwarded-For entry that is not a proxy (entries further left are whatever the client wrote).
 */
export function clientAddress(remote: string, forwardedFor: string | string[] | undefined, trustedProxies: readonly Range[]): string {
  if (!trustedProxies.length || !inRanges(remote, trustedProxies) || !forwardedFor) return remote;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor)
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] as string;
    if (!inRanges(hop, trustedProxies)) return hop;
  }
  return hops[0] ?? remote;
}

/** True when the allowlist is empty (any address) or holds the address. */
export function allowedBy(allowlist: readonly string[], address: string): boolean {
  if (!allowlist.length) return true;
  try {
    return inRanges(address, parseRanges(allowlist));
  } catch {
    return false;
  }
}
