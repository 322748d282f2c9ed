import { type PrivateRedis, startPrivateRedis, TEST_REDIS_URL } from '@integrador/test-support/redis-server';
import { Redis } from 'ioredis';
import { QueueUnavailableError, RedisConfigurationError } from './errors';
import { assertRedisSafe, createRedis, waitUntilReady, withRedisDeadline } from './redis';

describe('Redis connection rules', () => {
  it('accepts the machine Redis (noeviction, >= 6.2)', async () => {
    const redis = createRedis(TEST_REDIS_URL, { role: 'worker' });
    try {
      await expect(assertRedisSafe(redis)).resolves.toMatchObject({ policy: 'noeviction' });
    } finally {
      redis.disconnect();
    }
  });

  describe('with a Redis that evicts keys', () => {
    let server: PrivateRedis;
    beforeAll(async () => {
      server = await startPrivateRedis(['--maxmemory', '64mb', '--maxmemory-policy', 'allkeys-lru']);
    });
    afterAll(() => server.stop());

    it('refuses it with a message that says how to fix it', async () => {
      const redis = new Redis(server.url);
      try {
        const error = await assertRedisSafe(redis).catch((err: unknown) => err);
        expect(error).toBeInstanceOf(RedisConfigurationError);
        expect((error as Error).message).toContain('maxmemory-policy "allkeys-lru"');
        expect((error as Error).message).toContain('noeviction');
      } finally {
        redis.disconnect();
      }
    });
  });

  it('a producer connection fails fast while Redis is down instead of queueing commands', async () => {
    const server = await startPrivateRedis();
    const redis = createRedis(server.url, { role: 'producer', commandTimeoutMs: 500 });
    redis.on('error', () => {});
    try {
      await waitUntilReady(redis);
      await server.stop();
      const started = Date.now();
      const error = await withRedisDeadline(redis.ping(), 1000, 'ping').catch((err: unknown) => err);
      expect(error).toBeInstanceOf(QueueUnavailableError);
      expect(Date.now() - started).toBeLessThan(1500);
    } finally {
      redis.disconnect();
      await server.stop();
    }
  });
});
