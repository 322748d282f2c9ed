import { createRedis, waitUntilReady } from '@integrador/queue';
import { createEmpresa } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { startPrivateRedis, TEST_REDIS_URL, testPrefix } from '@integrador/test-support/redis-server';
import { type Queue, Worker } from 'bullmq';
import { withFailedDeliveryJob } from '../test/failed-webhook-job';
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
    await waitUntilReady(redis);
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

  /** Runs `check` with the delivery's job failed for good, as its worker left it (withFailedDeliveryJob). */
  const withFailedJob = (empresaId: number, entregaId: number, check: (jobId: string, queue: Queue) => Promise<void>) =>
    withFailedDeliveryJob(redis, prefix, { empresaId, entregaId }, check);

  const retry = (jobId: string, empresa: number, ...extra: string[]) =>
    runCli(['job', 'retry', 'webhook', jobId, '--empresa', String(empresa), ...extra], env);

  it('job retry of a failed delivery job whose delivery was delivered since refuses it, in one language; another empresa does not see it', async () => {
    const { empresaId, entregaId } = await orphan('RetryEntregue');
    // Its first job failed for good; a resend delivered it since.
    await database.db.updateTable('webhook_entregas').set({ status: 'entregue', tentativas: 2 }).where('id', '=', entregaId).execute();
    await withFailedJob(empresaId, entregaId, async (jobId, queue) => {
      // Before, the job was retried and POSTed the delivered body again.
      expect(await retry(jobId, empresaId)).toMatchObject({
        code: 1,
        stderr: `erro: o job webhook/${jobId} não foi reprocessado: a entrega do webhook já foi entregue (por um reenvio ou uma recuperação); nada a enviar de novo\n`,
      });
      expect(await retry(jobId, empresaId, '--lang', 'en')).toMatchObject({
        code: 1,
        stderr: `error: job webhook/${jobId} was not retried: its webhook delivery has been delivered since (by a resend or a recover); nothing to send again\n`,
      });
      expect((await retry(jobId, empresaId + 1000)).stderr).toContain(
        `o job webhook/${jobId} não existe para a empresa ${empresaId + 1000}`,
      );
      expect(await queue.getJobState(jobId)).toBe('failed');
    });
  });

  it('job retry of a given-up delivery job whose endpoint is still disabled refuses it, saying to re-enable and recover', async () => {
    const { empresaId, entregaId } = await orphan('RetryDesativado');
    await database.db.updateTable('webhook_entregas').set({ status: 'falhou', tentativas: 5 }).where('id', '=', entregaId).execute();
    await database.db.updateTable('webhook_endpoints').set({ ativo: 0 }).where('empresa_id', '=', empresaId).execute();
    await withFailedJob(empresaId, entregaId, async (jobId, queue) => {
      // Before, the job was retried and sent nothing (the endpoint is disabled).
      expect(await retry(jobId, empresaId)).toMatchObject({
        code: 1,
        stderr: `erro: o job webhook/${jobId} não foi reprocessado: o endpoint do webhook continua desativado e nada seria enviado; reative o endpoint (PATCH /v1/webhooks/<id> com {"ativo": true}) e depois rode integrador webhooks recover <id> para reenviar as entregas\n`,
      });
      expect((await retry(jobId, empresaId, '--lang', 'en')).stderr).toBe(
        `error: job webhook/${jobId} was not retried: its webhook endpoint is still disabled, so nothing would be sent; re-enable the endpoint (PATCH /v1/webhooks/<id> with {"ativo": true}), then run integrador webhooks recover <id> to resend its deliveries\n`,
      );
      expect(await queue.getJobState(jobId)).toBe('failed');
    });
  });

  it("re-enqueues the empresa's orphaned delivery once, and no other empresa's", async () => {
    const a = await orphan('RequeueA');
    await orphan('RequeueB');
    const run = () => runCli(['webhooks', 'requeue-pending', '--empresa', String(a.empresaId), '--json'], env);
    const first = await run();
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({ requeued: [a.entregaId], skipped: [] });
    expect(await jobs()).toHaveLength(1);
    // Its job is live now: a second run adds nothing.
    const second = await run();
    expect(JSON.parse(second.stdout)).toEqual({ requeued: [], skipped: [] });
    expect(await jobs()).toHaveLength(1);
  });

  it('names a delivery whose job changed under it (another replica holds it) and exits 1: run it again', async () => {
    // The first test's jobs out of the way: the job taken below is C's.
    const earlier = await redis.keys(`${prefix}:webhook:*`);
    if (earlier.length) await redis.del(...earlier);
    const c = await orphan('RequeueC');
    const run = (...more: string[]) => runCli(['webhooks', 'requeue-pending', '--empresa', String(c.empresaId), ...more], env);
    expect((await run('--json')).code).toBe(0);
    // Its job ran and completed, and another replica's worker holds a lock on its id (it re-added and took it between
    // the sweep's state read and its remove): BullMQ refuses the remove.
    const [key] = await jobs();
    const jobId = String(key).slice(`${prefix}:webhook:`.length);
    const workerRedis = createRedis(TEST_REDIS_URL, { role: 'worker' });
    const taker = new Worker('webhook', null, { connection: workerRedis, prefix, autorun: false });
    try {
      const job = await taker.getNextJob('taker');
      expect(job?.id).toBe(jobId);
      await job?.moveToCompleted('done', 'taker', false);
      await redis.set(`${prefix}:webhook:${jobId}:lock`, 'another-replica');
      const json = await run('--json');
      expect(json.code).toBe(1);
      expect(JSON.parse(json.stdout)).toEqual({ requeued: [], skipped: [c.entregaId] });
      const text = await run('--lang', 'en');
      expect(text.code).toBe(1);
      expect(text.stdout).toContain(`1 pending deliveries not judged, because their job changed during the sweep`);
      expect(text.stdout).toContain(`: ${c.entregaId}; run the command again`);
    } finally {
      await redis.del(`${prefix}:webhook:${jobId}:lock`);
      await taker.close();
      workerRedis.disconnect();
    }
  });

  it('stops with a clear error and exit 1 when Redis cannot take jobs, never "0 requeued"', async () => {
    // Connected and answering, but configured so that it could lose jobs: every call of the producer is refused.
    const unsafe = await startPrivateRedis(['--maxmemory', '64mb', '--maxmemory-policy', 'allkeys-lru']);
    try {
      const d = await orphan('RequeueD');
      const unsafeEnv = { ...env, REDIS_URL: unsafe.url };
      const pt = await runCli(['webhooks', 'requeue-pending', '--empresa', String(d.empresaId), '--lang', 'pt-BR'], unsafeEnv);
      expect(pt.code).toBe(1);
      expect(pt.stdout).toBe('');
      expect(pt.stderr).toContain('a varredura parou: o Redis não pode receber jobs agora (o Redis está configurado de um jeito');
      expect(pt.stderr).toContain('0 entrega(s) reenfileirada(s) antes disso, as demais pendentes não foram julgadas');
      const en = await runCli(['webhooks', 'requeue-pending', '--empresa', String(d.empresaId), '--lang', 'en'], unsafeEnv);
      expect(en.code).toBe(1);
      expect(en.stderr).toContain('the sweep stopped: Redis cannot take jobs now (Redis is configured so that it could lose jobs');
      expect(en.stderr).not.toMatch(/[ãçõé]/);
    } finally {
      await unsafe.stop();
    }
  });
});
