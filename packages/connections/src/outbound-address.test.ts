import { alwaysRefusedEntry, alwaysRefusedRange, parseAddressAllowlist } from './address-ranges';
import type { DatabaseConnection } from './connection';
import { assertPublicDatabase } from './database-hosts';
import {
  allowLoopbackOutbound,
  assertAllowedAddress,
  assertPublicAddress,
  assertPublicHost,
  isPublicAddress,
  OutboundAddressError,
} from './outbound-address';

describe('assertPublicHost', () => {
  it('answers a public IP literal without asking DNS', async () => {
    await expect(assertPublicHost('200.147.35.149')).resolves.toEqual(['200.147.35.149']);
  });

  it.each([
    ['127.0.0.1', 'loopback'],
    ['[::1]', 'loopback'],
    ['10.0.0.5', 'private'],
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

// Red-team round 2 #10: allowPrivateNetwork turned every address check off, cloud metadata included. Link-local
// addresses (169.254.169.254 serves a cloud machine's credentials) and AWS's fd00:ec2::254 are now never reached.
describe('link-local and cloud metadata addresses, refused whatever the connection allows', () => {
  const metadata = [
    ['169.254.169.254', 'linkLocal'],
    ['169.254.0.1', 'linkLocal'],
    ['fe80::1', 'linkLocal'],
    ['[fe80::a9fe:a9fe]', 'linkLocal'],
    ['fd00:ec2::254', 'cloudMetadata'],
    ['::ffff:169.254.169.254', 'linkLocal'],
    ['::a9fe:a9fe', 'linkLocal'], // IPv4-compatible ::169.254.169.254
    ['64:ff9b::a9fe:a9fe', 'linkLocal'], // NAT64 of 169.254.169.254
    ['100.100.100.200', 'cloudMetadata'], // Alibaba Cloud's, inside carrier-grade NAT
  ] as const;

  it.each(metadata)('refuses %s (%s) with allowPrivateNetwork, saying nothing allows it', (address, range) => {
    expect(alwaysRefusedRange(address)).toBe(range);
    const error = (() => {
      try {
        assertAllowedAddress(address, 'erp.example', { allowPrivateNetwork: true });
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(OutboundAddressError);
    expect(error).toMatchObject({ range, always: true, code: 'OUTBOUND_ADDRESS_FORBIDDEN' });
    expect((error as Error).message).toContain('is never reached, allowPrivateNetwork included');
  });

  it.each(metadata)('without allowPrivateNetwork %s is named %s too (the webhook path)', (address, range) => {
    for (const check of [() => assertAllowedAddress(address, 'hook.example'), () => assertPublicAddress(address, 'hook.example')]) {
      expect(refusal(check)).toMatchObject({ range, always: true, params: { host: 'hook.example', range } });
    }
  });

  it('without allowPrivateNetwork the refusal does not advise setting it', () => {
    expect(() => assertAllowedAddress('169.254.169.254', 'erp.example')).toThrow(
      'refused to connect to erp.example (resolved to 169.254.169.254): a link-local address (where clouds serve instance metadata and credentials) is never reached, allowPrivateNetwork included',
    );
  });

  it.each(['127.0.0.1', '::1', '10.0.0.5', '192.168.1.20', 'fd00::10', '100.64.0.1'])(
    'still lets allowPrivateNetwork reach %s (loopback doubles, an ERP on the LAN)',
    (address) => {
      expect(alwaysRefusedRange(address)).toBeUndefined();
      expect(() => assertAllowedAddress(address, address, { allowPrivateNetwork: true })).not.toThrow();
      expect(() => assertAllowedAddress(address)).toThrow(OutboundAddressError);
    },
  );

  const refusal = (check: () => void) => {
    try {
      check();
    } catch (caught) {
      return caught;
    }
    return undefined;
  };

  it.each(metadata)("the operator's allowlist does not open %s (%s) either, however wide", (address, range) => {
    for (const entry of ['0.0.0.0/0', '::/0', '169.254.0.0/16', '100.64.0.0/10', 'fe80::/10', 'fd00::/8', '::/96', '64:ff9b::/96']) {
      const error = refusal(() => assertAllowedAddress(address, 'hook.example', { allowlist: parseAddressAllowlist([entry]) }));
      expect(error).toBeInstanceOf(OutboundAddressError);
      // Named by the always-refused range (the message and the job's reason), not the wider one it lies in.
      expect(error).toMatchObject({ range, always: true, params: { host: 'hook.example', range } });
    }
    // What such a wide entry opens beside it.
    expect(() => assertAllowedAddress('100.64.0.1', 'hook.example', { allowlist: parseAddressAllowlist(['100.64.0.0/10']) })).not.toThrow();
  });

  it.each([
    ['169.254.0.0/16', 'linkLocal'],
    ['169.254.169.254', 'linkLocal'],
    ['fe80::/64', 'linkLocal'],
    ['::a9fe:0/112', 'linkLocal'],
    ['fd00:ec2::254', 'cloudMetadata'],
    ['100.100.100.200/32', 'cloudMetadata'],
    ['::ffff:169.254.169.254', 'linkLocal'], // IPv4-mapped entries are read as IPv4, as the addresses are judged
    ['::ffff:a9fe:0/112', 'linkLocal'],
    ['::ffff:100.100.100.200', 'cloudMetadata'],
    ['10.1.2.0/24', undefined],
    ['0.0.0.0/0', undefined],
    ['100.64.0.0/10', undefined],
    ['169.254.0.0/15', undefined],
  ])('an allowlist entry %s lies within an always-refused range: %s', (entry, range) => {
    const [parsed] = parseAddressAllowlist([entry]);
    expect(parsed && alwaysRefusedEntry(parsed)).toBe(range);
  });

  it('an IPv4-mapped allowlist entry opens its IPv4 addresses, mapped or not', () => {
    const allowlist = parseAddressAllowlist(['::ffff:10.1.2.0/120']);
    expect(allowlist[0]?.[0].kind()).toBe('ipv4');
    expect(allowlist[0]?.[1]).toBe(24);
    for (const address of ['10.1.2.3', '::ffff:10.1.2.3'])
      expect(() => assertAllowedAddress(address, 'hook.example', { allowlist })).not.toThrow();
    expect(() => assertAllowedAddress('10.1.3.1', 'hook.example', { allowlist })).toThrow(OutboundAddressError);
  });

  const database = (host: string, url?: string) =>
    ({
      driver: 'postgres',
      host,
      ...(url ? { url: { reveal: () => url } } : {}),
      allowPrivateNetwork: true,
      options: {},
    }) as unknown as DatabaseConnection;

  it('a database connection with allowPrivateNetwork is refused on a metadata host, by literal or in its URL', async () => {
    await expect(assertPublicDatabase(database('169.254.169.254'))).rejects.toMatchObject({ range: 'linkLocal', always: true });
    await expect(assertPublicDatabase(database('', 'postgres://u@db.example:5432/x?host=169.254.169.254'))).rejects.toMatchObject({
      range: 'linkLocal',
      always: true,
    });
    await expect(assertPublicDatabase(database('[fd00:ec2::254]'))).rejects.toMatchObject({ range: 'cloudMetadata' });
  });

  it('a database connection with allowPrivateNetwork still reaches loopback, the LAN and the local default', async () => {
    for (const host of ['127.0.0.1', 'localhost', '10.1.2.3', '', '/var/run/postgresql']) {
      await expect(assertPublicDatabase(database(host))).resolves.toBeUndefined();
    }
  });

  // Review rev5 #1: a name DNS does not know may be the driver's own (an Oracle TNS alias, a FreeTDS servername, an
  // Informix server): left to the driver, not failed for good here.
  it('a database connection with allowPrivateNetwork leaves a name DNS does not know to the driver', async () => {
    await expect(assertPublicDatabase(database('no-such-host.invalid'))).resolves.toBeUndefined();
    await expect(assertPublicDatabase(database('', 'mysql://root@no-such-host.invalid:3306/x'))).resolves.toBeUndefined();
  });

  // Review rev2 #1: pg and mysql2 decode a URL's host; the guard read it encoded, did not resolve it and let it pass.
  it.each([
    ['postgres', 'postgres://u@169%2E254%2E169%2E254:5432/x'],
    ['postgres', 'postgres://u@200.147.35.149:5432/x?host=169%2E254%2E169%2E254'],
    ['mysql', 'mysql://root@169%2E254%2E169%2E254:3306/x'],
    ['mysql', 'mariadb://root@169%2E254%2E169%2E254/x'],
    ['mssql', 'mssql://sa@169%2E254%2E169%2E254:1433/x'],
  ])('a %s URL with a percent-encoded metadata host (%s) is refused, allowPrivateNetwork included', async (driver, url) => {
    const connection = { ...database('', url), driver } as DatabaseConnection;
    await expect(assertPublicDatabase(connection)).rejects.toMatchObject({ range: 'linkLocal', always: true, host: '169.254.169.254' });
    await expect(assertPublicDatabase({ ...connection, allowPrivateNetwork: false })).rejects.toMatchObject({ range: 'linkLocal' });
  });
});

/**
 * allowPrivateNetwork opens the LAN (RFC 1918, unique-local), not the hub's own machine: loopback, 0.0.0.0 / ::, a
 * database's default host or socket are reached only when the operator opens them (OUTBOUND_ALLOW_LOOPBACK, which the
 * test run sets: closed here) or lists them in the allowlist.
 */
describe("allowPrivateNetwork and the hub's own machine", () => {
  beforeEach(() => allowLoopbackOutbound(false));
  afterEach(() => allowLoopbackOutbound(true));
  const lan = { allowPrivateNetwork: true };

  it.each(['127.0.0.1', '127.8.9.10', '::1', '0.0.0.0', '::', '::ffff:127.0.0.1', '::7f00:1'])(
    'refuses %s with allowPrivateNetwork, naming loopback and who may open it',
    (address) => {
      let refused: unknown;
      try {
        assertAllowedAddress(address, 'erp.interno', lan);
      } catch (err) {
        refused = err;
      }
      expect(refused).toBeInstanceOf(OutboundAddressError);
      expect((refused as OutboundAddressError).always).toBe(false);
      expect((refused as Error).message).toMatch(
        /is the hub's own machine .*, reached only with allowPrivateNetwork: true on the connection and the operator's OUTBOUND_ALLOW_LOOPBACK=true$/,
      );
    },
  );

  it('still reaches the LAN (RFC 1918, unique-local, CGNAT) with allowPrivateNetwork', () => {
    for (const address of ['10.0.0.5', '172.16.3.4', '192.168.1.10', 'fd12:3456::1', '100.64.0.1']) {
      expect(() => assertAllowedAddress(address, address, lan)).not.toThrow();
    }
  });

  it("opens loopback by the operator's choice or allowlist, never link-local", () => {
    expect(() =>
      assertAllowedAddress('127.0.0.1', '127.0.0.1', { ...lan, allowlist: parseAddressAllowlist(['127.0.0.1/32']) }),
    ).not.toThrow();
    allowLoopbackOutbound(true);
    expect(() => assertAllowedAddress('::1', '::1', lan)).not.toThrow();
    expect(() => assertAllowedAddress('169.254.169.254', '169.254.169.254', lan)).toThrow(OutboundAddressError);
  });

  it('a database connection with allowPrivateNetwork is refused on loopback, its default host and a socket; the LAN stays', async () => {
    const database = (host: string) =>
      ({
        tipo: 'database',
        driver: 'postgres',
        host,
        port: 5432,
        database: 'x',
        user: 'u',
        allowPrivateNetwork: true,
        options: {},
      }) as unknown as DatabaseConnection;
    for (const host of ['127.0.0.1', 'localhost', '', '/var/run/postgresql', '[::1]']) {
      await expect(assertPublicDatabase(database(host))).rejects.toMatchObject({ code: 'OUTBOUND_ADDRESS_FORBIDDEN', range: 'loopback' });
    }
    await expect(assertPublicDatabase(database('10.1.2.3'))).resolves.toBeUndefined();
  });

  // Review rev2 #1: `postgres://u@127%2E0%2E0%2E1:5432/db` passed the guard and pg connected to 127.0.0.1.
  it.each([
    ['postgres', 'postgres://postgres@127%2E0%2E0%2E1:5432/postgres', '127.0.0.1'],
    ['postgres', 'postgres://postgres@%2Fvar%2Frun%2Fpostgresql/postgres', '/var/run/postgresql'],
    ['postgres', 'postgres://postgres@localhost%2E:5432/postgres', 'localhost.'],
    ['postgres', 'postgres://postgres@10.1.2.3:5432/postgres?host=%2Ftmp', '/tmp'],
    ['postgres', 'postgres://postgres@%5B%3A%3A1%5D:5432/postgres', '[::1]'],
    ['mysql', 'mysql://root@127%2E0%2E0%2E1:3306/mysql', '127.0.0.1'],
    ['mysql', 'mariadb://root@127%2E0%2E0%2E1/mysql', '127.0.0.1'],
    ['mysql', 'mysql://root@10.1.2.3:3306/mysql?socketPath=%22%2Ftmp%2Fmysql.sock%22', '/tmp/mysql.sock'],
  ])('a %s URL reaching loopback in encoded form (%s) is refused with allowPrivateNetwork', async (driver, url, host) => {
    const connection = { driver, url: { reveal: () => url }, allowPrivateNetwork: true, options: {} } as unknown as DatabaseConnection;
    const refused = await assertPublicDatabase(connection).catch((caught: unknown) => caught);
    expect(refused).toBeInstanceOf(OutboundAddressError);
    expect(refused).toMatchObject({ code: 'OUTBOUND_ADDRESS_FORBIDDEN', range: 'loopback' });
    expect([host, host.replace(/^\[|\]$/g, '')]).toContain((refused as OutboundAddressError).host);
    allowLoopbackOutbound(true);
    await expect(assertPublicDatabase(connection)).resolves.toBeUndefined();
  });
});
