import { loginFailureKey } from '@integrador/dashboard/login';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { TEST_REDIS_URL } from '@integrador/test-support/redis-server';
import { useTestRedis } from '@integrador/test-support/test-redis';
import { cliEnv, runCli } from '../test/run-cli';

/** `integrador operators unlock <login>`: an admin ends a dashboard login's failure lock at once. */
describe('integrador operators unlock', () => {
  let database: TestDatabase;
  const testRedis = useTestRedis({ per: 'all' });

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
  });

  afterAll(async () => {
    await database.drop();
  });

  it('clears the login failure count (any case and spacing of the login), and says when there was none', async () => {
    const { redis, prefix } = testRedis;
    const env = cliEnv(database.url, { KEY_PREFIX: prefix, REDIS_URL: TEST_REDIS_URL });
    const key = loginFailureKey(prefix, 'maria');
    await redis.set(key, '10');
    expect(await runCli(['operators', 'unlock', ' Maria'], env)).toMatchObject({ code: 0, stdout: 'entrada de Maria desbloqueada\n' });
    expect(await redis.exists(key)).toBe(0);
    expect(await runCli(['--lang', 'en', 'operators', 'unlock', 'maria'], env)).toMatchObject({
      code: 0,
      stdout: 'maria had no failed attempts counted; nothing to unlock\n',
    });
  }, 60000);

  it('operators create says what it made as the other commands do (capitalised), the password once', async () => {
    const env = cliEnv(database.url);
    const pt = await runCli(['operators', 'create', 'admin', '--papel', 'admin'], env);
    expect(pt).toMatchObject({ code: 0, stderr: '' });
    expect(pt.stdout).toMatch(/^Operador admin criado; senha \(mostrada uma única vez\): \S+\n$/);
    const en = await runCli(['--lang', 'en', 'operators', 'create', 'ana', '--papel', 'admin'], env);
    expect(en.stdout).toMatch(/^Operator ana created; password \(shown once\): \S+\n$/);
  }, 60000);
});
