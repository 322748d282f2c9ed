import { execFileSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createEmpresa, issueApiKey } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import type { FastifyInstance } from 'fastify';
import { startTestIngress, type TestIngress } from '../../../test/support/test-ingress';

// F11/F20: what Fastify or Node refuse before a route runs answers the API's {error:{code,message}} in the request's
// language, with the limit stated — never FST_ERR_… codes or Node's own body.
describe('framework refusals in the API error body', () => {
  let database: TestDatabase;
  let ingress: TestIngress;
  let app: FastifyInstance;
  let key: string;
  let base: string;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    key = await issueApiKey(database.db, await createEmpresa(database.db, 'Acme'), null, 'k');
    ingress = await startTestIngress(database);
    app = ingress.app;
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await ingress.close();
    await database.drop();
  });

  const headers = (lang: string, type = 'application/json') => ({
    authorization: `Bearer ${key}`,
    'content-type': type,
    'accept-language': lang,
  });

  it('a body over the limit → 413 PAYLOAD_TOO_LARGE stating the limit, in pt-BR or English', async () => {
    const payload = JSON.stringify({ queue: 'set', pad: 'x'.repeat(2 * 1024 * 1024) });
    const pt = await app.inject({ method: 'POST', url: '/v1/ping', headers: headers('pt-BR'), payload });
    expect(pt.statusCode).toBe(413);
    expect(pt.json()).toEqual({
      error: {
        code: 'PAYLOAD_TOO_LARGE',
        message: 'corpo da requisição grande demais: o limite é 1 MB (1048576 bytes); envie menos dados por requisição',
      },
    });
    const en = await app.inject({ method: 'POST', url: '/v1/ping', headers: headers('en'), payload });
    expect(en.json().error.message).toBe('request body too large: the limit is 1 MB (1048576 bytes); send less data per request');
  });

  // Fastify parses text/plain by default: a JSON route then got a string and answered 400 INVALID_JSON, blaming the
  // body when the content type was wrong (a curl -d without -H). Every JSON route answers it as any other type.
  it.each(['/v1/events/crm-change', '/v1/webhooks', '/v1/ping'])('content-type text/plain on %s → 415 naming it', async (url) => {
    const res = await app.inject({ method: 'POST', url, headers: headers('pt-BR', 'text/plain'), payload: '{"tabela":"contatos"}' });
    expect(res.statusCode).toBe(415);
    expect(res.json()).toEqual({
      error: {
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: 'tipo de conteúdo não suportado: text/plain; envie o corpo como JSON (content-type: application/json)',
      },
    });
  });

  it('content-type application/xml → 415 UNSUPPORTED_MEDIA_TYPE naming the type and what to send', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/ping', headers: headers('pt-BR', 'application/xml'), payload: '<ping/>' });
    expect(res.statusCode).toBe(415);
    expect(res.json()).toEqual({
      error: {
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: 'tipo de conteúdo não suportado: application/xml; envie o corpo como JSON (content-type: application/json)',
      },
    });
    const en = await app.inject({ method: 'POST', url: '/v1/ping', headers: headers('en', 'application/xml'), payload: '<ping/>' });
    expect(en.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(en.json().error.message).toMatch(/^unsupported content type: application\/xml/);
  });

  it('a 20 kB query string (real HTTP) → 431 HEADERS_TOO_LARGE in the API error body', async () => {
    const answer = await new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
      const req = http.get(`${base}/wconnect/WConnect_WSDL_ConsultaRamal.php?ramal=1&telefone=${'9'.repeat(20_000)}`, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
      });
      req.on('error', reject);
    });
    expect(answer.status).toBe(431);
    expect(answer.type).toMatch(/^application\/json/);
    expect(JSON.parse(answer.body)).toEqual({
      error: {
        code: 'HEADERS_TOO_LARGE',
        message: 'cabeçalhos e URL grandes demais (o limite é 16 kB somados): encurte a query string ou os cabeçalhos',
      },
    });
  });

  it("the 431 states Node's limit as the process runs it (--max-http-header-size), not a fixed 16 kB", () => {
    const script = `
      const { PassThrough } = require('node:stream');
      const { clientErrorHandler } = require('./apps/ingress/src/plugins/error-handler.ts');
      const socket = new PassThrough();
      let written = '';
      socket.write = (chunk) => { written += chunk; return true; };
      socket.on('error', () => {});
      clientErrorHandler()(Object.assign(new Error('overflow'), { code: 'HPE_HEADER_OVERFLOW' }), socket);
      process.stdout.write(written.split('\\r\\n\\r\\n')[1] ?? '');
    `;
    const root = path.resolve(__dirname, '../../..');
    const out = execFileSync(process.execPath, ['--max-http-header-size=32768', '--import', 'tsx', '--input-type=commonjs', '-e', script], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(JSON.parse(out).error.message).toMatch(/o limite é 32 kB somados/);
  });
});
