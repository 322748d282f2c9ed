import { EnqueueOutcomeUnknownError, QueueUnavailableError } from '@integrador/queue';
import { deletePrefix, TEST_REDIS_URL, testPrefix } from '@integrador/test-support/redis-server';
import Fastify, { type FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { AJV_OPTIONS } from '../build-app';
import { HttpError } from '../http-error';
import { registerErrorHandler } from './error-handler';
import { registerIdempotencyBinding } from './idempotency-binding';

/**
 * When the request that bound an Idempotency-Key frees it: a real Fastify with the ingress's error handler and binding
 * plugin, a real Redis, and a route whose answers the test scripts one request at a time.
 */
describe('freeing an Idempotency-Key binding', () => {
  const prefix = testPrefix();
  let redis: Redis;
  let app: FastifyInstance;
  /** What the route does for the next requests, in order (default: 202). */
  let plan: Array<() => Promise<unknown>> = [];
  /** Settled after the binding's onResponse hook (registered before this one) has run for a request. */
  const responded = new Map<string, () => void>();
  let sent = 0;

  beforeAll(async () => {
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    app = Fastify({ ajv: { customOptions: AJV_OPTIONS } });
    registerErrorHandler(app);
    app.addHook('onRequest', async (request) => {
      Object.assign(request, { tenant: { empresaId: 1, filialId: null } });
    });
    registerIdempotencyBinding(app, redis, prefix, 2000);
    app.addHook('onResponse', async (request) => {
      responded.get(String(request.headers['x-test-request']))?.();
    });
    app.post('/t/:name', async (_request, reply) => {
      const step = plan.shift();
      if (step) await step();
      return reply.status(202).send({ ok: true });
    });
    app.get('/t/:name', async () => ({ ok: true }));
    app.options('/t/:name', async () => ({ ok: true }));
    await app.ready();
  });

  afterAll(async () => {
    await app.close();
    redis.disconnect();
    await deletePrefix(TEST_REDIS_URL, prefix);
  });

  beforeEach(() => {
    plan = [];
  });

  /** A request, answered once every onResponse hook (the release among them) has run. */
  const send = async (method: 'POST' | 'HEAD' | 'OPTIONS', key: string, payload?: object) => {
    const id = String(++sent);
    const done = new Promise<void>((resolve) => responded.set(id, resolve));
    const headers = { 'idempotency-key': key, 'x-test-request': id };
    const response = await app.inject({ method, url: '/t/x', headers, ...(payload ? { payload } : {}) });
    await done;
    return response.statusCode;
  };

  it('keeps the key bound when a replay matched it before the first request was refused', async () => {
    let enter: () => void = () => {};
    const entered = new Promise<void>((resolve) => {
      enter = resolve;
    });
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    // A binds the key and waits in the route; B (same body) replays it: 409 in progress (A's answer is not known yet);
    // then A is refused (409).
    plan.push(async () => {
      enter();
      await gate;
      throw new HttpError(409, 'IDEMPOTENCY_KEY_REUSED');
    });
    const first = send('POST', 'race-1', { n: 1 });
    await entered;
    expect(await send('POST', 'race-1', { n: 1 })).toBe(409);
    open();
    expect(await first).toBe(409);
    // C, another body under the key B matched: refused.
    expect(await send('POST', 'race-1', { n: 2 })).toBe(422);
  });

  it('frees the key of a request refused with a 4xx that nothing replayed', async () => {
    plan.push(async () => {
      throw new HttpError(409, 'IDEMPOTENCY_KEY_REUSED');
    });
    expect(await send('POST', 'refused-1', { n: 1 })).toBe(409);
    expect(await send('POST', 'refused-1', { n: 2 })).toBe(202);
  });

  it('keeps the key on a 503 (part of the work may be done: only the same request may use it again)', async () => {
    plan.push(async () => {
      throw new QueueUnavailableError('Redis down');
    });
    expect(await send('POST', 'down-1', { n: 1 })).toBe(503);
    expect(await send('POST', 'down-1', { n: 2 })).toBe(422);
    expect(await send('POST', 'down-1', { n: 1 })).toBe(202);

    plan.push(async () => {
      throw new EnqueueOutcomeUnknownError('no answer');
    });
    expect(await send('POST', 'unknown-1', { n: 1 })).toBe(503);
    expect(await send('POST', 'unknown-1', { n: 2 })).toBe(422);
  });

  it('marks a replayed binding for no longer than the binding lives (a later binding of the key must not inherit it)', async () => {
    // Only this test's binding: the earlier tests' keys would otherwise be picked below.
    for (const name of await redis.keys(`${prefix}:idem-key:*`)) await redis.del(name);
    expect(await send('POST', 'ttl-1', { n: 1 })).toBe(202);
    const [binding] = await redis.keys(`${prefix}:idem-key:*`).then((keys) => keys.filter((k) => !/:(shared|answer)$/.test(k)));
    expect(binding).toBeDefined();
    for (const name of await redis.keys(`${prefix}:idem-key:*`)) if (name !== binding) await redis.del(name);
    await redis.pexpire(binding as string, 60_000);
    expect(await send('POST', 'ttl-1', { n: 1 })).toBe(202);
    const marker = await redis.pttl(`${binding}:shared`);
    expect(marker).toBeGreaterThan(0);
    expect(marker).toBeLessThanOrEqual(60_000);
  });

  it('ignores the key on HEAD and OPTIONS, as on GET', async () => {
    expect(await send('HEAD', 'safe-1')).toBe(200);
    expect(await send('OPTIONS', 'safe-1')).toBe(200);
    expect(await send('POST', 'safe-1', { n: 1 })).toBe(202);
  });
});
