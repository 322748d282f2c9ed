import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ApiAuth, type ApiConnection, Secret } from '@integrador/connections';
import { InvalidIntegrationError, OutboundAddressError, ReceptorError, ResponseTooLargeError, TransientTransportError } from './errors';
import { createRestTransport, restTarget } from './rest-transport';
import type { Transport, TransportRequest } from './transport';

interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

type Reply = (req: Received, res: http.ServerResponse) => void;

let server: http.Server;
let baseUrl: string;
let received: Received[];
let reply: Reply;
const transports: Transport[] = [];

beforeEach(async () => {
  received = [];
  reply = (_req, res) => res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 42, status: 'created' }));
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const entry = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(entry);
      reply(entry, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  await Promise.all(transports.splice(0).map((transport) => transport.close?.()));
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function transportFor(overrides: Partial<ApiConnection> = {}): Transport {
  const connection: ApiConnection = {
    kind: 'api',
    name: 'rubeus',
    baseUrl,
    auth: { type: 'none' },
    headers: {},
    timeoutMs: 5000,
    allowPrivateNetwork: true, // the test server listens on loopback
    ...overrides,
  };
  const transport = createRestTransport(connection);
  transports.push(transport);
  return transport;
}

const post = (body: Record<string, unknown> = { nome: 'Padaria Pão Quente' }, extra: Partial<TransportRequest> = {}): TransportRequest => ({
  link: '/clientes',
  operation: null,
  body,
  timeoutMs: 5000,
  ...extra,
});

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

describe('REST transport', () => {
  it('POSTs the body as JSON and parses a 201 JSON answer', async () => {
    const { data, exchange } = await transportFor({ headers: { 'X-Tenant': 'abc' } }).send(post());

    expect(data).toEqual({ id: 42, status: 'created' });
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ method: 'POST', url: '/clientes', body: '{"nome":"Padaria Pão Quente"}' });
    expect(received[0]?.headers).toMatchObject({
      'content-type': 'application/json; charset=utf-8',
      accept: 'application/json',
      'x-tenant': 'abc',
    });
    expect(exchange).toMatchObject({ url: `${baseUrl}/clientes`, statusCode: 201, response: '{"id":42,"status":"created"}' });
    expect(exchange.request).toBe(
      [
        `POST ${baseUrl}/clientes`,
        'accept: application/json',
        'content-type: application/json; charset=utf-8',
        'x-tenant: abc',
        'content-length: 30', // bytes: ã takes two
        '',
        '{"nome":"Padaria Pão Quente"}',
      ].join('\n'),
    );
  });

  it('takes the method from the link, and sends no body with GET', async () => {
    const transport = transportFor();
    await transport.send(post({ nome: 'x' }, { link: 'PUT /clientes/1?origem=crm' }));
    await transport.send(post({}, { link: 'get /clientes/1' }));
    expect(received.map(({ method, url, body }) => [method, url, body])).toEqual([
      ['PUT', '/clientes/1?origem=crm', '{"nome":"x"}'],
      ['GET', '/clientes/1', ''],
    ]);
    expect(restTarget('https://api.example.com/v1/', 'DELETE /x').url.href).toBe('https://api.example.com/v1/x');
  });

  it.each<[string, ApiAuth, string, string]>([
    [
      'basic',
      { type: 'basic', user: 'crm', password: new Secret('pa55') },
      'authorization',
      `Basic ${Buffer.from('crm:pa55').toString('base64')}`,
    ],
    ['bearer', { type: 'bearer', token: new Secret('tok-123') }, 'authorization', 'Bearer tok-123'],
    ['header', { type: 'header', name: 'X-Api-Key', value: new Secret('key-456') }, 'x-api-key', 'key-456'],
  ])('applies %s auth and redacts it from the exchange and the preview', async (_type, auth, header, value) => {
    const transport = transportFor({ auth });
    const { exchange } = await transport.send(post());
    const preview = await transport.preview(post());

    expect(received[0]?.headers[header]).toBe(value);
    expect(exchange.request).toContain(`${header}: [REDACTED]`);
    for (const text of [exchange.request, preview.request]) expect(text).not.toContain(value);
    expect(preview).toEqual({ url: exchange.url, request: exchange.request });
  });

  it('fails for good on an answer past 16 MiB, as an unknown outcome (the receptor took the request), in pt-BR and English', async () => {
    reply = (_req, res) => res.writeHead(201, { 'content-type': 'application/json' }).end(Buffer.alloc(17 * 1024 * 1024, ' '));
    const error = await rejection(transportFor().send(post(undefined, { link: '/clientes?token=s3cr3t' })));
    expect(error).toBeInstanceOf(ResponseTooLargeError);
    expect(error).toMatchObject({ permanent: true, mayHaveBeenProcessed: true });
    expect((error as ResponseTooLargeError).receptorMessage).toMatch(
      // shownUrl: the query's names stay, their values are masked
      new RegExp(`^a resposta de ${baseUrl}/clientes\\?token=\\*\\*\\* passa do limite de 16 MiB .* o ERP pode ter executado a operação`),
    );
    expect(error.message).toMatch(new RegExp(`^the answer from ${baseUrl}/clientes\\?token=\\*\\*\\* is over the 16 MiB limit`));
    for (const text of [error.message, (error as ResponseTooLargeError).exchange?.url, (error as ResponseTooLargeError).exchange?.request])
      expect(text).not.toContain('s3cr3t');
    expect((error as ResponseTooLargeError).exchange?.request).toContain('Padaria');
  });

  it('turns a 4xx into a ReceptorError with the message of the body', async () => {
    reply = (_req, res) => res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'CNPJ inválido' }));
    const json = await rejection(transportFor().send(post()));
    expect(json).toBeInstanceOf(ReceptorError);
    expect(json).toMatchObject({ receptorMessage: 'CNPJ inválido', permanent: true, exchange: { statusCode: 400 } });

    reply = (_req, res) =>
      res.writeHead(422, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ message: 'nome obrigatório' }] }));
    expect(await rejection(transportFor().send(post()))).toMatchObject({ receptorMessage: 'nome obrigatório' });

    reply = (_req, res) => res.writeHead(404, { 'content-type': 'text/plain' }).end('rota não encontrada');
    expect(await rejection(transportFor().send(post()))).toMatchObject({ receptorMessage: 'rota não encontrada' });
  });

  it('treats 503 as transient, and reads Retry-After from a 429', async () => {
    reply = (_req, res) => res.writeHead(503).end('<html>down</html>');
    const unavailable = await rejection(transportFor().send(post()));
    expect(unavailable).toBeInstanceOf(TransientTransportError);
    expect(unavailable).toMatchObject({ exchange: { statusCode: 503, response: '<html>down</html>' } });

    reply = (_req, res) => res.writeHead(429, { 'retry-after': '7' }).end();
    expect(await rejection(transportFor().send(post()))).toMatchObject({ name: 'TransientTransportError', retryAfterMs: 7000 });

    const at = new Date(Date.now() + 60_000).toUTCString();
    reply = (_req, res) => res.writeHead(429, { 'retry-after': at }).end();
    const dated = (await rejection(transportFor().send(post()))) as TransientTransportError;
    expect(dated.retryAfterMs).toBeGreaterThan(50_000);
    expect(dated.retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  it('gives up after the timeout, and on a server that is down, as transient', async () => {
    // The answer comes far past the timeout: a call that waited for it instead stands out even on a busy machine.
    reply = (_req, res) => setTimeout(() => res.end('{}'), 10_000).unref();
    const started = Date.now();
    const slow = await rejection(transportFor().send(post({}, { timeoutMs: 200 })));
    expect(slow).toBeInstanceOf(TransientTransportError);
    expect(slow.message).toContain('within 200 ms');
    expect(Date.now() - started).toBeLessThan(5000);

    const down = await rejection(transportFor({ baseUrl: baseUrl.replace(/:\d+$/, ':1') }).send(post()));
    expect(down).toBeInstanceOf(TransientTransportError);
    expect(down.message).toContain('ECONNREFUSED');
    // Trial 4: what the transport knew is kept for the reason a user reads (no answer in time is no refused connection).
    expect((slow as TransientTransportError).params).toEqual({ timeoutMs: '200' });
    expect((down as TransientTransportError).params).toMatchObject({ networkCode: 'ECONNREFUSED' });
  });

  it('keeps the HTTP status of a 5xx and of a 429 for the reason a user reads (trial 4)', async () => {
    reply = (_req, res) => res.writeHead(500).end('falha interna');
    expect(await rejection(transportFor().send(post()))).toMatchObject({ params: { status: '500' } });
    reply = (_req, res) => res.writeHead(429).end();
    expect(await rejection(transportFor().send(post()))).toMatchObject({ params: { status: '429' } });
  });

  it('names the URL as shown (no query value, no userinfo) in the exchange, the preview and every error; sends to the full URL', async () => {
    const withSecrets = (base: string) => transportFor({ baseUrl: base.replace('http://', 'http://user:pass@') });
    const request = post(undefined, { link: '/clientes?token=s3cr3t&apikey=k3y' });
    const shown = `${baseUrl}/clientes?token=***&apikey=***`;
    const texts = (error: Error) => {
      const { exchange } = error as TransientTransportError;
      return [error.message, exchange?.url, exchange?.request];
    };

    reply = (_req, res) => res.writeHead(500).end('falha interna');
    const failed = await rejection(withSecrets(baseUrl).send(request));
    expect(failed).toBeInstanceOf(TransientTransportError);
    expect(failed.message).toBe(`${shown} answered HTTP 500: falha interna`);
    expect((failed as TransientTransportError).exchange?.request).toMatch(new RegExp(`^POST ${shown.replace(/[?*]/g, '\\$&')}\n`));
    expect(received[0]?.url).toBe('/clientes?token=s3cr3t&apikey=k3y');
    const down = await rejection(withSecrets(baseUrl.replace(/:\d+$/, ':1')).send(request));
    expect(down.message).toContain('ECONNREFUSED');
    const preview = await withSecrets(baseUrl).preview(request);

    reply = (_req, res) => res.writeHead(302, { location: `${baseUrl}/outra?token=s3cr3t` }).end();
    const moved = (await rejection(withSecrets(baseUrl).send(request))) as ReceptorError;
    expect(moved.receptorMessage).toBe(`HTTP 302 redirect to ${baseUrl}/outra?token=***; redirects are not followed`);

    for (const text of [...texts(failed), ...texts(down), ...texts(moved), moved.receptorMessage, preview.url, preview.request]) {
      expect(text).not.toMatch(/s3cr3t|k3y|user|pass@/);
    }
  });

  it('follows no redirect, and stops when the caller aborts', async () => {
    reply = (req, res) => (req.url === '/clientes' ? res.writeHead(302, { location: '/outra' }).end() : res.end('{}'));
    const moved = await rejection(transportFor().send(post()));
    expect(moved).toBeInstanceOf(ReceptorError);
    expect(moved).toMatchObject({
      receptorMessage: 'HTTP 302 redirect to /outra; redirects are not followed',
      exchange: { statusCode: 302 },
    });
    expect(received.map(({ url }) => url)).toEqual(['/clientes']);

    reply = (_req, res) => setTimeout(() => res.end('{}'), 2000).unref();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const aborted = await rejection(transportFor().send(post({}, { signal: controller.signal })));
    expect(aborted).toBeInstanceOf(TransientTransportError);
    expect(aborted.message).toContain('was aborted');
  });

  it('refuses loopback (by IP or by name) unless the connection allows private networks', async () => {
    for (const url of [baseUrl, baseUrl.replace('127.0.0.1', 'localhost')]) {
      const error = await rejection(transportFor({ baseUrl: url, allowPrivateNetwork: false }).send(post()));
      expect(error).toBeInstanceOf(OutboundAddressError);
    }
    expect(received).toHaveLength(0);
    await expect(transportFor({ allowPrivateNetwork: true }).send(post())).resolves.toMatchObject({ data: { id: 42 } });
  });

  it('refuses a link that leaves the connection host or names an unknown method', async () => {
    const transport = transportFor();
    await expect(transport.send(post({}, { link: '@evil.example/x' }))).rejects.toBeInstanceOf(InvalidIntegrationError);
    await expect(transport.send(post({}, { link: 'TRACE /x' }))).rejects.toThrow(
      'expected one of GET, POST, PUT, PATCH, DELETE, got TRACE',
    );
    expect(received).toHaveLength(0);
    // appended to the base URL, a protocol-relative-looking link is only a path on the same host
    await transport.send(post({}, { link: '//evil.example/x' }));
    expect(received.map(({ url }) => url)).toEqual(['//evil.example/x']);
  });
});
