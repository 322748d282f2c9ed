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

  /** A plan step that holds its request in the route until `open`, saying when it got there. */
  function held(then: () => never) {
    let enter: () => void = () => {};
    const entered = new Promise<void>((resolve) => {
      enter = resolve;
    });
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    plan.push(async () => {
      enter();
      await gate;
      then();
    });
    return { entered, open };
  }
  const refuse = (status: number) => () => {
    throw new HttpError(status, 'IDEMPOTENCY_KEY_REUSED');
  };

  /** The binding of a key this test alone used (every earlier binding deleted before its first request). */
  const bindingOf = async () => {
    const names = await redis.keys(`${prefix}:idem-key:*`);
    return names.filter((name) => !/:(shared|answer|refused)$/.test(name));
  };

  it('a replay while the first request runs is a 409 that does not hold the key: the refused first request frees it', async () => {
    // A binds the key and waits in the route; B (same body) replays it: 409 in progress; C (another body): 422.
    const a = held(refuse(409));
    const first = send('POST', 'race-1', { n: 1 });
    await a.entered;
    expect(await send('POST', 'race-1', { n: 1 })).toBe(409);
    expect(await send('POST', 'race-1', { n: 2 })).toBe(422);
    a.open();
    expect(await first).toBe(409);
    // B did nothing and withdrew its mark, so A's refusal freed the key: the corrected body may use it.
    expect(await send('POST', 'race-1', { n: 2 })).toBe(202);
  });

  it('a replay refused with a 4xx leaves the key as it found it; a replay accepted still holds it', async () => {
    for (const name of await redis.keys(`${prefix}:idem-key:*`)) await redis.del(name);
    // A fails with a 503 (the key stays bound, no answer kept): its replays run the route.
    plan.push(async () => {
      throw new QueueUnavailableError('Redis down');
    });
    expect(await send('POST', 'refused-replay-1', { n: 1 })).toBe(503);
    const [binding] = await bindingOf();
    expect(binding).toBeDefined();
    // B replays and is refused (404): no replay holds the binding afterwards.
    plan.push(async () => refuse(404)());
    expect(await send('POST', 'refused-replay-1', { n: 1 })).toBe(404);
    expect(await redis.exists(`${binding}:shared`)).toBe(0);
    // C replays and is accepted: it holds the binding, and its answer answers the next replay.
    expect(await send('POST', 'refused-replay-1', { n: 1 })).toBe(202);
    expect(await redis.scard(`${binding}:shared`)).toBe(1);
    expect(await send('POST', 'refused-replay-1', { n: 2 })).toBe(422);

    // A marker written before replays were named (a plain '1', until it expires) is left as it is.
    for (const name of await redis.keys(`${prefix}:idem-key:*`)) await redis.del(name);
    plan.push(async () => {
      throw new QueueUnavailableError('Redis down');
    });
    expect(await send('POST', 'legacy-1', { n: 1 })).toBe(503);
    const [legacy] = await bindingOf();
    await redis.set(`${legacy}:shared`, '1', 'EX', 60);
    plan.push(async () => refuse(404)());
    expect(await send('POST', 'legacy-1', { n: 1 })).toBe(404);
    expect(await redis.get(`${legacy}:shared`)).toBe('1');
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
