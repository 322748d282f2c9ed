import { waitUntilReady } from '@integrador/queue';
import { type PrivateRedisIngress, startPrivateRedisIngress } from '../../../test/support/private-redis-ingress';

describe('ingress while Redis is down', () => {
  let ingress: PrivateRedisIngress;

  beforeAll(async () => {
    ingress = await startPrivateRedisIngress();
  });

  afterAll(() => ingress.close());

  const ping = () => ingress.ping();

  it('answers 503 with a clear body at once, and resumes by itself when Redis returns', async () => {
    const { app, server, redis, producer } = ingress;
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
  let ingress: PrivateRedisIngress;

  beforeAll(async () => {
    ingress = await startPrivateRedisIngress({ redisArgs: ['--maxmemory', '64mb', '--maxmemory-policy', 'allkeys-lru'] });
    await ingress.producer.guard.check();
  });

  afterAll(() => ingress.close());

  it('refuses to enqueue with 503 and says why, and is not ready', async () => {
    const { app, producer, key } = ingress;
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
