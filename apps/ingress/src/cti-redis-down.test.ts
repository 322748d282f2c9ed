import { emptyConnections } from '@integrador/connections';
import { saveCtiSettings } from '@integrador/cti';
import { createLogger } from '@integrador/logging';
import { createRedis, JobProducer, waitUntilReady } from '@integrador/queue';
import { createEmpresa } from '@integrador/store';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { createTestDatabase, type TestDatabase } from '../../../test/support/databases';
import { type PrivateRedis, startPrivateRedis, testPrefix } from '../../../test/support/redis-server';
import { buildApp } from './build-app';

const logger = createLogger({ name: 'ingress-test', level: 'silent' });

describe('CTI listeners while Redis is down', () => {
  let server: PrivateRedis;
  let database: TestDatabase;
  let redis: Redis;
  let producer: JobProducer;
  let app: FastifyInstance;

  beforeAll(async () => {
    server = await startPrivateRedis();
    database = await createTestDatabase('sqlite');
    await saveCtiSettings(database.db, await createEmpresa(database.db, 'Acme'), { hostLabel: 'acme' });
    redis = createRedis(server.url, { role: 'producer', commandTimeoutMs: 500 });
    redis.on('error', () => {});
    await waitUntilReady(redis);
    producer = new JobProducer({ connection: redis, prefix: testPrefix(), timeoutMs: 1000, logger });
    app = await buildApp({
      database,
      redis,
      producer,
      connections: emptyConnections(),
      logger,
      keyPrefix: testPrefix(),
      checkTimeoutMs: 1000,
      cti: { domain: 'crm.test', trustedProxies: [], dedupeWindowMs: 2000, callTimeoutMs: 60000, popTokenTtlMs: 60000 },
    });
  });

  afterAll(async () => {
    await app.close();
    await producer.close();
    redis.disconnect();
    await server.stop();
    await database.drop();
  });

  const call = (telefone: string) =>
    app.inject({ url: `/wconnect/WConnect_WSDL_ConsultaRamal.php?ramal=3501&telefone=${telefone}`, headers: { host: 'acme.crm.test' } });

  it('answers the PBX 503 at once (never a false 200 or a 500) and accepts again when Redis returns', async () => {
    expect((await call('11987654321')).statusCode).toBe(200);
    await server.stop();
    const started = Date.now();
    const refused = await call('11912345678');
    expect(Date.now() - started).toBeLessThan(1500);
    expect(refused.statusCode).toBe(503);
    expect(refused.json().error.code).toBe('QUEUE_UNAVAILABLE');
    await server.start();
    const deadline = Date.now() + 15000;
    let status = 0;
    while (status !== 200 && Date.now() < deadline) {
      status = (await call('11912345678')).statusCode;
      if (status !== 200) await new Promise((r) => setTimeout(r, 200));
    }
    expect(status).toBe(200);
  });
});
