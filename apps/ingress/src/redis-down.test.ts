import { emptyConnections } from '@integrador/connections';
import { createLogger } from '@integrador/logging';
import { createRedis, JobProducer, waitUntilReady } from '@integrador/queue';
import { createEmpresa, issueApiKey } from '@integrador/store';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { createTestDatabase, type TestDatabase } from '../../../test/support/databases';
import { type PrivateRedis, startPrivateRedis, testPrefix } from '../../../test/support/redis-server';
import { buildApp } from './build-app';

const logger = createLogger({ name: 'ingress-test', level: 'silent' });

describe('ingress while Redis is down', () => {
  let server: PrivateRedis;
  let database: TestDatabase;
  let redis: Redis;
  let producer: JobProducer;
  let app: FastifyInstance;
  let key: string;

  beforeAll(async () => {
    server = await startPrivateRedis();
    database = await createTestDatabase('sqlite');
    key = await issueApiKey(database.db, await createEmpresa(database.db, 'Empresa A'), null, 'a');
    const prefix = testPrefix();
    redis = createRedis(server.url, { role: 'producer', commandTimeoutMs: 500 });
    redis.on('error', () => {});
    await waitUntilReady(redis);
    producer = new JobProducer({ connection: redis, prefix, timeoutMs: 1000, logger });
    app = await buildApp({ database, redis, producer, connections: emptyConnections(), logger, keyPrefix: prefix, checkTimeoutMs: 1000 });
  });

  afterAll(async () => {
    await app.close();
    await producer.close();
    redis.disconnect();
    await server.stop();
    await database.drop();
  });

  const ping = () =>
    app.inject({ method: 'POST', url: '/v1/ping', headers: { authorization: `Bearer ${key}` }, payload: { queue: 'set' } });

  it('answers 503 with a clear body at once, and resumes by itself when Redis returns', async () => {
    expect((await ping()).statusCode).toBe(202);

    await server.stop();
    const started = Date.now();
    const refused = await ping();
    expect(Date.now() - started).toBeLessThan(1500);
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('5');
    // A request caught by the stop itself may have been sent before the connection closed: then the honest answer is
    // "unknown — retry with the same Idempotency-Key"; otherwise "nothing was enqueued". Never a 500, never a hang.
    const body = refused.json() as { error: { code: string; message: string } };
    if (body.error.code === 'ENQUEUE_OUTCOME_UNKNOWN') expect(body.error.message).toContain('Idempotency-Key');
    else expect(body).toEqual({ error: { code: 'QUEUE_UNAVAILABLE', message: expect.stringContaining('nada foi enfileirado') } });

    const ready = await app.inject('/readyz');
    expect(ready.statusCode).toBe(503);
    expect(ready.json().checks.database).toBe('ok');
    expect(ready.json().checks.redis).not.toBe('ok');
    expect((await app.inject('/healthz')).statusCode).toBe(200);
    const metrics = await app.inject('/metrics');
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toContain('integrador_redis_up 0');

    await server.start();
    await waitUntilReady(redis, 10000);
    const accepted = await ping();
    expect(accepted.statusCode).toBe(202);
    const job = await producer.getJob('set', accepted.json().jobId);
    expect(job?.name).toBe('system.ping');
    expect((await app.inject('/readyz')).statusCode).toBe(200);
  });
});

describe('ingress on a Redis that may evict keys', () => {
  let server: PrivateRedis;
  let database: TestDatabase;
  let redis: Redis;
  let producer: JobProducer;
  let app: FastifyInstance;

  beforeAll(async () => {
    server = await startPrivateRedis(['--maxmemory', '64mb', '--maxmemory-policy', 'allkeys-lru']);
    database = await createTestDatabase('sqlite');
    redis = createRedis(server.url, { role: 'producer' });
    await waitUntilReady(redis);
    producer = new JobProducer({ connection: redis, prefix: testPrefix(), timeoutMs: 1000, logger });
    await producer.guard.check();
    app = await buildApp({ database, redis, producer, connections: emptyConnections(), logger, keyPrefix: '{x}', checkTimeoutMs: 1000 });
  });

  afterAll(async () => {
    await app.close();
    await producer.close();
    redis.disconnect();
    await server.stop();
    await database.drop();
  });

  it('refuses to enqueue with 503 and says why, and is not ready', async () => {
    const key = await issueApiKey(database.db, await createEmpresa(database.db, 'Empresa A'), null, 'a');
    const response = await app.inject({
      method: 'POST',
      url: '/v1/ping',
      headers: { authorization: `Bearer ${key}`, 'accept-language': 'en' },
      payload: { queue: 'get' },
    });
    expect(response.statusCode).toBe(503);
    expect(response.json().error.code).toBe('REDIS_MISCONFIGURED');
    expect(response.json().error.message).toContain('maxmemory-policy "allkeys-lru"');
    expect(await producer.queue('get').count()).toBe(0);
    const ready = await app.inject('/readyz');
    expect(ready.statusCode).toBe(503);
    expect(ready.json().checks.redis).toContain('noeviction');
  });
});
