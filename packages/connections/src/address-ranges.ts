import ipaddr from 'ipaddr.js';

// The pure address-range table: what no connection may reach, the operator's allowlist and the ranges' names. A leaf
// (ipaddr.js and i18n's types only) exported as @integrador/connections/address-ranges, so packages/config checks
// WEBHOOK_ALLOWED_NETWORKS without loading the connections package's barrel.

export { addressRangeText, RANGE_NAMES } from './range-names';

/**
 * What no connection may reach, `allowPrivateNetwork` and the operator's allowlist included, by range name: link-local
 * (169.254.0.0/16, fe80::/10), where clouds serve instance metadata and credentials (169.254.169.254), AWS's IPv6
 * metadata address fd00:ec2::254 (inside fd00::/8, a unique-local range a LAN's ERP may use) and Alibaba Cloud's
 * 100.100.100.200 (inside carrier-grade NAT). No ERP, CRM or PBX lives there. IPv4 link-local carried in IPv6 the ways
 * ipaddr.process does not unwrap (::a.b.c.d, NAT64's 64:ff9b::a.b.c.d) is listed too; ::ffff:a.b.c.d is judged as IPv4.
 */
const ALWAYS_REFUSED: readonly (readonly [ipaddr.IPv4 | ipaddr.IPv6, number, 'linkLocal' | 'cloudMetadata'])[] = (
  [
    ['169.254.0.0/16', 'linkLocal'],
    ['fe80::/10', 'linkLocal'],
    ['::a9fe:0/112', 'linkLocal'], // ::169.254.0.0/112 (ipaddr.js reads that spelling as IPv4-mapped)
    ['64:ff9b::a9fe:0/112', 'linkLocal'],
    ['fd00:ec2::254/128', 'cloudMetadata'],
    ['100.100.100.200/32', 'cloudMetadata'],
  ] as const
).map(([cidr, name]) => [...ipaddr.parseCIDR(cidr), name] as const);

/** The range of an address no connection may reach, `allowPrivateNetwork` included (ALWAYS_REFUSED), or undefined. */
export function alwaysRefusedRange(address: string): string | undefined {
  const parsed = ipaddr.process(address.replace(/^\[|\]$/g, ''));
  return ALWAYS_REFUSED.find(([range, bits]) => range.kind() === parsed.kind() && parsed.match(range, bits))?.[2];
}

/** Whether a range name (OutboundAddressError's `range`) is one of the always-refused ones: no allowlist entry opens it. */
export function isAlwaysRefusedRangeName(range: string): boolean {
  return ALWAYS_REFUSED.some(([, , name]) => name === range);
}

/** An operator's allowlist: CIDR ranges where a non-public address may still be reached (e.g. 127.0.0.1/32). */
export type AddressAllowlist = readonly (readonly [ipaddr.IPv4 | ipaddr.IPv6, number])[];

/**
 * The always-refused range (ALWAYS_REFUSED) an operator's allowlist entry lies within, or undefined: such an entry
 * (169.254.0.0/16, fe80::1, 100.100.100.200) opens nothing — every address it names stays refused — so the
 * configuration refuses it rather than let the operator believe it does. A wider entry (0.0.0.0/0, 100.64.0.0/10)
 * is kept: it opens its other addresses, the always-refused ones in it staying refused (assertPublicAddress).
 */
export function alwaysRefusedEntry(entry: AddressAllowlist[number]): string | undefined {
  const [network, bits] = entry;
  const within = ([range, rangeBits]: (typeof ALWAYS_REFUSED)[number]) =>
    range.kind() === network.kind() && bits >= rangeBits && network.match(range, rangeBits);
  return ALWAYS_REFUSED.find(within)?.[2];
}

/**
 * An allowlist entry as the guard matches it: an IPv4-mapped one (::ffff:10.0.0.0/104) as its IPv4 range
 * (10.0.0.0/8), since addresses are judged unwrapped (::ffff:a.b.c.d as IPv4) and an IPv6 entry would match none.
 */
function unwrapped(address: ipaddr.IPv4 | ipaddr.IPv6, bits: number): readonly [ipaddr.IPv4 | ipaddr.IPv6, number] {
  if (address.kind() === 'ipv6' && bits >= 96 && (address as ipaddr.IPv6).isIPv4MappedAddress())
    return [(address as ipaddr.IPv6).toIPv4Address(), bits - 96];
  return [address, bits];
}

/**
 * Parses CIDR ranges or single addresses (`10.1.2.0/24`, `127.0.0.1`, `::1`; IPv4-mapped ones read as IPv4); throws
 * naming the first bad entry.
 */
export function parseAddressAllowlist(entries: readonly string[]): AddressAllowlist {
  return entries.map((entry) => {
    const text = entry.trim();
    let parsed: [ipaddr.IPv4 | ipaddr.IPv6, number];
    try {
      if (text.includes('/')) parsed = ipaddr.parseCIDR(text);
      else {
        const address = ipaddr.parse(text);
        parsed = [address, address.kind() === 'ipv4' ? 32 : 128];
      }
    } catch {
      throw new Error(`not an IP address or CIDR range: "${text}" (expected e.g. 10.1.2.0/24 or 127.0.0.1)`);
    }
    return unwrapped(...parsed);
  });
}
