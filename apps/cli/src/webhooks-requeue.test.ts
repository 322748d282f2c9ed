import { createRedis } from '@integrador/queue';
import { createEmpresa } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { TEST_REDIS_URL, testPrefix } from '@integrador/test-support/redis-server';
import { cliEnv, runCli } from '../test/run-cli';

// F20: after a Redis restore a pending delivery has no job; `webhooks requeue-pending --empresa` gives it one, for that
// empresa only, and never a second one.
describe('integrador webhooks requeue-pending', () => {
  let database: TestDatabase;
  let env: NodeJS.ProcessEnv;
  const prefix = testPrefix();
  const redis = createRedis(TEST_REDIS_URL, { role: 'producer' });

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    env = cliEnv(database.url, { REDIS_URL: TEST_REDIS_URL, KEY_PREFIX: prefix });
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    await database.drop();
  });

  /** An empresa with a webhook and one delivery pending since an hour ago, as a restore leaves it (no job). */
  async function orphan(nome: string): Promise<{ empresaId: number; entregaId: number }> {
    const empresaId = await createEmpresa(database.db, nome);
    const url = 'https://erp.exemplo.com.br/hook';
    const args = ['webhooks', 'create', '--empresa', String(empresaId), '--nome', nome, '--url', url, '--gatilho', 'contato.criado'];
    const created = await runCli([...args, '--json'], env);
    expect(created.code).toBe(0);
    const endpointId = (JSON.parse(created.stdout) as { id: number }).id;
    const mensagem = await database.db
      .insertInto('webhook_mensagens')
      .values({
        empresa_id: empresaId,
        chave: `${nome}-1`,
        gatilho: 'contato.criado',
        tabela: 'contatos',
        registro_id: '1',
        webhook_id: `msg_${nome}`,
        payload: '{}',
        criado_em: new Date().toISOString(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
    const entrega = await database.db
      .insertInto('webhook_entregas')
      .values({ empresa_id: empresaId, endpoint_id: endpointId, mensagem_id: mensagem.id, criado_em: hourAgo, atualizado_em: hourAgo })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { empresaId, entregaId: Number(entrega.id) };
  }

  const jobs = async () => (await redis.keys(`${prefix}:webhook:wh*`)).sort();

  it("re-enqueues the empresa's orphaned delivery once, and no other empresa's", async () => {
    const a = await orphan('RequeueA');
    await orphan('RequeueB');
    const run = () => runCli(['webhooks', 'requeue-pending', '--empresa', String(a.empresaId), '--json'], env);
    const first = await run();
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({ requeued: [a.entregaId] });
    expect(await jobs()).toHaveLength(1);
    // Its job is live now: a second run adds nothing.
    const second = await run();
    expect(JSON.parse(second.stdout)).toEqual({ requeued: [] });
    expect(await jobs()).toHaveLength(1);
  });
});
