import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { EndpointFetchError, fetchJsonRecords, type JsonEndpointRequest } from './json-endpoint-client';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

describe('fetchJsonRecords against a loopback endpoint', () => {
  let server: http.Server;
  let base: string;
  let handler: Handler;
  let lastHeaders: http.IncomingHttpHeaders;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      lastHeaders = req.headers;
      handler(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const request = (overrides: Partial<JsonEndpointRequest> = {}): JsonEndpointRequest => ({
    url: `${base}/dados`,
    headers: {},
    timeoutMs: 2000,
    maxRecords: 3,
    maxBytes: 1024 * 1024,
    allowPrivateNetwork: true,
    ...overrides,
  });

  async function failure(promise: Promise<unknown>): Promise<EndpointFetchError> {
    try {
      await promise;
    } catch (err) {
      expect(err).toBeInstanceOf(EndpointFetchError);
      return err as EndpointFetchError;
    }
    throw new Error('expected the call to fail');
  }

  it('returns the records and sends the headers it is given', async () => {
    handler = (_req, res) => res.setHeader('content-type', 'application/json').end('[{"a":1},{"b":2},{"c":3}]');
    const answer = await fetchJsonRecords(request({ headers: { authorization: 'Bearer t0ken' } }));
    expect(answer.records).toEqual([{ a: 1 }, { b: 2 }, { c: 3 }]);
    expect(lastHeaders.authorization).toBe('Bearer t0ken');
    expect(lastHeaders.accept).toBe('application/json');
  });

  it('masks the credentials an endpoint echoes back: in an error body, a JSON parse error and the records', async () => {
    const secret = 'segredo-do-endpoint-42';
    const basic = `Basic ${Buffer.from(`usuario:${secret}`).toString('base64')}`;
    const echo = (req: http.IncomingMessage) => {
      const auth = req.headers.authorization ?? '';
      return `${auth} ${auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString('utf8') : ''}`;
    };
    handler = (req, res) => res.writeHead(401, { 'content-type': 'text/plain' }).end(`recusado: ${echo(req)}`);
    const refused = await failure(fetchJsonRecords(request({ headers: { authorization: basic } })));
    expect(refused.params.detail).toBe('recusado: *** ***');
    expect(refused.message).not.toContain(secret);
    handler = (req, res) => res.setHeader('content-type', 'application/json').end(`bad ${echo(req)}`);
    const parse = await failure(fetchJsonRecords(request({ headers: { authorization: `Bearer ${secret}` } })));
    expect(`${parse.message} ${parse.params.detail}`).not.toContain(secret);
    handler = (req, res) => res.setHeader('content-type', 'application/json').end(JSON.stringify([{ nome: req.headers.authorization }]));
    const answer = await fetchJsonRecords(request({ headers: { authorization: `Bearer ${secret}` } }));
    expect(answer.records).toEqual([{ nome: '***' }]);
  });

  it('keeps the records a call writes back: a value or key that only holds a secret inside it keeps its text', async () => {
    const records = [{ nome: 'administração', codigo: 'CLI-20240001', admin: 1, '2024': 2 }, { senha: 'admin' }];
    handler = (_req, res) => res.setHeader('content-type', 'application/json').end(JSON.stringify(records));
    const basic = `Basic ${Buffer.from('usuario:admin').toString('base64')}`;
    const answer = await fetchJsonRecords(request({ headers: { authorization: basic, 'x-api-key': '2024' } }));
    expect(answer.records).toEqual([{ nome: 'administração', codigo: 'CLI-20240001', admin: 1, '2024': 2 }, { senha: '***' }]);
  });

  it('cancels a call with one record more than the limit, before the body ends', async () => {
    let closedEarly = false;
    handler = (_req, res) => {
      res.write('[1,2,3,4');
      // The rest never comes: only cancelling on the count ends this call.
      res.on('close', () => {
        closedEarly = true;
      });
    };
    const error = await failure(fetchJsonRecords(request({ timeoutMs: 10000 })));
    expect(error).toMatchObject({ code: 'TOO_MANY_RECORDS', permanent: true, params: { limit: 3 } });
    // The server sees the close on a later turn (after a stall, a fixed 50 ms pause could end first); nothing else
    // closes this response within the deadline (the call's own timeout is 10 s).
    for (const deadline = Date.now() + 5000; !closedEarly && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 10));
    expect(closedEarly).toBe(true);
  });

  it('cancels a call slower than the limit', async () => {
    handler = (_req, res) => {
      res.write('[');
      setTimeout(() => res.end(']'), 1500).unref();
    };
    const error = await failure(fetchJsonRecords(request({ timeoutMs: 300 })));
    expect(error).toMatchObject({ code: 'TIMEOUT', permanent: true, params: { limitMs: 300 } });
  });

  it('cancels a body larger than the byte cap', async () => {
    handler = (_req, res) => res.end(`["${'x'.repeat(5000)}"]`);
    const error = await failure(fetchJsonRecords(request({ maxBytes: 1024 })));
    expect(error.code).toBe('TOO_LARGE');
  });

  it.each([
    ['a body that is not JSON', (_q: http.IncomingMessage, s: http.ServerResponse) => s.end('<html>'), 'NOT_JSON', true],
    ['an object instead of an array', (_q: http.IncomingMessage, s: http.ServerResponse) => s.end('{"erro":"x"}'), 'NOT_ARRAY', true],
    [
      'HTTP 401',
      (_q: http.IncomingMessage, s: http.ServerResponse) => s.writeHead(401).end('{"message":"token inválido"}'),
      'HTTP_STATUS',
      true,
    ],
    ['HTTP 503', (_q: http.IncomingMessage, s: http.ServerResponse) => s.writeHead(503).end('down'), 'HTTP_STATUS', false],
  ])('reports %s', async (_case, serve, code, permanent) => {
    handler = serve;
    const error = await failure(fetchJsonRecords(request()));
    expect(error).toMatchObject({ code, permanent });
  });

  it('keeps the endpoint’s words of an HTTP error', async () => {
    handler = (_req, res) => res.writeHead(401).end('{"message":"token inválido"}');
    expect((await failure(fetchJsonRecords(request()))).params).toMatchObject({ status: 401, detail: '{"message":"token inválido"}' });
  });

  it('refuses loopback unless private networks are allowed', async () => {
    handler = (_req, res) => res.end('[]');
    const error = await failure(fetchJsonRecords(request({ allowPrivateNetwork: false })));
    expect(error).toMatchObject({ code: 'OUTBOUND_FORBIDDEN', permanent: true });
  });

  it('reports a closed port as unreachable and worth retrying', async () => {
    const error = await failure(fetchJsonRecords(request({ url: 'http://127.0.0.1:9/x' })));
    expect(error).toMatchObject({ code: 'UNREACHABLE', permanent: false, params: { code: 'ECONNREFUSED' } });
  });

  it('names the URL as shown in every error (query values masked, no userinfo), while calling the full URL', async () => {
    let asked = '';
    handler = (req, res) => {
      asked = req.url ?? '';
      res.writeHead(500).end('falhou');
    };
    const withSecrets = (origin: string) => `${origin.replace('http://', 'http://u:pass@')}/dados?token=s3cr3t&tipo=contato`;
    const failed = await failure(fetchJsonRecords(request({ url: withSecrets(base) })));
    expect(asked).toBe('/dados?token=s3cr3t&tipo=contato');
    expect(failed.params.url).toBe(`${base}/dados?token=***&tipo=***`);
    expect(failed.message).toBe(`${base}/dados?token=***&tipo=*** answered HTTP 500: falhou`);
    handler = (_req, res) => res.end('{"not":"an array"}');
    const notArray = await failure(fetchJsonRecords(request({ url: withSecrets(base) })));
    const down = await failure(fetchJsonRecords(request({ url: withSecrets('http://127.0.0.1:9') })));
    for (const error of [failed, notArray, down]) expect(JSON.stringify([error.message, error.params])).not.toMatch(/s3cr3t|pass|u:/);
  });
});
