import type { Locale } from '@integrador/i18n';

// The outbound guard names a refused address by its range (OutboundAddressError's `range`, ipaddr.js's names such as
// carrierGradeNat or rfc6052): every message that tells a user about a refusal words it here, in the reader's language.

/** The address ranges (every ipaddr.js name, OutboundAddressError's `range`) as a reader says them; others shown as is. */
export const RANGE_NAMES: Readonly<Record<string, Record<Locale, string>>> = {
  loopback: { 'pt-BR': 'loopback, a própria máquina', en: 'loopback' },
  private: { 'pt-BR': 'privada', en: 'private' },
  linkLocal: { 'pt-BR': 'link-local', en: 'link-local' },
  // Not an ipaddr.js name: alwaysRefusedRange's for a cloud's metadata address outside link-local (fd00:ec2::254).
  cloudMetadata: { 'pt-BR': 'metadados de nuvem', en: 'cloud metadata' },
  uniqueLocal: { 'pt-BR': 'local única (IPv6)', en: 'unique local (IPv6)' },
  carrierGradeNat: { 'pt-BR': 'NAT da operadora', en: 'carrier-grade NAT' },
  unspecified: { 'pt-BR': 'endereço não especificado', en: 'unspecified address' },
  broadcast: { 'pt-BR': 'broadcast', en: 'broadcast' },
  multicast: { 'pt-BR': 'multicast', en: 'multicast' },
  reserved: { 'pt-BR': 'reservada', en: 'reserved' },
  ipv4Compatible: { 'pt-BR': 'IPv6 compatível com IPv4', en: 'IPv4-compatible IPv6' },
  ipv4Mapped: { 'pt-BR': 'IPv6 mapeado em IPv4', en: 'IPv4-mapped IPv6' },
  deprecatedSiteLocal: { 'pt-BR': 'site-local do IPv6, obsoleta (fec0::/10)', en: 'deprecated IPv6 site-local (fec0::/10)' },
  discard: { 'pt-BR': 'descarte do IPv6 (100::/64)', en: 'IPv6 discard-only (100::/64)' },
  rfc6145: { 'pt-BR': 'tradução IPv4/IPv6 (RFC 6145)', en: 'IPv4/IPv6 translation (RFC 6145)' },
  rfc6052: { 'pt-BR': 'NAT64, IPv4 embutido em IPv6 (RFC 6052)', en: 'NAT64, IPv4 embedded in IPv6 (RFC 6052)' },
  '6to4': { 'pt-BR': 'túnel 6to4 (2002::/16)', en: '6to4 tunnel (2002::/16)' },
  teredo: { 'pt-BR': 'túnel Teredo (2001::/32)', en: 'Teredo tunnel (2001::/32)' },
  benchmarking: { 'pt-BR': 'testes de desempenho (2001:2::/48)', en: 'benchmarking (2001:2::/48)' },
  amt: { 'pt-BR': 'túnel multicast AMT', en: 'AMT multicast tunnel' },
  as112: { 'pt-BR': 'DNS reverso local AS112', en: 'AS112 local reverse DNS' },
  as112v6: { 'pt-BR': 'DNS reverso local AS112 (IPv6)', en: 'AS112 local reverse DNS (IPv6)' },
  deprecatedOrchid: { 'pt-BR': 'ORCHID, obsoleta', en: 'deprecated ORCHID' },
  orchid2: { 'pt-BR': 'identificadores ORCHIDv2', en: 'ORCHIDv2 identifiers' },
  droneRemoteIdProtocolEntityTags: { 'pt-BR': 'identificação remota de drones (DRIP)', en: 'drone remote ID tags (DRIP)' },
  segmentRouting: { 'pt-BR': 'roteamento por segmentos (SRv6)', en: 'segment routing (SRv6)' },
};

/** An address range (OutboundAddressError's `range`) as a reader says it; a name this table lacks is shown as is. */
export function addressRangeText(locale: Locale, range: string): string {
  return RANGE_NAMES[range]?.[locale] ?? range;
}
