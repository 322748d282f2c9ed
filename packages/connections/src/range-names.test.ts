import ipaddr from 'ipaddr.js';
import { addressRangeText, RANGE_NAMES } from './range-names';

// Every range the outbound guard can name (ipaddr.js's, plus ipv4Compatible) is worded in both languages: a pt-BR
// message never shows an identifier such as deprecatedSiteLocal, rfc6145, rfc6052, 6to4 or discard.
describe('outbound-guard range names', () => {
  // ipaddr.js keeps its range table on the prototypes (untyped).
  const specialRanges = (kind: object) => Object.keys((kind as { SpecialRanges: Record<string, unknown> }).SpecialRanges);
  const ranges = [...specialRanges(ipaddr.IPv4.prototype), ...specialRanges(ipaddr.IPv6.prototype), 'ipv4Compatible'].filter(
    (range) => range !== 'unicast',
  );

  it.each(ranges)('%s is worded in pt-BR and English', (range) => {
    expect(RANGE_NAMES[range]?.['pt-BR']).toEqual(expect.any(String));
    expect(RANGE_NAMES[range]?.en).toEqual(expect.any(String));
  });

  it.each([
    ['fec0::1', 'deprecatedSiteLocal', 'site-local do IPv6, obsoleta (fec0::/10)'],
    ['64:ff9b::7f00:1', 'rfc6052', 'NAT64, IPv4 embutido em IPv6 (RFC 6052)'],
    ['2002:7f00:1::1', '6to4', 'túnel 6to4 (2002::/16)'],
    ['100::1', 'discard', 'descarte do IPv6 (100::/64)'],
    ['::ffff:0:7f00:1', 'rfc6145', 'tradução IPv4/IPv6 (RFC 6145)'],
  ])('%s (%s) reads "%s"', (address, range, words) => {
    expect(ipaddr.parse(address).range()).toBe(range);
    expect(addressRangeText('pt-BR', range)).toBe(words);
  });

  it('shows a name it does not know as is', () => {
    expect(addressRangeText('en', 'somethingNew')).toBe('somethingNew');
  });
});
