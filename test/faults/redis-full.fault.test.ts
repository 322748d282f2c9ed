import { emptyConnections } from '@integrador/connections';
import { createLogger } from '@integrador/logging';
import { createRedis, JobProducer, waitUntilReady } from '@integrador/queue';
import { createEmpresa, issueApiKey } from '@integrador/store';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { buildApp } from '../../apps/ingress/src/build-app';
import { createTestDatabase, type TestDatabase } from '../support/databases';
import { type PrivateRedis, startPrivateRedis, testPrefix } from '../support/redis-server';
import { LONG, report } from './fault-mode';

const logger = createLogger({ name: 'fault-test', level: 'silent' });

/** A Redis at maxmemory (noeviction): the ingress refuses with 503 and Retry-After, and every job it acknowledged exists. */
describe('ingress on a full Redis', () => {
  let server: PrivateRedis;
  let database: TestDatabase;
  let redis: Redis;
  let producer: JobProducer;
  let app: FastifyInstance;
  let key: string;

  beforeAll(async () => {
    server = await startPrivateRedis(['--maxmemory', LONG ? '64mb' : '4mb', '--maxmemory-policy', 'noeviction']);
    database = await createTestDatabase('sqlite');
    key = await issueApiKey(database.db, await createEmpresa(database.db, 'Empresa A'), null, 'a');
    const prefix = testPrefix();
    redis = createRedis(server.url, { role: 'producer', commandTimeoutMs: 2000 });
    redis.on('error', () => {});
    await waitUntilReady(redis);
    producer = new JobProducer({ connection: redis, prefix, timeoutMs: 3000, logger });
    app = await buildApp({ database, redis, producer, connections: emptyConnections(), logger, keyPrefix: prefix, checkTimeoutMs: 2000 });
  });

  afterAll(async () => {
    await app.close();
    await producer.close();
    redis.disconnect();
    await server.stop();
    await database.drop();
  });

  it('answers 503 once full and loses nothing it acknowledged', async () => {
    const accepted: string[] = [];
    const refusals: Record<string, number> = {};
    let other = 0;
    for (let i = 0; i < (LONG ? 200_000 : 20_000); i++) {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/ping',
        headers: { authorization: `Bearer ${key}`, 'idempotency-key': `full-${i}` },
        payload: { queue: 'set', note: 'n'.repeat(200) },
      });
      if (res.statusCode === 202) accepted.push(res.json().jobId);
      else if (res.statusCode === 503 && res.headers['retry-after']) {
        const code = res.json().error.code as string;
        refusals[code] = (refusals[code] ?? 0) + 1;
        if ((refusals[code] ?? 0) >= 20) break;
      } else if (++other >= 20) break;
    }
    let missing = 0;
    for (const id of accepted) if (!(await producer.getJob('set', id).catch(() => undefined))) missing++;
    report('Redis at maxmemory', { enqueued: accepted.length, processed: accepted.length - missing, lost: missing, duplicated: 0 });
    expect(other).toBe(0);
    expect(refusals).toEqual({ QUEUE_UNAVAILABLE: 20 });
    expect(missing).toBe(0);
  }, 300_000);
});
