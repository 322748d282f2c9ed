import { createEmpresa, timestampValue } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { TEST_REDIS_URL } from '@integrador/test-support/redis-server';
import { useTestRedis } from '@integrador/test-support/test-redis';
import { cliEnv, runCli } from '../test/run-cli';
import { localTime } from './local-time';

// F29: a bad --status is refused with the allowed values (it used to print nothing, exit 0); call times are local.
describe('CLI inputs and times', () => {
  let database: TestDatabase;
  let env: NodeJS.ProcessEnv;
  const testRedis = useTestRedis({ per: 'all' });
  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    env = cliEnv(database.url);
  });
  afterAll(async () => {
    await database.drop();
  });

  it('webhooks deliveries --status xyz → exit 1 naming the allowed statuses, in the chosen language', async () => {
    const pt = await runCli(['webhooks', 'deliveries', '1', '--empresa', '1', '--status', 'xyz'], env);
    expect(pt.code).toBe(1);
    expect(pt.stderr).toContain('--status inválido: xyz; use pendente, entregue, falhou ou cancelada');
    const en = await runCli(['webhooks', 'deliveries', '1', '--empresa', '1', '--status', 'xyz', '--lang', 'en'], env);
    expect(en.stderr).toContain('invalid --status: xyz; use pendente, entregue, falhou or cancelada');
  }, 120000);

  it('webhooks deliveries labels its columns (which number is the record, which the attempts), and lists an http:// endpoint under WEBHOOK_HTTPS_ONLY as blocked', async () => {
    // An endpoint saved as http:// and one pending delivery, written as the engine writes them.
    const { db } = database;
    const empresaId = await createEmpresa(db, 'colunas');
    const endpoint = await db
      .insertInto('webhook_endpoints')
      .values({
        empresa_id: empresaId,
        nome: 'colunas',
        url: 'http://127.0.0.1:9/hook',
        gatilhos: 'contato.criado',
        segredo: 'plain:whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const endpointId = Number(endpoint.id);
    const mensagem = await db
      .insertInto('webhook_mensagens')
      .values({
        empresa_id: empresaId,
        chave: 'c0',
        gatilho: 'contato.criado',
        tabela: 'contatos',
        registro_id: '0',
        webhook_id: 'msg_c0',
        payload: '[]',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('webhook_entregas')
      .values({ empresa_id: empresaId, endpoint_id: endpointId, mensagem_id: Number(mensagem.id) })
      .execute();
    const run = await runCli(['webhooks', 'deliveries', String(endpointId), '--empresa', String(empresaId)], env);
    expect(run.code).toBe(0);
    const [header, row] = run.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^entrega\s+gatilho\s+registro\s+status\s+tentativas\s+http\s+próxima tentativa\s+erro$/);
    expect(row).toMatch(/^#\d+\s+contato\.criado\s+0\s+pendente\s+0\s+-\s+-$/);
    // The columns line up: each cell starts under its header.
    expect(row?.indexOf('pendente')).toBe(header?.indexOf('status'));
    const en = await runCli(['webhooks', 'deliveries', String(endpointId), '--empresa', String(empresaId), '--lang', 'en'], env);
    expect(en.stdout.split('\n')[0]).toMatch(/^delivery\s+gatilho\s+record\s+status\s+attempts\s+http\s+next attempt\s+error$/);
    // The endpoint's breaker is open for 10 more minutes: the pending delivery due long ago is shown due when the breaker
    // lets it go, as the API shows it (rev9b L4); without Redis, as stored.
    await db
      .updateTable('webhook_entregas')
      .set({ proxima_tentativa_em: timestampValue(db, new Date(Date.now() - 3600_000)) })
      .where('endpoint_id', '=', endpointId)
      .execute();
    const ate = Date.now() + 600_000;
    await testRedis.redis.hset(`${testRedis.prefix}:webhook:breaker:${endpointId}`, { openUntil: String(ate), failures: '5' });
    const held = await runCli(['webhooks', 'deliveries', String(endpointId), '--empresa', String(empresaId), '--json'], {
      ...env,
      REDIS_URL: TEST_REDIS_URL,
      KEY_PREFIX: testRedis.prefix,
    });
    expect(JSON.parse(held.stdout)).toMatchObject([{ proxima_tentativa_em: new Date(ate).toISOString(), aguardando: 'circuito' }]);
    // Times in SCHEDULE_TIMEZONE with the offset, as cti calls and the dashboard show them (trial 3, finding 7).
    const redisEnv = { ...env, REDIS_URL: TEST_REDIS_URL, KEY_PREFIX: testRedis.prefix, SCHEDULE_TIMEZONE: 'America/Sao_Paulo' };
    const shown = await runCli(['webhooks', 'deliveries', String(endpointId), '--empresa', String(empresaId)], redisEnv);
    expect(shown.stdout).toContain(localTime(new Date(ate), 'America/Sao_Paulo'));
    expect(shown.stdout).not.toContain(new Date(ate).toISOString());
    // The list says the breaker is open and since when the endpoint fails, in the dashboard's words (trial 3, finding 8).
    const since = new Date(Date.now() - 7200_000);
    await db
      .updateTable('webhook_endpoints')
      .set({ primeira_falha_em: timestampValue(db, since) })
      .where('id', '=', endpointId)
      .execute();
    const failing = await runCli(['webhooks', 'list', '--empresa', String(empresaId)], redisEnv);
    expect(failing.stdout).toContain(`  circuito aberto até ${localTime(new Date(ate), 'America/Sao_Paulo')}, 5 falhas seguidas\n`);
    expect(failing.stdout).toContain(`  falhando desde ${localTime(since, 'America/Sao_Paulo')}\n`);
    const failingEn = await runCli(['webhooks', 'list', '--empresa', String(empresaId), '--lang', 'en'], redisEnv);
    expect(failingEn.stdout).toContain('  circuit open until ');
    expect(failingEn.stdout).toContain(', 5 failures in a row\n');
    await db.updateTable('webhook_endpoints').set({ primeira_falha_em: null }).where('id', '=', endpointId).execute();
    await testRedis.redis.del(`${testRedis.prefix}:webhook:breaker:${endpointId}`);
    const list = await runCli(['webhooks', 'list', '--empresa', String(empresaId)], { ...env, WEBHOOK_HTTPS_ONLY: 'true' });
    expect(list.stdout).toMatch(
      /^#\d+ colunas → http:\/\/127\.0\.0\.1:9\/hook \[contato\.criado\] ativo\n {2}não enviado: este hub só envia webhooks por HTTPS/,
    );
  }, 120000);

  it('cti calls shows times in the configured zone with its offset (São Paulo: UTC-3)', () => {
    const at = new Date('2026-12-05T12:49:52.657Z');
    expect(localTime(at, 'America/Sao_Paulo')).toBe('2026-12-05 09:49:52 GMT-3');
    expect(localTime(at, 'UTC')).toBe('2026-12-05 12:49:52 GMT+0');
  });
});
