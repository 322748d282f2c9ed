import { deletePrefix, TEST_REDIS_URL, testPrefix } from '@integrador/test-support/redis-server';
import { Redis } from 'ioredis';
import type { DashboardDeps } from './deps';
import { LoginCounterUnavailableError, loginFailureKey, loginLockedFor, recordLoginFailure } from './login';

/** A login's failure count always carries an expiry, so a lock always ends (a real Redis). */
describe('the login failure lock', () => {
  const prefix = testPrefix();
  let redis: Redis;
  let deps: DashboardDeps;
  const limit = { max: 3, windowMs: 60_000 };

  beforeAll(() => {
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    deps = { redis, keyPrefix: prefix } as unknown as DashboardDeps;
  });

  afterAll(async () => {
    redis.disconnect();
    await deletePrefix(TEST_REDIS_URL, prefix);
  });

  it('starts the window with the first failure', async () => {
    await recordLoginFailure(deps, limit, 'Fresh ');
    const key = loginFailureKey(prefix, 'fresh');
    expect(await redis.get(key)).toBe('1');
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(limit.windowMs);
  });

  it('gives a count left without an expiry one on the next failure', async () => {
    // What INCR alone leaves when the key expired (or a success cleared it) just before it.
    const key = loginFailureKey(prefix, 'no-ttl');
    await redis.set(key, '1');
    await recordLoginFailure(deps, limit, 'no-ttl');
    expect(await redis.get(key)).toBe('2');
    expect(await redis.pttl(key)).toBeGreaterThan(0);
  });

  it('re-arms the window of a lock without an expiry, which then ends', async () => {
    const short = { max: 3, windowMs: 300 };
    const key = loginFailureKey(prefix, 'locked');
    await redis.set(key, '3');
    expect(await loginLockedFor(deps, short, 'locked')).toBe(1);
    expect(await redis.pttl(key)).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await loginLockedFor(deps, short, 'locked')).toBe(0);
  });

  it('fails closed when Redis cannot count: neither "not locked" nor a failure silently not counted', async () => {
    // A real client whose Redis is gone (quit): every command is refused, as when the server is down.
    const gone = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true });
    await gone.connect();
    await gone.quit();
    const down = { redis: gone, keyPrefix: prefix } as unknown as DashboardDeps;
    await expect(loginLockedFor(down, limit, 'anyone')).rejects.toBeInstanceOf(LoginCounterUnavailableError);
    await expect(recordLoginFailure(down, limit, 'anyone')).rejects.toBeInstanceOf(LoginCounterUnavailableError);
  });
});
