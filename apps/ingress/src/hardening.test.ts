import { parseConnections } from '@integrador/connections';
import { createLogger } from '@integrador/logging';
import { createRedis, JobProducer, waitUntilReady } from '@integrador/queue';
import { createEmpresa, issueApiKey, setPermitirRedePrivada, sqlitePath } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { startJsonEndpoint } from '@integrador/test-support/json-endpoint';
import { TEST_REDIS_URL, testPrefix } from '@integrador/test-support/redis-server';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { startTestIngress, type TestIngress } from '../../../test/support/test-ingress';
import { buildApp } from './build-app';

const logger = createLogger({ name: 'ingress-hardening-test', level: 'silent' });

/** Findings of a hostile client against a PostgreSQL CRM: each answered 500 before it was fixed. */
describe('ingress hardening (PostgreSQL CRM)', () => {
  let database: TestDatabase;
  let redis: Redis;
  let producer: JobProducer;
  let app: FastifyInstance;
  let ingress: TestIngress;
  let prefix: string;
  let key: string;
  let setId: number;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    const connections = parseConnections(JSON.stringify({ connections: {} }), 'json', {}, 'test');
    ingress = await startTestIngress(database, { deps: { connections, metricsToken: 'm3tr1cs' } });
    ({ app, redis, producer, prefix } = ingress);
    const empresa = await createEmpresa(database.db, 'Empresa A');
    key = await issueApiKey(database.db, empresa, null, 'a');
    await database.db
      .insertInto('integracao')
      .values({ nome: 'SET-A', tipo_servico: 'SET', empresa_id: empresa, empresa_filial_id: null, ordem: 1 })
      .execute();
    setId = (await database.db.selectFrom('integracao').select('id').where('nome', '=', 'SET-A').executeTakeFirstOrThrow()).id;
  });

  afterAll(async () => {
    await ingress.close();
    await database.drop();
  });

  const headers = (extra: Record<string, string> = {}) => ({ authorization: `Bearer ${key}`, ...extra });

  it.each([
    ['GET', '/v1/integrations/ID'],
    ['PATCH', '/v1/integrations/ID'],
    ['POST', '/v1/integrations/ID/run'],
    ['POST', '/v1/integrations/ID/preview'],
    ['POST', '/v1/integrations/ID/info'],
    ['GET', '/v1/endpoints/ID'],
    ['PUT', '/v1/endpoints/ID'],
    ['DELETE', '/v1/endpoints/ID'],
    ['POST', '/v1/endpoints/ID/validate'],
    ['POST', '/v1/endpoints/ID/sync'],
  ] as const)('%s %s with an id beyond the database range answers 400 naming params.id', async (method, route) => {
    for (const id of ['2147483648', '99999999999999999999', '9007199254740993', '1e309']) {
      const res = await app.inject({
        method,
        url: route.replace('ID', id),
        headers: headers(),
        payload: method === 'GET' || method === 'DELETE' ? undefined : {},
      });
      expect(res.statusCode).toBe(400);
      // Infinity passes ajv's integer check and is caught after validation, so an invalid body is named first.
      expect(res.json().error.field).toMatch(id === '1e309' ? /^(params\.id|body)/ : /^params\.id$/);
    }
  });

  it.each(['events', 'failed', 'stalled-check', 'wait', 'meta', 'id', 'stalled', 'de:x', 'repeat', 'repeat:x', 'marker', 'limiter', 'pc'])(
    'a job id naming BullMQ key %s answers 400 or 404, never 500',
    async (id) => {
      // The queue's own keys exist on a live fleet; a string under the name makes any HGETALL of it a WRONGTYPE.
      for (const queue of ['get', 'set']) await redis.set(`${prefix}:${queue}:${id}`, 'x');
      for (const url of [`/v1/jobs/get/${id}`, `/v1/jobs/set/${encodeURIComponent(id)}/retry`]) {
        const res = await app.inject({ method: url.endsWith('retry') ? 'POST' : 'GET', url, headers: headers() });
        expect([400, 404]).toContain(res.statusCode);
      }
      for (const queue of ['get', 'set']) await redis.del(`${prefix}:${queue}:${id}`);
    },
  );

  it.each(['http://127.0.0.1:1/%', 'http://127.0.0.1:1/a%ZZ', 'http://[::1', 'http://exa mple.com/'])(
    'an endpoint URL %s answers 400 naming the field',
    async (bad) => {
      for (const body of [
        { nome: 'x', urlBase: bad, autenticacao: 'nenhuma', eventos: [{ tipo: 'contato', url: 'http://127.0.0.1:1/c' }] },
        { nome: 'y', urlBase: 'http://127.0.0.1:1', autenticacao: 'nenhuma', eventos: [{ tipo: 'contato', url: bad }] },
      ]) {
        const res = await app.inject({ method: 'POST', url: '/v1/endpoints', headers: headers(), payload: body });
        expect(res.statusCode).toBe(400);
        expect(res.json().error.field).toMatch(/urlBase|eventos\.0\.url/);
      }
    },
  );

  it.each(['run', 'preview', 'info'])('POST /v1/integrations/:id/%s without a body is not refused for the body', async (action) => {
    for (const extra of [{}, { 'content-type': 'application/json' }] as Record<string, string>[]) {
      const res = await app.inject({ method: 'POST', url: `/v1/integrations/${setId}/${action}`, headers: headers(extra) });
      expect(res.statusCode).not.toBe(500);
      if (res.statusCode === 400) expect(res.json().error.field ?? '').not.toMatch(/^body/);
      expect(res.json().error?.code ?? '').not.toMatch(/EMPTY|BODY/);
    }
  });

  it.each(['run', 'preview', 'info'])(
    'POST /v1/integrations/:id/%s refuses a parameter that is a list or an object, never runs it as its first item',
    async (action) => {
      const before = (await producer.counts()).set;
      for (const value of [[1], [], { a: 1 }])
        for (const locale of ['pt-BR', 'en']) {
          const res = await app.inject({
            method: 'POST',
            url: `/v1/integrations/${setId}/${action}`,
            headers: headers({ 'accept-language': locale }),
            payload: { parametros: { contaId: value } },
          });
          expect(res.statusCode).toBe(400);
          expect(res.json().error).toEqual({
            code: 'VALIDATION_FAILED',
            field: 'body.parametros.contaId',
            message:
              locale === 'en'
                ? 'field "body.parametros.contaId" must be a text, a number, true/false or null'
                : 'campo "body.parametros.contaId" deve ser um texto, um número, true/false ou null',
          });
        }
      expect((await producer.counts()).set).toEqual(before);
    },
  );

  it.each([
    ['/v1/integrations/%E0%A4%A', 400, 'BAD_URL'],
    [`/v1/jobs/get/${'x'.repeat(300)}`, 414, 'URL_TOO_LONG'],
  ])('%s answers %d with the API error body', async (url, status, code) => {
    const res = await app.inject({ url, headers: headers() });
    expect(res.statusCode).toBe(status);
    expect(res.json().error.code).toBe(code);
  });

  it('PATCH with a dependente beyond the database range answers 400 naming the field', async () => {
    const res = await app.inject({
      method: 'PATCH',
      url: `/v1/integrations/${setId}`,
      headers: headers(),
      payload: { dependente: 2147483648 },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.field).toBe('body.dependente');
  });

  it('POST /run with the same Idempotency-Key makes one job', async () => {
    const queued = async () => {
      const counts = await producer.queue('set').getJobCounts('waiting', 'prioritized');
      return (counts.waiting ?? 0) + (counts.prioritized ?? 0);
    };
    const before = await queued();
    const first = await app.inject({
      method: 'POST',
      url: `/v1/integrations/${setId}/run`,
      headers: headers({ 'idempotency-key': 'k-1' }),
      payload: {},
    });
    const again = await app.inject({
      method: 'POST',
      url: `/v1/integrations/${setId}/run`,
      headers: headers({ 'idempotency-key': 'k-1' }),
      payload: {},
    });
    const other = await app.inject({
      method: 'POST',
      url: `/v1/integrations/${setId}/run`,
      headers: headers({ 'idempotency-key': 'k-2' }),
      payload: {},
    });
    expect(first.statusCode).toBe(202);
    expect(again.json().jobId).toBe(first.json().jobId);
    expect(other.json().jobId).not.toBe(first.json().jobId);
    expect((await queued()) - before).toBe(2);
  });

  it('refuses a malformed Idempotency-Key with 400 naming the header', async () => {
    const res = await app.inject({
      method: 'POST',
      url: `/v1/integrations/${setId}/run`,
      headers: headers({ 'idempotency-key': 'x'.repeat(300) }),
      payload: {},
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.field).toBe('headers.idempotency-key');
  });

  it('/metrics needs the metrics token when one is set', async () => {
    expect((await app.inject('/metrics')).statusCode).toBe(401);
    expect((await app.inject({ url: '/metrics', headers: { authorization: 'Bearer nope' } })).statusCode).toBe(401);
    const ok = await app.inject({ url: '/metrics', headers: { authorization: 'Bearer m3tr1cs' } });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain('integrador_queue_jobs');
  });
});

describe('endpoint Validate holds no request open for minutes', () => {
  it('answers within the short validate bound although the sync limit is a minute', async () => {
    const database = await createTestDatabase('sqlite');
    const endpoint = await startJsonEndpoint();
    const prefix = testPrefix();
    const redis = createRedis(TEST_REDIS_URL, { role: 'producer' });
    await waitUntilReady(redis);
    const producer = new JobProducer({ connection: redis, prefix, timeoutMs: 2000, logger });
    const app = await buildApp({
      database,
      redis,
      producer,
      connections: parseConnections(JSON.stringify({ connections: {} }), 'json', {}, 'test'),
      logger,
      keyPrefix: prefix,
      checkTimeoutMs: 2000,
      endpoints: { limits: { maxRecords: 5, timeoutMs: 60_000, maxResponseBytes: 1 << 20 }, env: {}, validateTimeoutMs: 1000 },
      dashboard: { secureCookies: false },
    });
    try {
      const empresa = await createEmpresa(database.db, 'Faculdade');
      const key = await issueApiKey(database.db, empresa, null, 'a');
      endpoint.routes.set('/contatos/lento', { body: [], delayMs: 10_000 });
      const created = await app.inject({
        method: 'POST',
        url: '/v1/endpoints',
        headers: { authorization: `Bearer ${key}` },
        payload: {
          nome: 'lento',
          urlBase: endpoint.url,
          autenticacao: 'nenhuma',
          eventos: [{ tipo: 'contato', url: `${endpoint.url}/contatos/lento` }],
        },
      });
      const id = created.json().id as number;
      await setPermitirRedePrivada(database.db, empresa, id, true);
      const started = Date.now();
      const res = await app.inject({ method: 'POST', url: `/v1/endpoints/${id}/validate`, headers: { authorization: `Bearer ${key}` } });
      expect(Date.now() - started).toBeLessThan(5000);
      expect(res.json().eventos[0]).toMatchObject({ ok: false, code: 'TIMEOUT' });
      // The dashboard's Validar (a bearer key may post its forms) waits no longer than the API does.
      const before = Date.now();
      const page = await app.inject({
        method: 'POST',
        url: '/dashboard/acoes/servico-validar',
        headers: { authorization: `Bearer ${key}` },
        payload: { empresa: String(empresa), servico: String(id) },
      });
      expect(Date.now() - before).toBeLessThan(5000);
      expect(page.statusCode).toBe(200);
      expect(page.body).toMatch(/<li data-tipo="contato" class="falhou">/);
    } finally {
      await app.close();
      await producer.close();
      redis.disconnect();
      await endpoint.close();
      await database.drop();
    }
  }, 30_000);
});

describe("the dashboard's Validar bound (DASHBOARD_VALIDATE_TIMEOUT_MS)", () => {
  it("cuts a slow event type at the dashboard's own bound while the API keeps its own", async () => {
    const database = await createTestDatabase('sqlite');
    const endpoint = await startJsonEndpoint();
    const prefix = testPrefix();
    const redis = createRedis(TEST_REDIS_URL, { role: 'producer' });
    await waitUntilReady(redis);
    const producer = new JobProducer({ connection: redis, prefix, timeoutMs: 2000, logger });
    const app = await buildApp({
      database,
      redis,
      producer,
      connections: parseConnections(JSON.stringify({ connections: {} }), 'json', {}, 'test'),
      logger,
      keyPrefix: prefix,
      checkTimeoutMs: 2000,
      endpoints: { limits: { maxRecords: 5, timeoutMs: 60_000, maxResponseBytes: 1 << 20 }, env: {} },
      dashboard: { secureCookies: false, validateTimeoutMs: 300 },
    });
    try {
      const empresa = await createEmpresa(database.db, 'Faculdade');
      const key = await issueApiKey(database.db, empresa, null, 'a');
      // Slower than the dashboard's 300 ms, well within the API's default 20 s.
      endpoint.routes.set('/contatos/lento', { body: [], delayMs: 3000 });
      const created = await app.inject({
        method: 'POST',
        url: '/v1/endpoints',
        headers: { authorization: `Bearer ${key}` },
        payload: {
          nome: 'lento',
          urlBase: endpoint.url,
          autenticacao: 'nenhuma',
          eventos: [{ tipo: 'contato', url: `${endpoint.url}/contatos/lento` }],
        },
      });
      const id = created.json().id as number;
      await setPermitirRedePrivada(database.db, empresa, id, true);
      const page = await app.inject({
        method: 'POST',
        url: '/dashboard/acoes/servico-validar',
        headers: { authorization: `Bearer ${key}` },
        payload: { empresa: String(empresa), servico: String(id) },
      });
      expect(page.statusCode).toBe(200);
      expect(page.body).toMatch(/<li data-tipo="contato" class="falhou">/);
      const api = await app.inject({ method: 'POST', url: `/v1/endpoints/${id}/validate`, headers: { authorization: `Bearer ${key}` } });
      expect(api.json().eventos[0]).toMatchObject({ ok: true });
    } finally {
      await app.close();
      await producer.close();
      redis.disconnect();
      await endpoint.close();
      await database.drop();
    }
  }, 30_000);
});

describe('an embedded CRM file another process keeps locked', () => {
  it('answers 503 DATABASE_UNAVAILABLE with Retry-After once the busy timeout runs out, never a 500', async () => {
    const database = await createTestDatabase('sqlite');
    const ingress = await startTestIngress(database);
    const SQLite = require('better-sqlite3') as typeof import('better-sqlite3');
    const other = new SQLite(sqlitePath(database.url));
    try {
      const empresa = await createEmpresa(database.db, 'Trancada');
      const key = await issueApiKey(database.db, empresa, null, 'a');
      // Another process's write transaction holds the file past the busy timeout (5 s).
      other.exec('BEGIN IMMEDIATE');
      const res = await ingress.app.inject({
        method: 'POST',
        url: '/v1/endpoints',
        headers: { authorization: `Bearer ${key}`, 'accept-language': 'pt-BR' },
        payload: {
          nome: 'trancado',
          urlBase: 'https://erp.example.com',
          autenticacao: 'nenhuma',
          eventos: [{ tipo: 'contato', url: 'https://erp.example.com/contatos' }],
        },
      });
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('1');
      expect(res.json()).toMatchObject({ error: { code: 'DATABASE_UNAVAILABLE', message: expect.stringContaining('tente novamente') } });
    } finally {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
      await ingress.close();
      await database.drop();
    }
  }, 30_000);
});
