import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseAddressAllowlist } from '@integrador/connections';
import { createWebhookHttpClient } from './http-client';

// The SSRF guard at connect time, after DNS: private, loopback, link-local, IPv6 loopback, IPv4-mapped IPv6 and a
// name that resolves to loopback are refused unless the operator's allowlist holds their range.
describe('webhook HTTP client: outbound guard', () => {
  let server: http.Server;
  let port: number;

  beforeAll(async () => {
    server = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '::', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const send = async (url: string, allowlist: string[] = []) => {
    const client = createWebhookHttpClient({ connectTimeoutMs: 1000, timeoutMs: 1000, allowlist: parseAddressAllowlist(allowlist) });
    try {
      return await client.send(url, {}, '[]');
    } finally {
      await client.close();
    }
  };

  it.each([
    ['10.1.2.3', 'http://10.1.2.3/hook'],
    ['169.254.169.254 (cloud metadata)', 'http://169.254.169.254/latest/meta-data'],
    ['::1', 'http://[::1]:PORT/hook'],
    ['::ffff:127.0.0.1', 'http://[::ffff:127.0.0.1]:PORT/hook'],
    ['100.64.0.1 (CGNAT)', 'http://100.64.0.1/hook'],
    ['a name resolving to loopback', 'http://localhost:PORT/hook'],
  ])('refuses %s', async (_label, url) => {
    const result = await send(url.replace('PORT', String(port)));
    expect(result).toMatchObject({ ok: false, errorClass: 'address_forbidden', status: null });
  });

  it('reaches loopback when the allowlist holds it, and only what it holds', async () => {
    expect(await send(`http://[::1]:${port}/hook`, ['::1'])).toMatchObject({ ok: true, status: 200 });
    expect(await send(`http://[::ffff:127.0.0.1]:${port}/hook`, ['127.0.0.0/8'])).toMatchObject({ ok: true, status: 200 });
    expect(await send(`http://localhost:${port}/hook`, ['127.0.0.1/32', '::1'])).toMatchObject({ ok: true, status: 200 });
    expect(await send(`http://10.1.2.3:${port}/hook`, ['127.0.0.1/32'])).toMatchObject({ errorClass: 'address_forbidden' });
  });
});

describe('webhook HTTP client: failures it cannot word', () => {
  it('turns a rejection that is not an Error into a failed result, never a throw, and names no query value', async () => {
    const client = createWebhookHttpClient({ connectTimeoutMs: 1000, timeoutMs: 1000, allowlist: parseAddressAllowlist(['127.0.0.0/8']) });
    // A header value read from a getter that throws a string: undici never sees the request.
    const headers = Object.defineProperty({}, 'x-assinatura', {
      enumerable: true,
      get() {
        throw 'signature unavailable for http://127.0.0.1:9/hook?token=S3CRET';
      },
    }) as Record<string, string>;
    try {
      const result = await client.send('http://127.0.0.1:9/hook?token=S3CRET', headers, '[]');
      expect(result).toMatchObject({ ok: false, status: null, error: expect.stringContaining('http://127.0.0.1:9/hook?token=***') });
      expect(result.error).not.toContain('S3CRET');
    } finally {
      await client.close();
    }
  });
});

describe('webhook HTTP client: the whole attempt is bounded', () => {
  let server: http.Server;
  let port: number;

  beforeAll(async () => {
    // Headers at once, then one byte of body every 50 ms for 3 s: neither undici's headers nor its body timeout (each
    // 400 ms, between chunks) ever fires; only the attempt's whole-time limit can end it.
    server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      let sent = 0;
      const drip = setInterval(() => {
        if (++sent >= 60 || res.destroyed) {
          clearInterval(drip);
          res.end();
        } else res.write('.');
      }, 50);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('ends an answer that trickles in past timeoutMs as a timeout, after about timeoutMs', async () => {
    const client = createWebhookHttpClient({ connectTimeoutMs: 1000, timeoutMs: 400, allowlist: parseAddressAllowlist(['127.0.0.0/8']) });
    try {
      const started = performance.now();
      const result = await client.send(`http://127.0.0.1:${port}/hook`, {}, '[]');
      const took = performance.now() - started;
      expect(result).toMatchObject({ ok: false, status: null, errorClass: 'timeout', error: expect.stringMatching(/^TimeoutError: /) });
      expect(took).toBeGreaterThanOrEqual(390);
      expect(took).toBeLessThan(2500);
      // A fast answer on the same client is not cut by an earlier attempt's limit, and leaves none running.
      const quick = http.createServer((_req, res) => res.end('ok'));
      await new Promise<void>((resolve) => quick.listen(0, '127.0.0.1', resolve));
      try {
        const ok = await client.send(`http://127.0.0.1:${(quick.address() as AddressInfo).port}/hook`, {}, '[]');
        expect(ok).toMatchObject({ ok: true, status: 200, body: 'ok' });
      } finally {
        quick.closeAllConnections();
        await new Promise((resolve) => quick.close(resolve));
      }
    } finally {
      await client.close();
    }
  });
});
