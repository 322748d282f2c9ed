import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { createSoapDispatcher, SoapHttpError, type SoapHttpOptions, soapHttpRequest } from './soap-http';

// soap's request function against a real loopback HTTP server: what axios did for soap and soap-transport.ts relies on,
// through the transport's own dispatcher (a 1000-byte limit here instead of 16 MiB).
describe('soapHttpRequest', () => {
  let server: http.Server;
  let base: string;
  const received: { method?: string; url?: string; body: string; headers: http.IncomingHttpHeaders }[] = [];
  const dispatcher = createSoapDispatcher({ allowPrivateNetwork: true, maxResponseBytes: 1000 });
  /** What the transport adds to every request: its dispatcher and the size limit once decoded. */
  const via = { dispatcher, maxResponseBytes: 1000 };

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        received.push({ method: req.method, url: req.url, body, headers: req.headers });
        if (req.url === '/gzip') {
          res.writeHead(200, { 'content-encoding': 'gzip', 'content-type': 'text/xml' }).end(zlib.gzipSync('<ok>comprimido ç</ok>'));
        } else if (req.url === '/br') {
          res.writeHead(200, { 'content-encoding': 'br' }).end(zlib.brotliCompressSync('<ok>brotli</ok>'));
        } else if (req.url === '/odd-coding') {
          res.writeHead(200, { 'content-encoding': 'zstd' }).end('????');
        } else if (req.url === '/gzip-fault') {
          res.writeHead(500, { 'content-encoding': 'gzip', 'content-type': 'text/xml' }).end(zlib.gzipSync('<fault>gz</fault>'));
        } else if (req.url === '/gzip-bomb') {
          res.writeHead(200, { 'content-encoding': 'gzip' }).end(zlib.gzipSync('x'.repeat(100_000)));
        } else if (req.url === '/redirect') {
          res.writeHead(302, { location: 'http://example.invalid/elsewhere' }).end('moved');
        } else if (req.url === '/big') {
          res.writeHead(200).end('x'.repeat(10_000));
        } else if (req.url === '/cut') {
          res.writeHead(200, { 'content-length': '1000' }).write('partial');
          setTimeout(() => res.socket?.destroy(), 20);
        } else if (req.url === '/silent') {
          // never answers
        } else {
          res.writeHead(500, { 'content-type': 'text/xml', 'retry-after': '7' }).end(`<fault>${body}</fault>`);
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await dispatcher.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('posts the body with its headers and resolves with any status, its headers and the text', async () => {
    const response = await soapHttpRequest({
      url: `${base}/service`,
      method: 'POST',
      headers: { 'Content-Type': 'text/xml', SOAPAction: 'x' },
      data: '<envelope>olá</envelope>',
      ...via,
    });
    expect(response).toMatchObject({ status: 500, data: '<fault><envelope>olá</envelope></fault>' });
    expect(response.headers['retry-after']).toBe('7');
    expect(received.at(-1)).toMatchObject({ method: 'POST', url: '/service', body: '<envelope>olá</envelope>' });
    expect(received.at(-1)?.headers.soapaction).toBe('x');
  });

  it('decodes a compressed answer and does not follow a redirect', async () => {
    expect((await soapHttpRequest({ url: `${base}/gzip`, ...via })).data).toBe('<ok>comprimido ç</ok>');
    // soap reads a fault out of a 500's body: decoded too.
    expect(await soapHttpRequest({ url: `${base}/gzip-fault`, ...via })).toMatchObject({ status: 500, data: '<fault>gz</fault>' });
    const before = received.length;
    expect(await soapHttpRequest({ url: `${base}/redirect`, ...via })).toMatchObject({ status: 302, data: 'moved' });
    expect(received.length).toBe(before + 1);
  });

  it('gives up on an answer past the limit, a connection cut mid-answer and an idle socket', async () => {
    await expect(soapHttpRequest({ url: `${base}/big`, ...via })).rejects.toMatchObject({
      name: 'SoapHttpError',
      code: 'ERR_RESPONSE_TOO_LARGE',
    });
    // A few hundred bytes on the wire, 100 kB once decoded: the limit holds for the decoded answer too.
    await expect(soapHttpRequest({ url: `${base}/gzip-bomb`, ...via })).rejects.toMatchObject({ code: 'ERR_RESPONSE_TOO_LARGE' });
    // That bound is the call's own: given room for it, the same answer is read whole.
    const roomy = await soapHttpRequest({ url: `${base}/gzip-bomb`, dispatcher, maxResponseBytes: 200_000 });
    expect(roomy.data).toHaveLength(100_000);
    await expect(soapHttpRequest({ url: `${base}/cut`, ...via })).rejects.toMatchObject({ code: 'ECONNRESET' });
    const idle = soapHttpRequest({ url: `${base}/silent`, ...via, timeout: 100 });
    await expect(idle).rejects.toBeInstanceOf(SoapHttpError);
    await expect(idle).rejects.toMatchObject({ code: 'ETIMEDOUT' });
  });

  it('decodes brotli, and refuses a content coding it cannot read', async () => {
    expect((await soapHttpRequest({ url: `${base}/br`, ...via })).data).toBe('<ok>brotli</ok>');
    await expect(soapHttpRequest({ url: `${base}/odd-coding`, ...via })).rejects.toMatchObject({
      name: 'SoapHttpError',
      code: 'ERR_UNSUPPORTED_ENCODING',
    });
  });

  it('gives a TLS failure as a SoapHttpError (retried as "could not reach"), with its code and the origin only', async () => {
    // https:// to a plain HTTP server: the TLS handshake fails, as with a bad or expired certificate.
    const tls = soapHttpRequest({ url: `${base.replace('http:', 'https:')}/service?senha=segredo`, ...via });
    await expect(tls).rejects.toBeInstanceOf(SoapHttpError);
    const error = (await tls.then(
      () => null,
      (err: unknown) => err,
    )) as SoapHttpError;
    expect(error.code).toMatch(/SSL|TLS|EPROTO/);
    expect(error.message).toContain(base.replace('http:', 'https:'));
    expect(error.message).not.toContain('segredo');
  });

  it('refuses a request without a size limit before sending anything (soap hands the options through untyped)', async () => {
    const before = received.length;
    const unbounded = { url: `${base}/gzip`, dispatcher } as SoapHttpOptions;
    await expect(soapHttpRequest(unbounded)).rejects.toThrow(/maxResponseBytes/);
    expect(received.length).toBe(before);
  });

  it('sends nothing when the signal is already aborted, and stops when it aborts', async () => {
    const before = received.length;
    await expect(
      soapHttpRequest({ url: `${base}/service`, method: 'POST', data: 'x', maxResponseBytes: 1000, signal: AbortSignal.abort() }),
    ).rejects.toThrow();
    expect(received.length).toBe(before);
    const controller = new AbortController();
    const pending = soapHttpRequest({ url: `${base}/silent`, ...via, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });
});
