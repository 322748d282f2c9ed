import { createLogger } from '@integrador/logging';
import { createRedis, type JobProducer, pingProcessor, type QueueHandlers, writeLimitsMirror } from '@integrador/queue';
import { createEmpresa, createFilial, issueApiKey } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { type LimitedWorker, startLimitedWorker } from '@integrador/test-support/limited-worker';
import { TEST_REDIS_URL, testPrefix } from '@integrador/test-support/redis-server';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { startTestIngress, type TestIngress } from '../../../test/support/test-ingress';

const logger = createLogger({ name: 'ingress-test', level: 'silent' });

describe('GET /v1/limits and the limit series of /metrics', () => {
  const prefix = testPrefix();
  let database: TestDatabase;
  let redis: Redis;
  let workerRedis: Redis;
  let producer: JobProducer;
  let limited: LimitedWorker;
  let app: FastifyInstance;
  let ingress: TestIngress;
  let a: number;
  let b: number;
  let filial: number;
  let keyA: string;
  let keyFilial: string;
  let keyB: string;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    workerRedis = createRedis(TEST_REDIS_URL, { role: 'worker' });
    ingress = await startTestIngress(database, { prefix });
    ({ app, redis, producer } = ingress);
    a = await createEmpresa(database.db, 'A');
    b = await createEmpresa(database.db, 'B');
    filial = await createFilial(database.db, a, 'Filial');
    keyA = await issueApiKey(database.db, a, null, 'a');
    keyFilial = await issueApiKey(database.db, a, filial, 'f');
    keyB = await issueApiKey(database.db, b, null, 'b');
    await writeLimitsMirror(redis, prefix, [
      { empresaId: a, filialId: null, connection: null, ratePerSecond: 5, burst: 1, maxConcurrency: 0 },
      { empresaId: a, filialId: filial + 1, connection: null, ratePerSecond: 0, burst: 1, maxConcurrency: 2 },
      { empresaId: a, filialId: null, connection: 'erp_ws', ratePerSecond: 3, burst: 3, maxConcurrency: 0 },
      { empresaId: b, filialId: null, connection: null, ratePerSecond: 100, burst: 100, maxConcurrency: 0 },
    ]);
    limited = await startLimitedWorker({
      redis: workerRedis,
      prefix,
      queue: 'cti',
      concurrency: 5,
      pollMs: 200,
      logger,
      // Only pings are enqueued here; the cti queue's other job kinds are not under test.
      handlers: { 'system.ping': pingProcessor } as QueueHandlers<'cti'>,
    });
  });

  afterAll(async () => {
    await limited.close();
    await ingress.close();
    workerRedis.disconnect();
    await database.drop();
  });

  const get = (url: string, key?: string) => app.inject({ method: 'GET', url, headers: key ? { authorization: `Bearer ${key}` } : {} });

  it('shows the tenant its own limits, the current rate and the jobs delayed by them', async () => {
    const tenant = { empresaId: a, filialId: null };
    await Promise.all(Array.from({ length: 20 }, () => producer.enqueue('cti', 'system.ping', { tenant, sleepMs: 0 })));
    // 5/s with a burst of 1: some run at once, the rest (spread over 4 s) wait for their slot. The counters reach Redis
    // on the limiter's poll and the rate counts whole seconds past, so read until they show the first five (about a
    // second in; a fixed 1.5 s pause saw fewer when a busy machine started the jobs late).
    type Own = { limit: unknown; admittedTotal: number; delayedTotal: { rate: number }; currentRate: number };
    let body: { delayedNow: number; limits: Record<string, unknown>[] };
    let own: Own;
    for (const deadline = Date.now() + 10000; ; await new Promise((r) => setTimeout(r, 100))) {
      const response = await get('/v1/limits', keyA);
      expect(response.statusCode).toBe(200);
      body = response.json() as typeof body;
      own = body.limits[0] as Own;
      if ((own.admittedTotal >= 5 && own.currentRate > 0) || Date.now() > deadline) break;
    }
    expect(body.limits.map((l) => [l.filialId, l.connection])).toEqual([
      [null, null],
      [filial + 1, null],
      [null, 'erp_ws'],
    ]);
    expect(own.limit).toEqual({ ratePerSecond: 5, burst: 1, maxConcurrency: 0 });
    expect(own.admittedTotal).toBeGreaterThanOrEqual(5);
    expect(own.admittedTotal).toBeLessThan(20);
    expect(own.delayedTotal.rate).toBeGreaterThanOrEqual(5);
    expect(own.currentRate).toBeGreaterThan(0);
    expect(body.delayedNow).toBeGreaterThan(0);

    // A filial key sees the empresa-wide limits and its filial's, never another filial's; B sees only B's.
    const fromFilial = (await get('/v1/limits', keyFilial)).json() as { limits: { filialId: number | null }[] };
    expect(fromFilial.limits.every((l) => l.filialId === null)).toBe(true);
    const fromB = (await get('/v1/limits', keyB)).json() as { limits: { limit: { ratePerSecond: number } }[] };
    expect(fromB.limits.map((l) => l.limit.ratePerSecond)).toEqual([100]);
    expect((await get('/v1/limits')).statusCode).toBe(401);
  }, 20000);

  it('exports every scope in /metrics, apart from the queue series', async () => {
    const text = (await get('/metrics')).body;
    expect(text).toContain(`integrador_limit_rate_per_second{empresa_id="${a}",filial_id="",connection=""} 5`);
    expect(text).toContain(`integrador_limit_rate_per_second{empresa_id="${a}",filial_id="",connection="erp_ws"} 3`);
    expect(text).toContain(`integrador_limit_max_concurrency{empresa_id="${a}",filial_id="${filial + 1}",connection=""} 2`);
    expect(text).toMatch(
      new RegExp(`integrador_limit_delayed_total\\{empresa_id="${a}",filial_id="",connection="",reason="rate"\\} [1-9]`),
    );
    expect(text).toMatch(new RegExp(`integrador_limit_admitted_total\\{empresa_id="${a}",filial_id="",connection=""\\} [1-9]`));
    expect(text).toMatch(/integrador_limit_current_rate\{/);
    expect(text).toMatch(/integrador_limit_concurrency_in_use\{/);
  });

  it('shows a queued (fairness-prioritized) job as waiting in GET /v1/jobs', async () => {
    // No worker runs on the get queue here: the job stays queued.
    const job = await producer.enqueue('get', 'system.ping', { tenant: { empresaId: b, filialId: null }, sleepMs: 0 });
    expect(await job.getState()).toBe('prioritized');
    const response = await get(`/v1/jobs/get/${job.id}`, keyB);
    expect(response.json()).toMatchObject({ id: job.id, state: 'waiting' });
  });

  it('counts jobs waiting for a concurrency slot, shows no burst without a rate, and each tenant only its own figures', async () => {
    // C: one job at a time, no rate; D: a rate of 2/s with a burst of 2, nothing queued.
    const c = await createEmpresa(database.db, 'C');
    const d = await createEmpresa(database.db, 'D');
    const [keyC, keyD] = [await issueApiKey(database.db, c, null, 'c'), await issueApiKey(database.db, d, null, 'd')];
    await writeLimitsMirror(redis, prefix, [
      { empresaId: c, filialId: null, connection: null, ratePerSecond: 0, burst: 1, maxConcurrency: 1 },
      { empresaId: d, filialId: null, connection: null, ratePerSecond: 2, burst: 2, maxConcurrency: 0 },
    ]);
    await new Promise((r) => setTimeout(r, 600)); // the limiter's poll (200 ms) picks the mirror up
    const tenant = { empresaId: c, filialId: null };
    await Promise.all(Array.from({ length: 4 }, () => producer.enqueue('cti', 'system.ping', { tenant, sleepMs: 3000 })));
    type Body = {
      delayedNow: number;
      delayedNowByReason: { rate: number; concurrency: number };
      limits: { limit: unknown; activeNow: number; admittedTotal: number }[];
    };
    let fromC: Body;
    for (const deadline = Date.now() + 8000; ; await new Promise((r) => setTimeout(r, 100))) {
      fromC = (await get('/v1/limits', keyC)).json() as Body;
      if (fromC.delayedNowByReason.concurrency >= 3 || Date.now() > deadline) break;
    }
    // One runs, the three others wait for its slot: that is what "delayed now" says.
    expect(fromC.delayedNowByReason).toEqual({ rate: 0, concurrency: 3 });
    expect(fromC.delayedNow).toBe(3);
    expect(fromC.limits).toEqual([expect.objectContaining({ limit: { ratePerSecond: 0, burst: null, maxConcurrency: 1 }, activeNow: 1 })]);
    // D's key sees D's limit and nothing of C's jobs or slots.
    const fromD = (await get('/v1/limits', keyD)).json() as Body;
    expect(fromD.delayedNow).toBe(0);
    expect(fromD.delayedNowByReason).toEqual({ rate: 0, concurrency: 0 });
    expect(fromD.limits).toEqual([
      expect.objectContaining({ limit: { ratePerSecond: 2, burst: 2, maxConcurrency: 0 }, activeNow: 0, admittedTotal: 0 }),
    ]);
  }, 30000);
});
