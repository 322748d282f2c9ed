import { type ChildProcess, spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { Writable } from 'node:stream';
import { saveCtiSettings } from '@integrador/cti';
import { createLogger } from '@integrador/logging';
import { createEmpresa, issueApiKey } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { testPrefix } from '@integrador/test-support/redis-server';
import { startTestIngress, type TestIngress } from '../../../test/support/test-ingress';
import type { IngressDeps } from './build-app';

// This suite's own loopback ports (two ingress replicas, one private Redis).
const PORTS = { first: 3130, second: 3131, redis: 3139 } as const;
const CTI = { domain: 'crm.test', trustedProxies: [], dedupeWindowMs: 2000, callTimeoutMs: 60000, popTokenTtlMs: 60000 };
// 3 requests back to back, then one every 5 s: a window long enough that no test straddles two.
const LIMITS: IngressDeps['admissionLimits'] = { cti: { perSecond: 0.2, burst: 3 }, api: { perSecond: 0.2, burst: 3 } };

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One real HTTP request to an ingress on loopback. */
function send(port: number, method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<Answer> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, method, path, headers: { ...headers, ...(payload ? { 'content-type': 'application/json' } : {}) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const errorOf = (answer: Answer) => (JSON.parse(answer.body) as { error?: { code: string; message: string } }).error;

describe('per-tenant admission limits (two ingress replicas, one Redis)', () => {
  let database: TestDatabase;
  const replicas: TestIngress[] = [];
  let empresaA: number;
  let empresaB: number;
  const keys: Record<'a' | 'a2' | 'b', string> = { a: '', a2: '', b: '' };

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    empresaA = await createEmpresa(database.db, 'Empresa A');
    empresaB = await createEmpresa(database.db, 'Empresa B');
    keys.a = await issueApiKey(database.db, empresaA, null, 'a');
    keys.a2 = await issueApiKey(database.db, empresaA, null, 'a, second key');
    keys.b = await issueApiKey(database.db, empresaB, null, 'b');
    await saveCtiSettings(database.db, empresaA, { hostLabel: 'acme', allowAnyOrigin: true });
    await saveCtiSettings(database.db, empresaB, { hostLabel: 'beta', allowAnyOrigin: true });
    // Both replicas on one key prefix: the same queues, the same counts.
    const prefix = testPrefix();
    for (const port of [PORTS.first, PORTS.second]) {
      const ingress = await startTestIngress(database, { prefix, deps: { cti: CTI, admissionLimits: LIMITS } });
      await ingress.app.listen({ host: '127.0.0.1', port });
      replicas.push(ingress);
    }
  });

  afterAll(async () => {
    for (const ingress of replicas.reverse()) await ingress.close();
    await database.drop();
  });

  const ping = (port: number, key: string, language = 'pt-BR') =>
    send(port, 'POST', '/v1/ping', { authorization: `Bearer ${key}`, 'accept-language': language }, { queue: 'set' });
  const jobsOf = async (queue: 'set' | 'cti', empresaId: number) => {
    const jobs = await (replicas[0] as TestIngress).producer.queue(queue).getJobs(['waiting', 'prioritized', 'delayed']);
    return jobs.filter((job) => (job.data as { tenant: { empresaId: number } }).tenant.empresaId === empresaId).length;
  };

  it('/v1 writes: the tenant over its budget gets 429 with Retry-After on any replica and any of its keys; another tenant is untouched', async () => {
    // The budget is shared by both replicas: 2 + 1 fill it.
    expect((await ping(PORTS.first, keys.a)).status).toBe(202);
    expect((await ping(PORTS.first, keys.a)).status).toBe(202);
    expect((await ping(PORTS.second, keys.a)).status).toBe(202);

    const refused = await ping(PORTS.second, keys.a);
    expect(refused.status).toBe(429);
    const wait = Number(refused.headers['retry-after']);
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(15);
    expect(errorOf(refused)).toEqual({
      code: 'TENANT_RATE_LIMITED',
      message: `limite de requisições da empresa excedido; esta requisição não foi aceita (nada foi alterado nem enfileirado): tente novamente em ${wait} s`,
    });
    // The count is the empresa's, whichever key or replica the request came through; English on request.
    const english = await ping(PORTS.first, keys.a2, 'en');
    expect([english.status, errorOf(english)?.message]).toEqual([429, expect.stringContaining("the empresa's request rate limit")]);
    // Reads are not counted.
    const read = await send(PORTS.first, 'GET', '/v1/integrations', { authorization: `Bearer ${keys.a}` });
    expect(read.status).toBe(200);

    // Tenant B, while A floods: its own budget, all admitted.
    for (let i = 0; i < 3; i++) expect((await ping(i % 2 ? PORTS.second : PORTS.first, keys.b)).status).toBe(202);

    // A refused request was not admitted: only A's three are on the queue.
    expect(await jobsOf('set', empresaA)).toBe(3);
    expect(await jobsOf('set', empresaB)).toBe(3);

    const metrics = (await send(PORTS.second, 'GET', '/metrics', {})).body;
    expect(metrics).toContain(`integrador_admission_refused_total{budget="api",empresa_id="${empresaA}"} 1`);
    expect(metrics).not.toContain(`empresa_id="${empresaB}"} `);
  });

  it('PBX listener events: the tenant the URL names is counted; over it, 429 with Retry-After and nothing enqueued', async () => {
    const event = (port: number, host: string, telefone: string) =>
      send(port, 'GET', `/wconnect/WConnect_WSDL_ConsultaRamal.php?ramal=3501&telefone=${telefone}`, { host });
    // Malformed events, more than the burst, while the tenant is under budget: each told what is wrong (400), none
    // counted, so the whole budget is still there for the good ones below.
    for (let i = 0; i < 4; i++) {
      const malformed = await send(
        i % 2 ? PORTS.second : PORTS.first,
        'GET',
        '/wconnect/WConnect_WSDL_ConsultaRamal.php?telefone=11900000009',
        {
          host: 'acme.crm.test',
        },
      );
      expect(malformed.status).toBe(400);
    }
    expect((await event(PORTS.first, 'acme.crm.test', '11900000001')).status).toBe(200);
    expect((await event(PORTS.second, 'acme.crm.test', '11900000002')).status).toBe(200);
    expect((await event(PORTS.first, 'acme.crm.test', '11900000003')).status).toBe(200);
    const refused = await event(PORTS.second, 'acme.crm.test', '11900000004');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(errorOf(refused)?.code).toBe('TENANT_RATE_LIMITED');
    // Over budget, a malformed event is still told what is wrong.
    expect(
      (await send(PORTS.first, 'GET', '/wconnect/WConnect_WSDL_ConsultaRamal.php?telefone=11900000009', { host: 'acme.crm.test' })).status,
    ).toBe(400);
    // The other tenant's PBX is untouched; the /v1 budget is a separate one.
    for (let i = 5; i < 8; i++) expect((await event(PORTS.first, 'beta.crm.test', `1190000000${i}`)).status).toBe(200);

    expect(await jobsOf('cti', empresaA)).toBe(3);
    expect(await jobsOf('cti', empresaB)).toBe(3);
    const metrics = (await send(PORTS.second, 'GET', '/metrics', {})).body;
    expect(metrics).toContain(`integrador_admission_refused_total{budget="cti",empresa_id="${empresaA}"} 1`);
  });
});

describe('per-tenant admission limits: the refusal metric keeps its tenant label bounded', () => {
  let database: TestDatabase;
  let ingress: TestIngress;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    ingress = await startTestIngress(database, {
      deps: { admissionLimits: { cti: LIMITS.cti, api: { perSecond: 0.2, burst: 1 } }, metricsTenantLabels: 1 },
    });
  });

  afterAll(async () => {
    await ingress.close();
    await database.drop();
  });

  it('METRICS_TENANT_LABELS=1: the most refused tenant has its own series, the others are summed as outros', async () => {
    const refusedTimes = [3, 1, 1];
    const ids: number[] = [];
    for (const [index, times] of refusedTimes.entries()) {
      const empresaId = await createEmpresa(database.db, `Empresa ${index}`);
      const key = await issueApiKey(database.db, empresaId, null, 'k');
      ids.push(empresaId);
      const statuses: number[] = [];
      for (let i = 0; i <= times; i++) {
        const answer = await ingress.app.inject({
          method: 'POST',
          url: '/v1/ping',
          headers: { authorization: `Bearer ${key}` },
          payload: { queue: 'set' },
        });
        statuses.push(answer.statusCode);
      }
      expect(statuses).toEqual([202, ...Array(times).fill(429)]);
    }
    const metrics = (await ingress.app.inject({ method: 'GET', url: '/metrics' })).body;
    const series = metrics.split('\n').filter((line) => line.startsWith('integrador_admission_refused_total{'));
    expect(series.sort()).toEqual(
      [
        `integrador_admission_refused_total{budget="api",empresa_id="${ids[0]}"} 3`,
        'integrador_admission_refused_total{budget="api",empresa_id="outros"} 2',
      ].sort(),
    );
  });
});

const startRedis = () =>
  spawn('redis-server', ['--port', String(PORTS.redis), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });

describe('per-tenant admission limits while Redis is down', () => {
  let database: TestDatabase;
  let ingress: TestIngress;
  let redisServer: ChildProcess;
  let key: string;
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });

  beforeAll(async () => {
    redisServer = startRedis();
    database = await createTestDatabase('sqlite');
    const empresaId = await createEmpresa(database.db, 'Empresa A');
    key = await issueApiKey(database.db, empresaId, null, 'a');
    await saveCtiSettings(database.db, empresaId, { hostLabel: 'acme', allowAnyOrigin: true });
    const deadline = Date.now() + 10000;
    for (;;) {
      try {
        ingress = await startTestIngress(database, {
          redisUrl: `redis://127.0.0.1:${PORTS.redis}`,
          commandTimeoutMs: 500,
          enqueueTimeoutMs: 1000,
          deps: { cti: CTI, admissionLimits: LIMITS, logger: createLogger({ name: 'ingress', level: 'warn', destination }) },
        });
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  });

  afterAll(async () => {
    redisServer.kill('SIGCONT');
    await ingress?.close().catch(() => undefined);
    redisServer.kill('SIGKILL');
    await database.drop();
  });

  it('admits (fail-open): an enqueue answers 503 QUEUE_UNAVAILABLE as before, a write that needs no Redis still works, never a 500', async () => {
    const { app } = ingress;
    const ping = () =>
      app.inject({ method: 'POST', url: '/v1/ping', headers: { authorization: `Bearer ${key}` }, payload: { queue: 'set' } });
    expect((await ping()).statusCode).toBe(202);
    const stopped = new Promise((r) => redisServer.once('exit', r));
    redisServer.kill('SIGTERM');
    await stopped;

    const refused = await ping();
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('5');
    expect(['QUEUE_UNAVAILABLE', 'ENQUEUE_OUTCOME_UNKNOWN']).toContain(refused.json().error.code);
    const event = await app.inject({
      url: '/wconnect/WConnect_WSDL_ConsultaRamal.php?ramal=3501&telefone=11987654321',
      headers: { host: 'acme.crm.test' },
    });
    expect(event.statusCode).toBe(503);
    // A /v1 write that touches only the database answers as it would with Redis up.
    const test = await app.inject({ method: 'POST', url: '/v1/connections/nenhuma/test', headers: { authorization: `Bearer ${key}` } });
    expect(test.statusCode).toBe(404);
    expect(lines.filter((line) => line.msg === 'admission limit unavailable, request admitted').map((line) => line.budget)).toEqual([
      'api',
      'cti',
      'api',
    ]);
  });

  it('a frozen Redis (SIGSTOP) costs the limiter one command timeout, then the enqueue answers 503 with Retry-After, never a 500', async () => {
    redisServer = startRedis();
    const { app, redis } = ingress;
    const deadline = Date.now() + 10000;
    while (redis.status !== 'ready' || (await redis.ping().catch(() => '')) !== 'PONG') {
      if (Date.now() > deadline) throw new Error('redis-server did not come back');
      await new Promise((r) => setTimeout(r, 100));
    }
    redisServer.kill('SIGSTOP');
    const started = Date.now();
    const answer = await app.inject({
      method: 'POST',
      url: '/v1/ping',
      headers: { authorization: `Bearer ${key}` },
      payload: { queue: 'set' },
    });
    // The limiter's command timeout (500 ms) and the enqueue's deadline (1 s), one after the other.
    expect(Date.now() - started).toBeLessThan(3000);
    expect(answer.statusCode).toBe(503);
    expect(answer.headers['retry-after']).toBe('5');
    // The limiter did ask Redis (and gave up on it, admitting) before the enqueue did.
    const own = lines.filter((line) => line.reqId === answer.headers['x-request-id']).map((line) => line.msg);
    expect(own[0]).toBe('admission limit unavailable, request admitted');
    redisServer.kill('SIGCONT');
  });
});
