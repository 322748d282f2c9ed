import { emptyConnections } from '@integrador/connections';
import { createLogger } from '@integrador/logging';
import { createRedis, JobProducer, waitUntilReady } from '@integrador/queue';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { deletePrefix, TEST_REDIS_URL, testPrefix } from '@integrador/test-support/redis-server';
import { buildApp } from './build-app';

// "screen pop subscriber error: connect ETIMEDOUT" on every fleet start: the screen-pop subscriber is a copy of the
// ingress's fail-fast producer connection (2 s connect timeout), and it connected while the ingress was still building
// its routes; on a busy machine the event loop, held by that start-up work, saw the 2 s pass before the socket's
// connect. It now connects when the first screen-pop stream subscribes, not during the start.
describe("the ingress's screen-pop subscriber", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
  });
  afterAll(async () => {
    await database.drop();
  });

  it('opens no Redis connection while the ingress starts (nothing to time out then)', async () => {
    const name = `pop-sub-${process.pid}-${Date.now()}`;
    const prefix = testPrefix();
    const redis = createRedis(TEST_REDIS_URL, { role: 'producer', name });
    redis.on('error', () => {});
    await waitUntilReady(redis);
    const logger = createLogger({ name: 'test', level: 'silent' });
    const producer = new JobProducer({ connection: redis, prefix, timeoutMs: 2000, logger });
    const app = await buildApp({
      database,
      redis,
      producer,
      logger,
      connections: emptyConnections(),
      keyPrefix: prefix,
      checkTimeoutMs: 2000,
    });
    try {
      await app.ready();
      // Time enough for a connection opened at start to show in CLIENT LIST (the duplicate keeps the name).
      await new Promise((resolve) => setTimeout(resolve, 500));
      const clients = String(await redis.client('LIST'))
        .split('\n')
        .filter((line) => line.includes(` name=${name} `));
      expect(clients).toHaveLength(1);
    } finally {
      await app.close();
      await producer.close();
      await deletePrefix(TEST_REDIS_URL, prefix);
      redis.disconnect();
    }
  });
});
