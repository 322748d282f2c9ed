import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { TEST_REDIS_URL } from '@integrador/test-support/redis-server';
import { useTestRedis } from '@integrador/test-support/test-redis';
import { cliEnv, runCli } from '../test/run-cli';

// `integrador purge`: the workers' retention sweep by hand; --dry-run counts, --empresa bounds it to one tenant.
describe('integrador purge', () => {
  let database: TestDatabase;
  let env: NodeJS.ProcessEnv;
  const testRedis = useTestRedis({ per: 'all' });

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    env = cliEnv(database.url, { KEY_PREFIX: testRedis.prefix, REDIS_URL: TEST_REDIS_URL, RETENTION_AUDIT_DAYS: '30' });
    expect((await runCli(['tenant', 'create', 'Acme'], env)).code).toBe(0);
    expect((await runCli(['tenant', 'create', 'Outra'], env)).code).toBe(0);
    const old = new Date(Date.now() - 60 * 86_400_000);
    for (const empresaId of [1, 2])
      await database.db
        .insertInto('auditoria_acoes')
        .values({ autor: 'ana', operador_id: null, empresa_id: empresaId, acao: 'retry', quantidade: 1, criado_em: old })
        .execute();
  });

  afterAll(async () => {
    await database.drop();
  });

  const audits = async () =>
    (await database.db.selectFrom('auditoria_acoes').select('empresa_id').where('acao', '=', 'retry').orderBy('empresa_id').execute()).map(
      (row) => row.empresa_id,
    );

  it('counts with --dry-run, then deletes only the named empresa', async () => {
    const dry = await runCli(['purge', '--dry-run', '--empresa', '1'], env);
    expect(dry).toMatchObject({ code: 0, stderr: '' });
    expect(dry.stdout).toBe(
      'Retenção: jobs 90 dias, webhooks 30 dias, auditoria 30 dias, ligações para sempre.\nauditoria_acoes: 1 linha(s) seriam apagadas\nTotal: 1 linha(s) seriam apagadas (nada foi apagado).\n',
    );
    expect(await audits()).toEqual([1, 2]);
    const real = await runCli(['--lang', 'en', 'purge', '--empresa', '1'], env);
    expect(real.stdout).toContain('auditoria_acoes: 1 row(s) deleted\n');
    expect(await audits()).toEqual([2]);
    expect((await runCli(['purge', '--empresa', '1'], env)).stdout).toContain('Nada a apagar.\n');
  });

  it('refuses an empresa that does not exist and a bad id', async () => {
    expect(await runCli(['purge', '--empresa', '99'], env)).toMatchObject({ code: 1, stderr: 'erro: a empresa #99 não existe\n' });
    expect((await runCli(['purge', '--empresa', 'x'], env)).code).toBe(1);
    expect(await audits()).toEqual([2]);
  });

  it('says which variable is wrong for a bad retention', async () => {
    const bad = await runCli(['purge'], { ...env, RETENTION_JOBS_DAYS: '-1' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/RETENTION_JOBS_DAYS.*dias, 0 ou de 7 a 36500/);
  });
});
