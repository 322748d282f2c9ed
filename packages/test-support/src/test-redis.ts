import { createRedis, type RedisRole, waitUntilReady } from '@integrador/queue';
import type { Redis } from 'ioredis';
import { deletePrefix, TEST_REDIS_URL, testPrefix } from './redis-server';

export interface TestRedisOptions {
  /** The connection's role (see createRedis); 'producer' by default. */
  role?: RedisRole;
  /** 'each': a fresh prefix and connection per test (the default); 'all': one for the whole describe block. */
  per?: 'each' | 'all';
}

/** The current test's connection and key prefix; read them inside hooks and tests, not when the suite is declared. */
export interface TestRedis {
  readonly redis: Redis;
  readonly prefix: string;
}

/**
 * A key prefix of the test's own and a connection to the machine's Redis, opened (and answering) before each test or
 * once before all; after, the connection is closed and the prefix's keys deleted. Hooks run in the order they are
 * declared: call it before the hooks that use the connection, and close what was built on it in a hook of an inner
 * block or in the test itself.
 */
export function useTestRedis(options: TestRedisOptions = {}): TestRedis {
  let current: { redis: Redis; prefix: string } | undefined;
  const before = options.per === 'all' ? beforeAll : beforeEach;
  const after = options.per === 'all' ? afterAll : afterEach;
  before(async () => {
    const redis = createRedis(TEST_REDIS_URL, { role: options.role ?? 'producer' });
    current = { redis, prefix: testPrefix() };
    await waitUntilReady(redis);
  });
  after(async () => {
    const ending = current;
    current = undefined;
    if (!ending) return;
    ending.redis.disconnect();
    await deletePrefix(TEST_REDIS_URL, ending.prefix);
  });
  const opened = () => {
    if (!current) throw new Error('useTestRedis: the connection is open only inside hooks and tests');
    return current;
  };
  return {
    get redis() {
      return opened().redis;
    },
    get prefix() {
      return opened().prefix;
    },
  };
}
