import { request as httpRequest } from 'node:http';
import { EnqueueOutcomeUnknownError, type IdempotencyStore, QueueUnavailableError } from '@integrador/queue';
import { deletePrefix, TEST_REDIS_URL, testPrefix } from '@integrador/test-support/redis-server';
import { WebhookError } from '@integrador/webhooks';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { Redis } from 'ioredis';
import { AJV_OPTIONS } from '../build-app';
import { HttpError } from '../http-error';
import { registerErrorHandler } from './error-handler';
import { IDEMPOTENT_ANSWER_MAX_BYTES, registerIdempotencyBinding } from './idempotency-binding';

/**
 * When the request that bound an Idempotency-Key frees it: a real Fastify with the ingress's error handler and binding
 * plugin, a real Redis, and a route whose answers the test scripts one request at a time.
 */
describe('freeing an Idempotency-Key binding', () => {
  const prefix = testPrefix();
  let redis: Redis;
  let app: FastifyInstance;
  /** What the route does for the next requests, in order (default: 202). */
  let plan: Array<(reply: FastifyReply) => Promise<unknown>> = [];
  /** Settled after the binding's onResponse hook (registered before this one) has run for a request. */
  const responded = new Map<string, () => void>();
  /** Settled after the binding's onSend hook (registered before this one) has run for a request. */
  const sentOff = new Map<string, () => void>();
  let sent = 0;
  /** How many times a route handler ran. */
  let runs = 0;
  /** Set when WEBHOOK_SECRET_KEY "changed": a kept answer no longer opens. */
  let unreadable = false;
  /** Set when this host "runs without" WEBHOOK_SECRET_KEY: openSecret's refusal. */
  let keyMissing = false;
  const sealing = {
    seal: (text: string) => `sealed:${text}`,
    open: (stored: string) => {
      if (keyMissing) throw new WebhookError('WEBHOOK_SECRET_KEY_MISSING', 503);
      if (unreadable) throw new Error('Unsupported state or unable to authenticate data');
      return stored.slice('sealed:'.length);
    },
  };
  const logged: string[] = [];
  /** The /abandon route's steps: its client is gone (`gone`), it may end (`gate`, opened by `open`), it ended. */
  const abandon = {
    gone: () => {},
    gate: Promise.resolve(),
    open: () => {},
    ended: () => {},
  };
  /** Set to lose the reply of the next binding script that marks a replay: it ran in Redis, the ingress saw an error. */
  let loseNextReplayReply = false;

  beforeAll(async () => {
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    const stream = { write: (line: string) => logged.push(line) };
    app = Fastify({ ajv: { customOptions: AJV_OPTIONS }, logger: { level: 'warn', stream } });
    registerErrorHandler(app);
    app.addHook('onRequest', async (request) => {
      Object.assign(request, { tenant: { empresaId: 1, filialId: null } });
    });
    // The connection's scripts, each wrapped as it is defined: the one that marks a replay (sadd) may lose its reply.
    const commands = redis as unknown as Record<string, (...args: string[]) => Promise<unknown>>;
    const store: IdempotencyStore & Record<string, unknown> = {
      defineCommand: (name, definition) => {
        redis.defineCommand(name, definition);
        store[name] = async (...args: string[]) => {
          const result = await commands[name]?.apply(redis, args);
          if (loseNextReplayReply && definition.lua.includes('sadd')) {
            loseNextReplayReply = false;
            throw new QueueUnavailableError('connection lost');
          }
          return result;
        };
      },
    };
    registerIdempotencyBinding(app, store, prefix, 2000, sealing);
    app.addHook('onSend', async (request, _reply, payload) => {
      sentOff.get(String(request.headers['x-test-request']))?.();
      return payload;
    });
    app.addHook('onResponse', async (request) => {
      responded.get(String(request.headers['x-test-request']))?.();
    });
    app.post('/t/:name', async (_request, reply) => {
      runs++;
      const step = plan.shift();
      if (step) await step(reply);
      return reply.status(202).send({ ok: true });
    });
    app.post('/read-only/:name', { config: { idempotentAnswer: false } }, async () => {
      runs++;
      return { ok: true };
    });
    app.post('/large/:name', async () => {
      runs++;
      return { text: 'x'.repeat(IDEMPOTENT_ANSWER_MAX_BYTES) };
    });
    // Answers 409, and a later onSend hook than the binding's drops the connection before the answer is written: the
    // binding's onSend saw it open, and no onResponse comes.
    app.post(
      '/cut/:name',
      {
        onSend: async (request, _reply, payload) => {
          request.raw.socket?.destroy();
          return payload;
        },
      },
      async () => {
        runs++;
        throw new HttpError(409, 'IDEMPOTENCY_KEY_REUSED');
      },
    );
    // Sent with x-abandon: runs on after its client hung up until `abandon.open`, then ends answering nothing (Fastify
    // sends nothing then). Without: answers an empty 200.
    app.post('/abandon/:name', async (request) => {
      runs++;
      if (request.headers['x-abandon'] === undefined) return undefined;
      if (!request.raw.socket.destroyed) await new Promise((resolve) => request.raw.socket.once('close', resolve));
      abandon.gone();
      await abandon.gate;
      abandon.ended();
      return undefined;
    });
    app.get('/t/:name', async () => ({ ok: true }));
    app.options('/t/:name', async () => ({ ok: true }));
    // Listening too: a client that hangs up needs a real connection (inject has none to lose).
    await app.listen({ port: 0, host: '127.0.0.1' });
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
  const send = async (method: 'POST' | 'HEAD' | 'OPTIONS', key: string, payload?: object, url = '/t/x') => {
    const id = String(++sent);
    const done = new Promise<void>((resolve) => responded.set(id, resolve));
    const headers = { 'idempotency-key': key, 'x-test-request': id };
    const response = await app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
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
  /**
   * A request over HTTP whose client hangs up once the route holds it; the route then goes on (`then`) after the
   * server saw the connection close. Settled once the binding's onSend hook has run (no onResponse comes).
   */
  async function sendAndHangUp(key: string, payload: object, then: () => Promise<unknown> | undefined) {
    const id = String(++sent);
    const done = new Promise<void>((resolve) => sentOff.set(id, resolve));
    let enter: () => void = () => {};
    const entered = new Promise<void>((resolve) => {
      enter = resolve;
    });
    plan.push(async (reply) => {
      enter();
      if (!reply.raw.destroyed) await new Promise((resolve) => reply.raw.once('close', resolve));
      await then();
    });
    const { port } = app.server.address() as { port: number };
    const headers = { 'idempotency-key': key, 'x-test-request': id, 'content-type': 'application/json' };
    const client = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/t/x', headers });
    client.on('error', () => {});
    client.end(JSON.stringify(payload));
    await entered;
    client.destroy();
    await done;
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
    plan.push(async () => {
      throw new QueueUnavailableError('Redis down');
    });
    expect(await send('POST', 'ttl-1', { n: 1 })).toBe(503);
    const [binding] = await redis.keys(`${prefix}:idem-key:*`).then((keys) => keys.filter((k) => !/:(shared|answer)$/.test(k)));
    expect(binding).toBeDefined();
    for (const name of await redis.keys(`${prefix}:idem-key:*`)) if (name !== binding) await redis.del(name);
    await redis.pexpire(binding as string, 60_000);
    expect(await send('POST', 'ttl-1', { n: 1 })).toBe(202);
    const marker = await redis.pttl(`${binding}:shared`);
    expect(marker).toBeGreaterThan(0);
    expect(marker).toBeLessThanOrEqual(60_000);
  });

  it('after a failed first request one replay runs the route; a replay meanwhile is in progress', async () => {
    plan.push(async () => {
      throw new QueueUnavailableError('Redis down');
    });
    expect(await send('POST', 'failed-1', { n: 1 })).toBe(503);
    runs = 0;
    const b = held(() => undefined as never);
    const replay = send('POST', 'failed-1', { n: 1 });
    await b.entered;
    expect(await send('POST', 'failed-1', { n: 1 })).toBe(409);
    b.open();
    expect(await replay).toBe(202);
    expect(runs).toBe(1);
    // The replay that ran answered: the next one is answered from it, nothing runs.
    expect(await send('POST', 'failed-1', { n: 1 })).toBe(202);
    expect(runs).toBe(1);
  });

  it('renews the pending marker while the route runs longer than the marker lives', async () => {
    for (const name of await redis.keys(`${prefix}:idem-key:*`)) await redis.del(name);
    const a = held(() => undefined as never);
    const first = send('POST', 'slow-1', { n: 1 });
    await a.entered;
    const [answer] = await redis.keys(`${prefix}:idem-key:*:answer`);
    // Past a third of the marker's life it is renewed to its full life (10 s); without renewal at most 6.4 s would be
    // left from then on. The tick may come late on a loaded machine: polled, never past the unrenewed marker's life.
    await new Promise((resolve) => setTimeout(resolve, 3600));
    let left = await redis.pttl(answer as string);
    for (let waited = 0; left <= 8000 && waited < 5000; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      left = await redis.pttl(answer as string);
    }
    expect(left).toBeGreaterThan(8000);
    expect(await send('POST', 'slow-1', { n: 1 })).toBe(409);
    a.open();
    expect(await first).toBe(202);
  }, 15_000);

  it('keeps no answer of a route flagged read-only, nor one over the size cap: a replay runs it again', async () => {
    runs = 0;
    for (const name of await redis.keys(`${prefix}:idem-key:*`)) await redis.del(name);
    expect(await send('POST', 'ro-1', { n: 1 }, '/read-only/x')).toBe(200);
    expect(await send('POST', 'ro-1', { n: 1 }, '/read-only/x')).toBe(200);
    expect(await send('POST', 'ro-1', { n: 1 }, '/read-only/x')).toBe(200);
    expect(runs).toBe(3);
    // The replays of a route that changes nothing leave no mark behind them.
    const [readOnly] = await bindingOf();
    expect(await redis.exists(`${readOnly}:shared`)).toBe(0);
    expect(await send('POST', 'large-1', { n: 1 }, '/large/x')).toBe(200);
    expect(await send('POST', 'large-1', { n: 1 }, '/large/x')).toBe(200);
    expect(runs).toBe(5);
    // Not kept, yet still bound: another body under the key is refused.
    expect(await send('POST', 'ro-1', { n: 2 }, '/read-only/x')).toBe(422);
  });

  it('a kept answer that no longer opens (the sealing key changed) is a 409 IDEMPOTENCY_ANSWER_UNREADABLE: the route does not run again', async () => {
    runs = 0;
    expect(await send('POST', 'sealed-1', { n: 1 })).toBe(202);
    unreadable = true;
    logged.length = 0;
    try {
      expect(await send('POST', 'sealed-1', { n: 1 })).toBe(409);
      expect(await send('POST', 'sealed-1', { n: 1 })).toBe(409);
      expect(runs).toBe(1);
    } finally {
      unreadable = false;
    }
    // Nothing was taken over: with the old key back, the replay is answered from the kept answer.
    expect(await send('POST', 'sealed-1', { n: 1 })).toBe(202);
    expect(runs).toBe(1);
    const warning = logged.map((line) => JSON.parse(line)).find((line) => /could not open/.test(line.msg));
    expect(warning).toBeDefined();
    expect(JSON.stringify(warning)).not.toContain('sealed:');
  });

  it.each([
    ['a pending marker of another shape (JSON, no token)', 'sealed:{"pending":true}'],
    ['an answer without a status', 'sealed:{"body":""}'],
    ['an answer whose body is not JSON', 'sealed:{"status":202,"body":"{not json"}'],
    ['an answer whose status is out of range', 'sealed:{"status":1000,"body":""}'],
    ['a JSON null', 'sealed:null'],
    ['a value that is not JSON at all', 'sealed:\u0000garbage'],
  ])(
    'an answer key an older release left as %s is a 409 IDEMPOTENCY_ANSWER_UNREADABLE: never a 500, never a second run',
    async (_case, planted) => {
      for (const name of await redis.keys(`${prefix}:idem-key:*`)) await redis.del(name);
      runs = 0;
      expect(await send('POST', 'rolling-1', { n: 1 })).toBe(202);
      const [binding] = await bindingOf();
      await redis.set(`${binding}:answer`, planted, 'EX', 60);
      const replay = await app.inject({ method: 'POST', url: '/t/x', headers: { 'idempotency-key': 'rolling-1' }, payload: { n: 1 } });
      expect(replay.statusCode).toBe(409);
      expect(replay.json()).toMatchObject({ error: { code: 'IDEMPOTENCY_ANSWER_UNREADABLE' } });
      expect(runs).toBe(1);
    },
  );

  it.each([
    ['the binding', ''],
    ['the answer', ':answer'],
    ['the replays', ':shared'],
    // Review rev2 #7: WITHDRAW reads it after the replay ran (a refused replay hit WRONGTYPE: a 500).
    ['the refused fingerprint', ':refused'],
  ])('a key an older release left in another Redis type (%s) is a 409 IDEMPOTENCY_ANSWER_UNREADABLE, not a 500', async (_case, suffix) => {
    for (const name of await redis.keys(`${prefix}:idem-key:*`)) await redis.del(name);
    runs = 0;
    plan.push(async () => {
      throw new QueueUnavailableError('Redis down');
    });
    expect(await send('POST', 'rolling-type-1', { n: 1 })).toBe(503);
    const [binding] = await bindingOf();
    await redis.del(`${binding}${suffix}`);
    await redis.hset(`${binding}${suffix}`, 'state', 'pending');
    const replay = await app.inject({ method: 'POST', url: '/t/x', headers: { 'idempotency-key': 'rolling-type-1' }, payload: { n: 1 } });
    expect(replay.statusCode).toBe(409);
    expect(replay.json()).toMatchObject({ error: { code: 'IDEMPOTENCY_ANSWER_UNREADABLE' } });
    expect(runs).toBe(1);
  });

  it('a kept answer on a host without WEBHOOK_SECRET_KEY is a 503 WEBHOOK_SECRET_KEY_MISSING: the route does not run again', async () => {
    runs = 0;
    expect(await send('POST', 'nokey-1', { n: 1 })).toBe(202);
    keyMissing = true;
    try {
      expect(await send('POST', 'nokey-1', { n: 1 })).toBe(503);
      expect(runs).toBe(1);
    } finally {
      keyMissing = false;
    }
    // Nothing held: with the key back, the replay is answered from the kept answer.
    expect(await send('POST', 'nokey-1', { n: 1 })).toBe(202);
    expect(runs).toBe(1);
  });

  it('a Redis error after the binding script ran leaves no replay mark nor pending marker behind', async () => {
    for (const name of await redis.keys(`${prefix}:idem-key:*`)) await redis.del(name);
    plan.push(async () => {
      throw new QueueUnavailableError('Redis down');
    });
    expect(await send('POST', 'lost-1', { n: 1 })).toBe(503);
    const [binding] = await bindingOf();
    loseNextReplayReply = true;
    expect(await send('POST', 'lost-1', { n: 1 })).toBe(503);
    expect(loseNextReplayReply).toBe(false);
    // Undone in the background, best effort.
    for (let i = 0; i < 100 && (await redis.exists(`${binding}:shared`, `${binding}:answer`)) > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await redis.exists(`${binding}:shared`)).toBe(0);
    expect(await redis.exists(`${binding}:answer`)).toBe(0);
    // The next replay runs the route at once (no marker holds it off).
    expect(await send('POST', 'lost-1', { n: 1 })).toBe(202);
  });

  it('a first request whose client hung up leaves the key as its answer would: freed on a 4xx, held without a marker on a 503', async () => {
    for (const name of await redis.keys(`${prefix}:idem-key:*`)) await redis.del(name);
    // Refused after the client left: the key is free at once, so the corrected body may use it (not a 422).
    await sendAndHangUp('gone-1', { n: 1 }, async () => refuse(409)());
    expect(await bindingOf()).toEqual([]);
    expect(await send('POST', 'gone-1', { n: 2 })).toBe(202);

    // Failed (503) after the client left: still bound, but its pending marker is dropped: the same request replays
    // at once (not a 409 while the marker would lapse), another body is refused.
    for (const name of await redis.keys(`${prefix}:idem-key:*`)) await redis.del(name);
    await sendAndHangUp('gone-2', { n: 1 }, async () => {
      throw new QueueUnavailableError('Redis down');
    });
    const [binding] = await bindingOf();
    expect(binding).toBeDefined();
    expect(await redis.exists(`${binding}:answer`)).toBe(0);
    expect(await send('POST', 'gone-2', { n: 2 })).toBe(422);
    expect(await send('POST', 'gone-2', { n: 1 })).toBe(202);
  });

  it('a replay whose client hung up and that was refused withdraws its mark; an answered one keeps its answer', async () => {
    for (const name of await redis.keys(`${prefix}:idem-key:*`)) await redis.del(name);
    plan.push(async () => {
      throw new QueueUnavailableError('Redis down');
    });
    expect(await send('POST', 'gone-3', { n: 1 }, '/t/x')).toBe(503);
    const [binding] = await bindingOf();
    await sendAndHangUp('gone-3', { n: 1 }, async () => refuse(404)());
    expect(await redis.exists(`${binding}:shared`)).toBe(0);
    expect(await redis.exists(`${binding}:answer`)).toBe(0);
    // Answered (202) after the client left: the answer is kept, and the next replay is answered from it.
    runs = 0;
    await sendAndHangUp('gone-3', { n: 1 }, () => undefined);
    expect(runs).toBe(1);
    expect(await send('POST', 'gone-3', { n: 1 })).toBe(202);
    expect(runs).toBe(1);
  });

  /** A POST over HTTP (a connection to lose), the client hung up at once when `hangUp`; settled when its connection closed. */
  async function post(path: string, key: string, payload: object, hangUp?: Promise<void>) {
    const { port } = app.server.address() as { port: number };
    const headers = { 'idempotency-key': key, 'content-type': 'application/json', 'x-abandon': '1' };
    const client = httpRequest({ host: '127.0.0.1', port, method: 'POST', path, headers });
    const closed = new Promise<void>((resolve) => client.on('close', () => resolve()));
    client.on('error', () => {});
    client.on('response', (response) => response.resume());
    client.end(JSON.stringify(payload));
    if (hangUp) {
      await hangUp;
      client.destroy();
    }
    await closed;
  }

  /** Polls Redis until `check` holds (a settle runs in the background once no hook is left to await it). */
  async function eventually(check: () => Promise<boolean>): Promise<boolean> {
    for (let i = 0; i < 100; i++) {
      if (await check()) return true;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return check();
  }

  it("a client that hangs up after the binding's onSend ran, before the answer is written, still frees the key of its 4xx", async () => {
    for (const name of await redis.keys(`${prefix}:idem-key:*`)) await redis.del(name);
    runs = 0;
    await post('/cut/x', 'cut-1', { n: 1 });
    expect(runs).toBe(1);
    // Settled on the connection's close (no onResponse): the key is free, the corrected body may use it.
    expect(await eventually(async () => (await bindingOf()).length === 0)).toBe(true);
    await post('/cut/x', 'cut-1', { n: 2 });
    expect(runs).toBe(2);
  });

  it('a replay while the route of a client that hung up still runs is a 409; a route that then answers nothing frees the replay at once', async () => {
    for (const name of await redis.keys(`${prefix}:idem-key:*`)) await redis.del(name);
    runs = 0;
    const gone = new Promise<void>((resolve) => {
      abandon.gone = resolve;
    });
    abandon.gate = new Promise<void>((resolve) => {
      abandon.open = resolve;
    });
    const ended = new Promise<void>((resolve) => {
      abandon.ended = resolve;
    });
    const entered = eventually(async () => runs === 1);
    const first = post(
      '/abandon/x',
      'abandon-1',
      { n: 1 },
      entered.then(() => undefined),
    );
    await first;
    await gone;
    // The first request's client is gone, its route still runs: the replay must not run it alongside.
    const headers = { 'idempotency-key': 'abandon-1' };
    const replay = await app.inject({ method: 'POST', url: '/abandon/x', headers, payload: { n: 1 } });
    expect([replay.statusCode, replay.json().error.code]).toEqual([409, 'IDEMPOTENCY_KEY_IN_PROGRESS']);
    expect(runs).toBe(1);
    // The route ends answering nothing (no onSend, no onResponse): settled as a 5xx — still bound (another body is a
    // 422), its pending marker dropped, not renewed for IDEMPOTENCY_PENDING_MAX_MS — so the same request replays.
    abandon.open();
    await ended;
    const [binding] = await bindingOf();
    expect(binding).toBeDefined();
    expect(await eventually(async () => (await redis.exists(`${binding}:answer`)) === 0)).toBe(true);
    expect(await send('POST', 'abandon-1', { n: 2 }, '/abandon/x')).toBe(422);
    expect(await send('POST', 'abandon-1', { n: 1 }, '/abandon/x')).toBe(200);
    expect(runs).toBe(2);
  });

  it('ignores the key on HEAD and OPTIONS, as on GET', async () => {
    expect(await send('HEAD', 'safe-1')).toBe(200);
    expect(await send('OPTIONS', 'safe-1')).toBe(200);
    expect(await send('POST', 'safe-1', { n: 1 })).toBe(202);
  });
});
