import { assertPublicHost, isPublicAddress, OutboundAddressError } from './outbound-address';

describe('assertPublicHost', () => {
  it('answers a public IP literal without asking DNS', async () => {
    await expect(assertPublicHost('200.147.35.149')).resolves.toEqual(['200.147.35.149']);
  });

  it.each([
    ['127.0.0.1', 'loopback'],
    ['[::1]', 'loopback'],
    ['10.0.0.5', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['localhost', 'loopback'],
  ])('refuses %s (%s), naming the host and how to allow it', async (host, range) => {
    const error = await assertPublicHost(host).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OutboundAddressError);
    expect(error).toMatchObject({ host, range, code: 'OUTBOUND_ADDRESS_FORBIDDEN', permanent: true });
    expect((error as Error).message).toContain('allowPrivateNetwork: true');
  });

  it('lets a DNS failure through as it is', async () => {
    await expect(assertPublicHost('no-such-host.invalid')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it('judges an IPv4-mapped IPv6 address as its IPv4 address', () => {
    expect(isPublicAddress('::ffff:10.0.0.1')).toBe(false);
    expect(isPublicAddress('::ffff:8.8.8.8')).toBe(true);
  });
});
