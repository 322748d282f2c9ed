import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import dns from 'node:dns/promises';
import net from 'node:net';
import ipaddr from 'ipaddr.js';
import { type AddressAllowlist, addressRangeText, alwaysRefusedRange } from './address-ranges';

// The hosts come from the tenant's connections file: without this check an integration could make a worker reach its
// cloud's metadata service, the hub's own Redis or anything else on the private network. The pure address check lives
// here, below both the HTTP transports and the database readers, so both judge an address the same way.

/**
 * The host resolves to a loopback, private, link-local, unique-local or otherwise non-public address and the connection
 * does not set `allowPrivateNetwork`; or to a link-local / cloud metadata address (`always`), which nothing allows.
 * Permanent: the same address would be refused again.
 */
export class OutboundAddressError extends Error {
  override name = 'OutboundAddressError';
  readonly code = 'OUTBOUND_ADDRESS_FORBIDDEN';
  readonly permanent = true;
  /**
   * The values a failure's reason is worded with in the reader's language (the job recorder keeps them): the host and
   * the range's name, worded by addressRangeText — never parsed back from the (English) message.
   */
  readonly params: { host: string; range: string };

  constructor(
    readonly host: string,
    readonly address: string,
    readonly range: string,
    readonly always = false,
  ) {
    const resolved = host === address ? '' : ` (resolved to ${address})`;
    const words = addressRangeText('en', range);
    super(
      always
        ? `refused to connect to ${host}${resolved}: a ${words} address (where clouds serve instance metadata and credentials) is never reached, allowPrivateNetwork included`
        : LOOPBACK_RANGES.has(range)
          ? `refused to connect to ${host}${resolved}: a ${words} address is the hub's own machine (what listens on it alone: a local Redis or PostgreSQL, metrics, the ingress), reached only with allowPrivateNetwork: true on the connection and the operator's OUTBOUND_ALLOW_LOOPBACK=true`
          : `refused to connect to ${host}${resolved}: expected a public address, got a ${words} one; set allowPrivateNetwork: true on the connection to allow it`,
    );
    this.params = { host, range };
  }
}

/**
 * The ipaddr.js range of an IP address; IPv4-mapped IPv6 addresses (::ffff:10.0.0.1) are judged as the IPv4 address.
 * ipaddr.js calls the deprecated IPv4-compatible block ::/96 (::7f00:1, i.e. ::127.0.0.1) unicast; no public host has
 * such an address and a host with an automatic tunnel would route it to the IPv4 address, so it is 'ipv4Compatible'.
 */
export function addressRange(address: string): string {
  const parsed = ipaddr.process(address.replace(/^\[|\]$/g, ''));
  const range = parsed.range();
  if (
    range === 'unicast' &&
    parsed.kind() === 'ipv6' &&
    parsed
      .toByteArray()
      .slice(0, 12)
      .every((byte) => byte === 0)
  )
    return 'ipv4Compatible';
  return range;
}

/** True for a public unicast address; loopback, private, link-local, unique-local, CGNAT, multicast, reserved… are not. */
export function isPublicAddress(address: string): boolean {
  return addressRange(address) === 'unicast';
}

/** True when the address lies in one of the allowlist's ranges (IPv4-mapped IPv6 judged as IPv4). */
export function inAllowlist(address: string, allowlist: AddressAllowlist): boolean {
  const parsed = ipaddr.process(address.replace(/^\[|\]$/g, ''));
  return allowlist.some(([range, bits]) => range.kind() === parsed.kind() && parsed.match([range, bits] as [typeof range, number]));
}

/**
 * Throws OutboundAddressError unless `address` (an IP literal) is public or in the operator's `allowlist` (and not
 * always refused, alwaysRefusedRange); `host` is the name it came from, for the message.
 */
export function assertPublicAddress(address: string, host: string = address, allowlist: AddressAllowlist = []): void {
  // Named by the always-refused range (cloudMetadata, not the carrierGradeNat 100.100.100.200 lies in), as with
  // allowPrivateNetwork. The allowlist opens the LAN, never these (a wide entry such as 0.0.0.0/0 holds them too).
  const always = alwaysRefusedRange(address);
  if (always) throw new OutboundAddressError(host, address, always, true);
  const range = addressRange(address);
  if (range === 'unicast') return;
  if (allowlist.length && inAllowlist(address, allowlist)) return;
  throw new OutboundAddressError(host, address, range);
}

/**
 * The ranges that reach the hub's own machine (127.0.0.0/8, ::1; 0.0.0.0 and :: connect to it too; ::127.0.0.1, the
 * IPv4-compatible spelling, may be routed to it): its Redis, PostgreSQL, metrics and ingress listen there. A tenant's
 * ERP or PBX on the LAN never does, so `allowPrivateNetwork` does not open them (allowLoopbackOutbound).
 */
const LOOPBACK_RANGES: ReadonlySet<string> = new Set(['loopback', 'unspecified', 'ipv4Compatible']);

/** Whether a range (OutboundAddressError's `range`) is the hub's own machine, which allowPrivateNetwork alone does not open. */
export function isLoopbackRange(range: string): boolean {
  return LOOPBACK_RANGES.has(range);
}

/**
 * The operator's choice (OUTBOUND_ALLOW_LOOPBACK), set once at a process's start: whether `allowPrivateNetwork` opens
 * loopback too (a single-host demo or trial whose ERP, PBX or test double runs beside the hub). Off by default.
 */
let loopbackOpened = false;

/** Sets the operator's choice (OUTBOUND_ALLOW_LOOPBACK): called at start from the validated configuration. */
export function allowLoopbackOutbound(allowed: boolean): void {
  loopbackOpened = allowed;
}

/** Whether the operator opened loopback to connections with `allowPrivateNetwork` (allowLoopbackOutbound). */
export function loopbackOutboundAllowed(): boolean {
  return loopbackOpened;
}

/** Where a connection may go: `allowPrivateNetwork` (an ERP on the LAN; loopback only by the operator's choice), an operator's allowlist. */
export interface AddressPolicy {
  allowPrivateNetwork?: boolean;
  allowlist?: AddressAllowlist;
}

/**
 * Throws OutboundAddressError unless the connection may reach `address`: a public one, one in the allowlist, any but
 * link-local / cloud metadata with `allowPrivateNetwork` (alwaysRefusedRange) — loopback then only when the operator
 * opened it (allowLoopbackOutbound) or lists it.
 */
export function assertAllowedAddress(address: string, host: string = address, policy: AddressPolicy = {}): void {
  const allowlist = policy.allowlist ?? [];
  if (!policy.allowPrivateNetwork) {
    assertPublicAddress(address, host, allowlist);
    return;
  }
  const always = alwaysRefusedRange(address);
  if (always) throw new OutboundAddressError(host, address, always, true);
  const range = addressRange(address);
  if (LOOPBACK_RANGES.has(range) && !loopbackOpened && !(allowlist.length && inAllowlist(address, allowlist)))
    throw new OutboundAddressError(host, address, range);
}

/**
 * The name to resolve: a fully qualified name's trailing dot ("localhost.") dropped. It is the same name, but some
 * resolvers answer it and /etc/hosts does not: the guard must see the addresses a driver or a resolver may reach.
 */
export function lookupName(host: string): string {
  return host.length > 1 ? host.replace(/\.$/, '') : host;
}

/**
 * Resolves `host` (a name or an IP literal) and throws OutboundAddressError when any of its addresses is not public;
 * answers the addresses. DNS errors (ENOTFOUND…) propagate as they are.
 */
export async function assertPublicHost(host: string): Promise<string[]> {
  const bare = lookupName(host.replace(/^\[|\]$/g, ''));
  const addresses = net.isIP(bare) !== 0 ? [bare] : (await dns.lookup(bare, { all: true })).map((entry) => entry.address);
  for (const address of addresses) assertPublicAddress(address, host);
  return addresses;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A dns.lookup that fails with OutboundAddressError when any address the name resolves to is neither public nor in the
 * operator's allowlist; with `allowPrivateNetwork`, only when one is link-local / cloud metadata (never reachable) or
 * loopback while the operator keeps it closed. Given to a socket, it judges the addresses the socket connects to.
 */
export function createGuardedLookup(allowlist: AddressAllowlist = [], allowPrivateNetwork = false) {
  const policy: AddressPolicy = { allowlist, allowPrivateNetwork };
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    dnsLookup(lookupName(hostname), { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      try {
        for (const { address } of addresses) assertAllowedAddress(address, hostname, policy);
      } catch (refused) {
        return callback(refused as OutboundAddressError, []);
      }
      const first = addresses[0];
      if (options.all || first === undefined) return callback(null, addresses);
      callback(null, first.address, first.family);
    });
  };
}
