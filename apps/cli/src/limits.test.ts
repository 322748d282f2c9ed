import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { TEST_REDIS_URL } from '@integrador/test-support/redis-server';
import { useTestRedis } from '@integrador/test-support/test-redis';
import type { Redis } from 'ioredis';
import { cliEnv, runCli } from '../test/run-cli';

describe('integrador limits', () => {
  let database: TestDatabase;
  let env: NodeJS.ProcessEnv;
  const testRedis = useTestRedis({ role: 'worker', per: 'all' });
  let redis: Redis;
  let prefix: string;

  beforeAll(async () => {
    ({ redis, prefix } = testRedis);
    database = await createTestDatabase('sqlite');
    env = cliEnv(database.url, { KEY_PREFIX: prefix, REDIS_URL: TEST_REDIS_URL });
    expect((await runCli(['tenant', 'create', 'Acme', '--filial', 'Matriz'], env)).code).toBe(0);
  });

  afterAll(async () => {
    await database.drop();
  });

  it('stores limits in limites_tenant and mirrors them into Redis for the workers', async () => {
    expect(await runCli(['limits', 'set', '1', '--rate', '20'], env)).toMatchObject({ code: 0, stdout: 'Limite criado: empresa 1.\n' });
    const connection = await runCli(
      ['limits', 'set', '1', '--filial', '1', '--connection', 'erp_ws', '--rate', '2.5', '--burst', '3'],
      env,
    );
    expect(connection).toMatchObject({ code: 0, stdout: 'Limite criado: empresa 1, filial 1, conexão erp_ws.\n' });
    expect(await runCli(['limits', 'set', '1', '--rate', '10', '--concurrency', '4'], env)).toMatchObject({
      code: 0,
      stdout: 'Limite alterado: empresa 1.\n',
    });

    const rows = await database.db.selectFrom('limites_tenant').selectAll().orderBy('id').execute();
    expect(
      rows.map((r) => [r.empresa_id, r.empresa_filial_id, r.nome_conexao, r.taxa_por_segundo, r.rajada, r.concorrencia_maxima]),
    ).toEqual([
      [1, null, null, 10, 10, 4],
      [1, 1, 'erp_ws', 2.5, 3, 0],
    ]);
    expect(await redis.hgetall(`${prefix}:limits:config`)).toEqual({ 'e:1': '10,10,4', 'e:1:f:1:c:erp_ws': '2.5,3,0' });

    const listed = await runCli(['--lang', 'en', 'limits', 'list'], env);
    expect(listed.stdout).toBe(
      'empresa 1: 10/s (burst 10), at most 4 at once\nempresa 1, filial 1, connection erp_ws: 2.5/s (burst 3), no concurrency cap\n',
    );

    expect(await runCli(['limits', 'remove', '1', '--filial', '1', '--connection', 'erp_ws'], env)).toMatchObject({ code: 0 });
    expect(await redis.hgetall(`${prefix}:limits:config`)).toEqual({ 'e:1': '10,10,4' });

    // A Redis that lost its keys gets the table back with sync.
    await redis.del(`${prefix}:limits:config`);
    expect(await runCli(['limits', 'sync'], env)).toMatchObject({ code: 0, stdout: '1 limite(s) copiado(s) para o Redis.\n' });
    expect(await redis.hgetall(`${prefix}:limits:config`)).toEqual({ 'e:1': '10,10,4' });
  }, 60000);

  it('refuses bad input with one clear line and exit code 1', async () => {
    const cases: [string[], string][] = [
      [['limits', 'set', '1', '--rate', 'muito'], 'erro: --rate deve ser um número entre 0 e 100000, recebido "muito"\n'],
      [['limits', 'set', '1', '--concurrency', '1.5'], 'erro: --concurrency deve ser um número entre 0 e 100000, recebido "1.5"\n'],
      [['limits', 'set', '99', '--rate', '1'], 'erro: a empresa #99 não existe\n'],
      [['limits', 'set', '1', '--filial', '7', '--rate', '1'], 'erro: a filial #7 não existe ou não é da empresa #1\n'],
      [['limits', 'set', '1'], 'erro: informe --rate ou --concurrency maior que 0 (para tirar o limite use "limits remove")\n'],
      [
        ['limits', 'set', '1', '--connection', 'x', '--concurrency', '2'],
        'erro: --concurrency limita jobs da empresa; não pode ser usado com --connection\n',
      ],
      [['limits', 'remove', '1', '--connection', 'nenhuma'], 'erro: não há limite configurado para empresa 1, conexão nenhuma\n'],
    ];
    for (const [args, stderr] of cases) expect(await runCli(args, env)).toMatchObject({ code: 1, stderr });
  }, 60000);
});
