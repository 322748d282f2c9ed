import { createHash } from 'node:crypto';
import { deletePrefix, TEST_REDIS_URL, testPrefix } from '@integrador/test-support/redis-server';
import { Redis } from 'ioredis';
import { bindIdempotencyKey, releaseIdempotencyKey, requestFingerprint, withdrawIdempotencyReplay } from './idempotency';

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

  beforeAll(() => {
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    redis.disconnect();
    await deletePrefix(TEST_REDIS_URL, prefix);
  });

  it('frees the key when the last replay out is refused after the first request was', async () => {
    expect(await bindIdempotencyKey(redis, prefix, tenant, 'k-1', 'A', 'first')).toBe('bound');
    expect(await bindIdempotencyKey(redis, prefix, tenant, 'k-1', 'A', 'b')).toBe('same');
    expect(await bindIdempotencyKey(redis, prefix, tenant, 'k-1', 'A', 'c')).toBe('same');
    await releaseIdempotencyKey(redis, prefix, tenant, 'k-1', 'A');
    expect(await bindIdempotencyKey(redis, prefix, tenant, 'k-1', 'B', 'd')).toBe('reused');
    await withdrawIdempotencyReplay(redis, prefix, tenant, 'k-1', 'b');
    // c is still out: the key stays bound.
    expect(await bindIdempotencyKey(redis, prefix, tenant, 'k-1', 'B', 'd')).toBe('reused');
    await withdrawIdempotencyReplay(redis, prefix, tenant, 'k-1', 'c');
    expect(await bindIdempotencyKey(redis, prefix, tenant, 'k-1', 'B', 'e')).toBe('bound');
  });

  it('keeps the key when a replay out was not refused', async () => {
    expect(await bindIdempotencyKey(redis, prefix, tenant, 'k-2', 'A', 'first')).toBe('bound');
    expect(await bindIdempotencyKey(redis, prefix, tenant, 'k-2', 'A', 'b')).toBe('same');
    expect(await bindIdempotencyKey(redis, prefix, tenant, 'k-2', 'A', 'c')).toBe('same');
    await releaseIdempotencyKey(redis, prefix, tenant, 'k-2', 'A');
    await withdrawIdempotencyReplay(redis, prefix, tenant, 'k-2', 'b');
    expect(await bindIdempotencyKey(redis, prefix, tenant, 'k-2', 'B', 'd')).toBe('reused');
  });
});
