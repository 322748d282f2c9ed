import { upsertLimite } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { spawnApp } from '@integrador/test-support/processes';
import { TEST_REDIS_URL } from '@integrador/test-support/redis-server';
import { useTestRedis } from '@integrador/test-support/test-redis';
import type { Redis } from 'ioredis';

describe('limits after Redis lost its keys', () => {
  let database: TestDatabase;
  const testRedis = useTestRedis({ role: 'worker', per: 'all' });
  let redis: Redis;
  let prefix: string;

  beforeAll(async () => {
    ({ redis, prefix } = testRedis);
    database = await createTestDatabase('sqlite');
  });

  afterAll(async () => {
    await database.drop();
  });

  it('a starting worker rebuilds the mirror from limites_tenant, and leaves an existing one alone', async () => {
    await upsertLimite(
      database.db,
      { empresa_id: 3, empresa_filial_id: null, nome_conexao: null },
      { taxa_por_segundo: 7, rajada: 2, concorrencia_maxima: 1 },
    );
    const env = { REDIS_URL: TEST_REDIS_URL, KEY_PREFIX: prefix, CRM_DATABASE_URL: database.url, LOG_LEVEL: 'info' };
    const first = spawnApp('apps/worker-cti/src/main.ts', env);
    await first.waitForLog('worker started', 60000);
    expect(await redis.hgetall(`${prefix}:limits:config`)).toEqual({ 'e:3': '7,2,1' });
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    // The CLI owns changes: a worker starting next to a mirror does not overwrite it with the table.
    await redis.hset(`${prefix}:limits:config`, 'e:4', '1,1,0');
    const second = spawnApp('apps/worker-cti/src/main.ts', env);
    await second.waitForLog('worker started', 60000);
    expect(await redis.hgetall(`${prefix}:limits:config`)).toEqual({ 'e:3': '7,2,1', 'e:4': '1,1,0' });
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 120000);
});
