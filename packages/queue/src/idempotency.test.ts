import { createHash } from 'node:crypto';
import { freePort } from '@integrador/test-support/ports';
import { clusterUnsupported, keysBySlot, type PrivateRedis, startPrivateRedis } from '@integrador/test-support/redis-cluster';
import { openRedisMonitor } from '@integrador/test-support/redis-monitor';
import { deletePrefix, TEST_REDIS_URL, testPrefix } from '@integrador/test-support/redis-server';
import { Redis } from 'ioredis';
import {
  bindIdempotencyKey,
  dropIdempotencyPending,
  releaseIdempotencyKey,
  renewIdempotencyPending,
  requestFingerprint,
  storeIdempotentAnswer,
  withdrawIdempotencyReplay,
} from './idempotency';
import { createRedis, waitUntilReady } from './redis';

// The fingerprint walks the body without recursion: a body nested 20000 levels (JSON.parse takes it, < 1 MB) is
// fingerprinted, not a stack overflow (a 500 at the ingress).
describe('requestFingerprint', () => {
  const nested = (depth: number, leaf: unknown): unknown => {
    let value = leaf;
    for (let i = 0; i < depth; i++) value = { a: value };
    return value;
  };
  const request = (body: unknown) => ({ method: 'POST', route: '/v1/x', params: { id: '1' }, query: {}, body });

  it('fingerprints a body nested 20000 levels; the same body in another key order is the same request', () => {
    const deep = JSON.parse(`${'{"a":'.repeat(20000)}1${'}'.repeat(20000)}`);
    expect(requestFingerprint(request(deep))).toBe(requestFingerprint(request(nested(20000, 1))));
    expect(requestFingerprint(request(deep))).toMatch(/^[0-9a-f]{64}$/);
    expect(requestFingerprint(request(deep))).not.toBe(requestFingerprint(request(nested(20000, 2))));
    // Keys sorted, undefined left out, arrays kept in order: the canonical text the bindings already in Redis hold.
    const one = { b: [1, { y: 'x', x: null }], a: { d: true, c: 'é' }, u: undefined };
    const other = { a: { c: 'é', d: true }, b: [1, { x: null, y: 'x' }] };
    expect(requestFingerprint(request(one))).toBe(requestFingerprint(request(other)));
    expect(requestFingerprint(request(one))).not.toBe(requestFingerprint(request({ ...other, b: [{ x: null, y: 'x' }, 1] })));
    expect(requestFingerprint(request([]))).not.toBe(requestFingerprint(request({})));
    const text =
      '{"body":{"a":{"c":"é","d":true},"b":[1,{"x":null,"y":"x"}]},"method":"POST","params":{"id":"1"},"query":{},"route":"/v1/x"}';
    expect(requestFingerprint(request(one))).toBe(createHash('sha256').update(text).digest('hex'));
  });
});

// The binding scripts on a real Redis: a replay still out when the first request is refused, refused in its turn
// after it, frees the key (the order a slow first request and a client's timed-out retry produce).
describe('releasing and withdrawing an Idempotency-Key', () => {
  const prefix = testPrefix();
  let redis: Redis;
  const tenant = { empresaId: 7, filialId: null };
  /** A bind by a request named `name` (its replay name and its pending token alike); its state. */
  const bind = async (key: string, fingerprint: string, name: string) =>
    (await bindIdempotencyKey(redis, prefix, tenant, key, fingerprint, name, name)).state;

  beforeAll(() => {
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    redis.disconnect();
    await deletePrefix(TEST_REDIS_URL, prefix);
  });

  it('frees the key when the last replay out is refused after the first request was', async () => {
    expect(await bind('k-1', 'A', 'first')).toBe('bound');
    // The first request failed (5xx, its marker dropped): b runs, c finds b's marker; b fails too, c runs.
    await dropIdempotencyPending(redis, prefix, tenant, 'k-1', 'first');
    expect(await bind('k-1', 'A', 'b')).toBe('run');
    expect(await bind('k-1', 'A', 'c')).toBe('pending');
    await dropIdempotencyPending(redis, prefix, tenant, 'k-1', 'b');
    expect(await bind('k-1', 'A', 'c')).toBe('run');
    await releaseIdempotencyKey(redis, prefix, tenant, 'k-1', 'A');
    expect(await bind('k-1', 'B', 'd')).toBe('reused');
    await withdrawIdempotencyReplay(redis, prefix, tenant, 'k-1', 'b');
    // c is still out: the key stays bound.
    expect(await bind('k-1', 'B', 'd')).toBe('reused');
    await withdrawIdempotencyReplay(redis, prefix, tenant, 'k-1', 'c');
    await dropIdempotencyPending(redis, prefix, tenant, 'k-1', 'c');
    expect(await bind('k-1', 'B', 'e')).toBe('bound');
  });

  it('keeps the key when a replay out was not refused', async () => {
    expect(await bind('k-2', 'A', 'first')).toBe('bound');
    await dropIdempotencyPending(redis, prefix, tenant, 'k-2', 'first');
    expect(await bind('k-2', 'A', 'b')).toBe('run');
    await dropIdempotencyPending(redis, prefix, tenant, 'k-2', 'b');
    expect(await bind('k-2', 'A', 'c')).toBe('run');
    await releaseIdempotencyKey(redis, prefix, tenant, 'k-2', 'A');
    await withdrawIdempotencyReplay(redis, prefix, tenant, 'k-2', 'b');
    expect(await bind('k-2', 'B', 'd')).toBe('reused');
  });
});

// The pending marker on a real Redis: bound and marked in one step, held by one request at a time, renewed and dropped
// by its holder alone.
describe('the pending marker of an Idempotency-Key', () => {
  const prefix = testPrefix();
  let redis: Redis;
  const tenant = { empresaId: 8, filialId: 3 };
  const bind = async (key: string, fingerprint: string, name: string) =>
    (await bindIdempotencyKey(redis, prefix, tenant, key, fingerprint, name, name)).state;
  /** The answer key of the one binding under this test's prefix. */
  const answerKeyOf = async () => (await redis.keys(`${prefix}:idem-key:*:answer`))[0] as string;

  beforeAll(() => {
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  });
  afterEach(async () => {
    await deletePrefix(TEST_REDIS_URL, prefix);
  });
  afterAll(async () => {
    redis.disconnect();
    await deletePrefix(TEST_REDIS_URL, prefix);
  });

  /**
   * The commands a fresh connection sends for `run`, as MONITOR (a second connection) shows them: name and first
   * argument (the script's hash or text); none of the scripts' own calls inside Redis.
   */
  async function sentBy(run: (connection: Redis) => Promise<unknown>): Promise<string[][]> {
    const connection = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    const monitor = (await openRedisMonitor(connection)).connection;
    const marker = `${prefix}:monitor-marker-${Math.random()}`;
    const sent: string[][] = [];
    let markerSeen = false;
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (args.includes(marker)) markerSeen = true;
      else if (source !== 'lua' && args.some((arg) => arg.startsWith(`${prefix}:`))) sent.push(args.slice(0, 2));
    });
    try {
      await run(connection);
      // MONITOR shows a connection's commands in order: once the marker is seen, everything before it was.
      await connection.exists(marker);
      for (const deadline = Date.now() + 10000; !markerSeen; await new Promise((resolve) => setTimeout(resolve, 10)))
        if (Date.now() > deadline) throw new Error('MONITOR never showed the marker');
      return sent;
    } finally {
      monitor.disconnect();
      connection.disconnect();
    }
  }

  it('a key bound is pending in the same step: a replay right after the bind is in progress', async () => {
    // Every command the bind sends: one script, no window between binding and marking.
    const sent = await sentBy((connection) => bindIdempotencyKey(connection, prefix, tenant, 'p-1', 'A', 'r1', 't1'));
    expect(sent.map(([command]) => command?.toLowerCase())).toEqual([expect.stringMatching(/^eval(sha)?$/)]);
    expect(await bind('p-1', 'A', 'r2')).toBe('pending');
  });

  it("sends a script's text once per connection, then its hash, not the text on every call", async () => {
    await bind('p-sha', 'A', 'loaded');
    const sent = await sentBy(async (connection) => {
      for (const request of ['again', 'third']) {
        await bindIdempotencyKey(connection, prefix, tenant, 'p-sha', 'A', request, request);
        await dropIdempotencyPending(connection, prefix, tenant, 'p-sha', request);
      }
    });
    // ioredis loads each script on a connection with its first call (EVAL), then sends its SHA-1 (EVALSHA).
    expect(sent.map(([command]) => command?.toLowerCase())).toEqual(['eval', 'eval', 'evalsha', 'evalsha']);
    expect(sent.slice(2).every(([, script]) => /^[0-9a-f]{40}$/.test(script ?? ''))).toBe(true);
  });

  it('a request drops only its own marker: not the one of the request that bound the freed key next', async () => {
    expect(await bind('p-2', 'A', 'first')).toBe('bound');
    // The first request is refused: its release frees the key; a corrected request binds it before the first drops.
    await releaseIdempotencyKey(redis, prefix, tenant, 'p-2', 'A');
    expect(await bind('p-2', 'B', 'second')).toBe('bound');
    await dropIdempotencyPending(redis, prefix, tenant, 'p-2', 'first');
    expect(await bind('p-2', 'B', 'replay')).toBe('pending');
    await dropIdempotencyPending(redis, prefix, tenant, 'p-2', 'second');
    expect(await bind('p-2', 'B', 'replay')).toBe('run');
  });

  it('after a failed first request one replay runs, the others are in progress until it answers', async () => {
    expect(await bind('p-3', 'A', 'first')).toBe('bound');
    await dropIdempotencyPending(redis, prefix, tenant, 'p-3', 'first');
    const states = await Promise.all(['b', 'c', 'd', 'e'].map((name) => bind('p-3', 'A', name)));
    expect(states.filter((state) => state === 'run')).toHaveLength(1);
    expect(states.filter((state) => state === 'pending')).toHaveLength(3);
    const runner = ['b', 'c', 'd', 'e'][states.indexOf('run')] as string;
    expect(await storeIdempotentAnswer(redis, prefix, tenant, 'p-3', 'A', 'plain:answer')).toBe(true);
    await dropIdempotencyPending(redis, prefix, tenant, 'p-3', runner);
    expect(await bindIdempotencyKey(redis, prefix, tenant, 'p-3', 'A', 'f', 'f')).toEqual({ state: 'answered', stored: 'plain:answer' });
  });

  it('only the holder renews its marker', async () => {
    expect(await bind('p-4', 'A', 'first')).toBe('bound');
    const answer = await answerKeyOf();
    await redis.pexpire(answer, 2000);
    await renewIdempotencyPending(redis, prefix, tenant, 'p-4', 'other');
    expect(await redis.pttl(answer)).toBeLessThanOrEqual(2000);
    await renewIdempotencyPending(redis, prefix, tenant, 'p-4', 'first');
    expect(await redis.pttl(answer)).toBeGreaterThan(5000);
  });
});

// The scripts as commands on a Redis Cluster of three masters (what REDIS_CLUSTER_NODES gives the ingress): the
// client sends each script to the node holding the KEY_PREFIX's slot, loaded there on first use, its hash after.
(clusterUnsupported() ? describe.skip : describe)('an Idempotency-Key binding on a Redis Cluster', () => {
  let cluster: PrivateRedis | undefined;
  let redis: Redis | undefined;
  const prefix = '{idem-cluster}';
  const tenant = { empresaId: 7, filialId: null };

  beforeAll(async () => {
    cluster = await startPrivateRedis([await freePort(), await freePort(), await freePort()], { cluster: true });
    redis = createRedis(cluster.url, { role: 'producer', clusterNodes: cluster.nodes, commandTimeoutMs: 10000 });
    await waitUntilReady(redis);
  }, 60000);
  afterAll(async () => {
    redis?.disconnect();
    await cluster?.stop();
  });

  it('binds, meets, stores and replays keys, each script sent to the node of the slot', async () => {
    const connection = redis as Redis;
    const keys = Array.from({ length: 12 }, (_, i) => `cluster-${i}`);
    for (const key of keys) {
      expect((await bindIdempotencyKey(connection, prefix, tenant, key, 'A', 'first', 'first')).state).toBe('bound');
      expect((await bindIdempotencyKey(connection, prefix, tenant, key, 'B', 'other', 'other')).state).toBe('reused');
      expect(await storeIdempotentAnswer(connection, prefix, tenant, key, 'A', `answer of ${key}`)).toBe(true);
      expect(await bindIdempotencyKey(connection, prefix, tenant, key, 'A', 'replay', 'replay')).toEqual({
        state: 'answered',
        stored: `answer of ${key}`,
      });
    }
    // Every key of a binding under the fleet's hash-tagged KEY_PREFIX, in its one slot.
    const { slots } = await keysBySlot(cluster?.nodes ?? [], prefix);
    expect(slots.size).toBe(1);
  });
});
