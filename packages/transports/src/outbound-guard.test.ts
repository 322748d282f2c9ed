import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { allowLoopbackOutbound, parseAddressAllowlist } from '@integrador/connections';
import { request } from 'undici';
import { OutboundAddressError } from './errors';
import {
  addressRange,
  assertAllowedWithoutDns,
  assertPublicAddress,
  createGuardedAgent,
  createOutboundAgents,
  guardedLookup,
  isPublicAddress,
} from './outbound-guard';

describe('isPublicAddress', () => {
  it.each([
    ['8.8.8.8', 'unicast'],
    ['200.147.35.149', 'unicast'],
    ['2001:4860:4860::8888', 'unicast'],
  ])('accepts the public address %s', (address, range) => {
    expect(isPublicAddress(address)).toBe(true);
    expect(addressRange(address)).toBe(range);
  });

  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.0.10', 'private'],
    ['169.254.169.254', 'linkLocal'], // cloud metadata
    ['100.64.0.1', 'carrierGradeNat'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'linkLocal'],
    ['fd00:ec2::254', 'uniqueLocal'], // AWS metadata over IPv6
    ['::ffff:127.0.0.1', 'loopback'], // IPv4-mapped: judged as the IPv4 address
    ['::ffff:10.0.0.1', 'private'],
    ['64:ff9b::a00:1', 'rfc6052'], // NAT64 of 10.0.0.1
  ])('refuses %s (%s)', (address, range) => {
    expect(isPublicAddress(address)).toBe(false);
    expect(addressRange(address)).toBe(range);
    expect(() => assertPublicAddress(address, 'erp.example')).toThrow(OutboundAddressError);
  });

  it('says which host, address and range it refused, and how to allow it', () => {
    expect(() => assertPublicAddress('10.0.0.5', 'erp.interno')).toThrow(
      'refused to connect to erp.interno (resolved to 10.0.0.5): expected a public address, got a private one; set allowPrivateNetwork: true on the connection to allow it',
    );
  });
});

describe('guardedLookup', () => {
  it('refuses a name that resolves to loopback', async () => {
    const error = await new Promise((resolve) => guardedLookup('localhost', {}, (err) => resolve(err)));
    expect(error).toBeInstanceOf(OutboundAddressError);
    expect(error).toMatchObject({ host: 'localhost', range: 'loopback' });
  });
});

describe('createOutboundAgents', () => {
  let server: http.Server;
  let port: number;
  let hits = 0;

  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      hits++;
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  function get(url: string, agent: http.Agent): Promise<string> {
    return new Promise((resolve, reject) => {
      http
        .get(url, { agent }, (res) => {
          let body = '';
          res.on('data', (chunk) => {
            body += chunk;
          });
          res.on('end', () => resolve(body));
        })
        .on('error', reject);
    });
  }

  it('refuses loopback by literal IP and by name before connecting, unless allowPrivateNetwork', async () => {
    const guarded = createOutboundAgents();
    const open = createOutboundAgents({ allowPrivateNetwork: true });
    try {
      for (const host of ['127.0.0.1', 'localhost', '[::ffff:127.0.0.1]']) {
        await expect(get(`http://${host}:${port}/`, guarded.http)).rejects.toBeInstanceOf(OutboundAddressError);
      }
      const tls = new Promise((resolve) => https.get(`https://localhost:${port}/`, { agent: guarded.https }).on('error', resolve));
      await expect(tls).resolves.toBeInstanceOf(OutboundAddressError);
      expect(hits).toBe(0);
      await expect(get(`http://127.0.0.1:${port}/`, open.http)).resolves.toBe('ok');
      await expect(get(`http://localhost:${port}/`, open.http)).resolves.toBe('ok');
      expect(hits).toBe(2);
    } finally {
      guarded.destroy();
      open.destroy();
    }
  });

  it('refuses the same with the undici Agent (SOAP, webhooks), unless allowPrivateNetwork or the allowlist', async () => {
    const guarded = createGuardedAgent();
    const open = createGuardedAgent({ allowPrivateNetwork: true });
    const listed = createGuardedAgent({ allowlist: parseAddressAllowlist(['127.0.0.1/32']) });
    const text = async (url: string, dispatcher: typeof guarded) => (await request(url, { dispatcher })).body.text();
    try {
      const before = hits;
      for (const host of ['127.0.0.1', 'localhost', '[::ffff:127.0.0.1]']) {
        await expect(text(`http://${host}:${port}/`, guarded)).rejects.toBeInstanceOf(OutboundAddressError);
      }
      await expect(text(`https://localhost:${port}/`, guarded)).rejects.toBeInstanceOf(OutboundAddressError);
      expect(hits).toBe(before);
      await expect(text(`http://localhost:${port}/`, open)).resolves.toBe('ok');
      await expect(text(`http://127.0.0.1:${port}/`, listed)).resolves.toBe('ok');
      expect(hits).toBe(before + 2);
    } finally {
      await Promise.all([guarded.close(), open.close(), listed.close()]);
    }
  });

  // The hub's Redis, PostgreSQL, metrics and ingress listen on loopback: allowPrivateNetwork (an ERP on the LAN) does
  // not open it; the operator does (OUTBOUND_ALLOW_LOOPBACK, which the test run sets: closed here) or their allowlist.
  it("with allowPrivateNetwork, loopback stays refused unless the operator opened it (node's agents and undici's)", async () => {
    allowLoopbackOutbound(false);
    const agents = createOutboundAgents({ allowPrivateNetwork: true });
    const open = createGuardedAgent({ allowPrivateNetwork: true });
    const listed = createGuardedAgent({ allowPrivateNetwork: true, allowlist: parseAddressAllowlist(['127.0.0.1/32']) });
    const text = async (url: string, dispatcher: typeof open) => (await request(url, { dispatcher })).body.text();
    try {
      const before = hits;
      for (const host of ['127.0.0.1', 'localhost', '[::ffff:127.0.0.1]', '0.0.0.0']) {
        await expect(get(`http://${host}:${port}/`, agents.http)).rejects.toMatchObject({ code: 'OUTBOUND_ADDRESS_FORBIDDEN' });
        await expect(text(`http://${host}:${port}/`, open)).rejects.toMatchObject({ code: 'OUTBOUND_ADDRESS_FORBIDDEN' });
      }
      const refused = await get(`http://127.0.0.1:${port}/`, agents.http).catch((err: Error) => err);
      expect((refused as Error).message).toContain('OUTBOUND_ALLOW_LOOPBACK=true');
      expect(hits).toBe(before);
      await expect(text(`http://127.0.0.1:${port}/`, listed)).resolves.toBe('ok');
      allowLoopbackOutbound(true);
      await expect(get(`http://127.0.0.1:${port}/`, agents.http)).resolves.toBe('ok');
      expect(hits).toBe(before + 2);
    } finally {
      allowLoopbackOutbound(true);
      agents.destroy();
      await Promise.all([open.close(), listed.close()]);
    }
  });
});

// Red-team round 2 #10: allowPrivateNetwork used plain agents, which reached anything, cloud metadata included (and
// the WSDL imports soap fetches through the same dispatcher). Link-local / metadata addresses are now refused before
// any connection; loopback and the LAN stay reachable with it.
describe('allowPrivateNetwork never reaches link-local or cloud metadata', () => {
  /** Settles within 2 s: a refusal is immediate; without the guard the connect attempt to nowhere would hang. */
  const settled = (attempt: Promise<unknown>) =>
    Promise.race([
      attempt.then(
        () => 'connected',
        (error: unknown) => error,
      ),
      new Promise((resolve) => setTimeout(resolve, 2000, 'no answer')),
    ]);

  it.each(['169.254.169.254', '[fd00:ec2::254]', '[::ffff:169.254.169.254]', '[fe80::1]'])(
    'the undici Agent (SOAP and its WSDL imports, JSON endpoints) refuses http://%s/',
    async (host) => {
      const open = createGuardedAgent({ allowPrivateNetwork: true, connectTimeoutMs: 1000 });
      try {
        const outcome = await settled(request(`http://${host}/latest/meta-data/`, { dispatcher: open }));
        expect(outcome).toBeInstanceOf(OutboundAddressError);
        expect(outcome).toMatchObject({ always: true });
      } finally {
        await open.close();
      }
    },
  );

  it.each(['169.254.169.254', '[fd00:ec2::254]'])(
    'the node agents (REST, PBX click-to-call, JSON endpoints) refuse http://%s/',
    async (host) => {
      const open = createOutboundAgents({ allowPrivateNetwork: true });
      try {
        const attempt = new Promise((resolve, reject) => {
          const req = http.get(`http://${host}/latest/meta-data/`, { agent: open.http, timeout: 1000 }, resolve).on('error', reject);
          req.on('timeout', () => req.destroy(new Error('timeout')));
        });
        const outcome = await settled(attempt);
        expect(outcome).toBeInstanceOf(OutboundAddressError);
        expect(outcome).toMatchObject({ always: true });
      } finally {
        open.destroy();
      }
    },
  );
});

describe('assertAllowedWithoutDns (the check when a URL is saved)', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.0.0.5', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['[::1]', 'loopback'],
    ['[fd00::1]', 'uniqueLocal'],
    ['localhost', 'loopback'],
    ['LOCALHOST.', 'loopback'],
  ])('refuses %s (%s) as the connector would', (host, range) => {
    expect(() => assertAllowedWithoutDns(host)).toThrow(OutboundAddressError);
    try {
      assertAllowedWithoutDns(host);
    } catch (err) {
      expect((err as OutboundAddressError).range).toBe(range);
    }
  });

  it('lets through a public literal, a name (judged after DNS when used) and what the allowlist holds', () => {
    expect(() => assertAllowedWithoutDns('93.184.216.34')).not.toThrow();
    expect(() => assertAllowedWithoutDns('intranet.example.com')).not.toThrow();
    expect(() => assertAllowedWithoutDns('localhost.example.com')).not.toThrow();
    const allowlist = parseAddressAllowlist(['127.0.0.1/32', '10.0.0.0/8']);
    for (const host of ['127.0.0.1', 'localhost', '10.9.8.7']) expect(() => assertAllowedWithoutDns(host, allowlist)).not.toThrow();
    expect(() => assertAllowedWithoutDns('192.168.0.1', allowlist)).toThrow(OutboundAddressError);
  });
});
