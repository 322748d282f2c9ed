import { createRedis, waitUntilReady } from '@integrador/queue';
import { createEmpresa } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { TEST_REDIS_URL, testPrefix } from '@integrador/test-support/redis-server';
import { removeEndpoint } from '@integrador/webhooks';
import { withFailedDeliveryJob } from '../test/failed-webhook-job';
import { cliEnv, runCli } from '../test/run-cli';

// The webhook persona trial's leftovers, from the CLI: a deleted endpoint's deliveries stay readable (#11) and a resend
// or job retry of one is refused, saying why (never accepted to send nothing); a 401 is worded as a possibly rejected
// signature (#9); an unreadable --since names the accepted forms with an example (#6). Another empresa reads nothing.
describe('integrador webhooks: deleted endpoints, 401 and --since', () => {
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

  /**
   * An empresa with a webhook and one delivery given up on a 401 (its attempt recorded as worker-webhook records one),
   * the webhook deleted when `deleted`.
   */
  async function givenUp(nome: string, deleted: boolean) {
    const empresaId = await createEmpresa(database.db, nome);
    const args = ['webhooks', 'create', '--empresa', String(empresaId), '--nome', nome, '--url', 'https://erp.exemplo.com.br/hook'];
    const created = await runCli([...args, '--gatilho', 'contato.criado', '--json'], env);
    expect(created.code).toBe(0);
    const endpointId = (JSON.parse(created.stdout) as { id: number }).id;
    const mensagem = await database.db
      .insertInto('webhook_mensagens')
      .values({
        empresa_id: empresaId,
        chave: `${nome}-1`,
        gatilho: 'contato.criado',
        tabela: 'contatos',
        registro_id: '7',
        webhook_id: `msg_${nome}`,
        payload: '[{}]',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const entrega = await database.db
      .insertInto('webhook_entregas')
      .values({
        empresa_id: empresaId,
        endpoint_id: endpointId,
        mensagem_id: mensagem.id,
        status: 'falhou',
        tentativas: 1,
        ultimo_status_http: 401,
        ultimo_erro: 'gave up after 1 attempts: HTTP 401',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await database.db
      .insertInto('webhook_tentativas')
      .values({
        empresa_id: empresaId,
        entrega_id: Number(entrega.id),
        numero: 1,
        origem: 'automatica',
        cabecalhos: '{}',
        status_http: 401,
        resposta: 'invalid signature',
        duracao_ms: 9,
        classe_erro: 'http_4xx',
        erro: 'HTTP 401',
      })
      .execute();
    if (deleted) await removeEndpoint(database.db, { empresaId, filialId: null }, endpointId);
    return { empresaId, endpointId, entregaId: Number(entrega.id) };
  }

  const deliveries = (endpointId: number, empresaId: number, ...extra: string[]) =>
    runCli(['webhooks', 'deliveries', String(endpointId), '--empresa', String(empresaId), ...extra], env);

  it("lists a deleted endpoint's deliveries, marked as such, to its own empresa only", async () => {
    const { empresaId, endpointId, entregaId } = await givenUp('Excluido', true);
    // Before, "webhook não encontrado": what was sent or failed could no longer be read.
    const text = await deliveries(endpointId, empresaId);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(
      `o webhook #${endpointId} foi excluído: estas são as entregas dele, mantidas até o fim da retenção (RETENTION_WEBHOOKS_DAYS); nada mais é enviado a ele\n`,
    );
    expect(text.stdout).toContain(`#${entregaId}`);
    const json = JSON.parse((await deliveries(endpointId, empresaId, '--json')).stdout) as Array<Record<string, unknown>>;
    expect(json).toEqual([
      expect.objectContaining({ id: entregaId, status: 'falhou', endpoint_excluido: true, motivo: 'SIGNATURE_REJECTED' }),
    ]);
    // Another empresa's id for it: not found, as before.
    const other = await createEmpresa(database.db, 'Outra');
    expect(await deliveries(endpointId, other)).toMatchObject({ code: 1, stderr: 'erro: webhook não encontrado\n' });
  });

  it('refuses a resend of a deleted endpoint\'s delivery, saying it was deleted (not "not found", nothing queued)', async () => {
    const { empresaId, endpointId, entregaId } = await givenUp('ReenvioExcluido', true);
    const resend = (empresa: number, ...extra: string[]) =>
      runCli(['webhooks', 'resend', String(endpointId), String(entregaId), '--empresa', String(empresa), ...extra], env);
    expect(await resend(empresaId)).toMatchObject({
      code: 1,
      stderr: `erro: o webhook #${endpointId} foi excluído: nada é enviado a ele, e reenviar ou recuperar as entregas dele não envia nada. As entregas continuam visíveis até o fim da retenção (RETENTION_WEBHOOKS_DAYS); para enviar de novo a esse destino, cadastre-o como um novo webhook\n`,
    });
    expect((await resend(empresaId, '--lang', 'en')).stderr).toContain(`error: webhook #${endpointId} was deleted: nothing is sent to it`);
    expect((await resend(empresaId + 1000)).stderr).toBe('erro: webhook não encontrado\n');
    expect(await redis.keys(`${prefix}:webhook:wh*`)).toEqual([]);
  });

  it('refuses a job retry of a given-up delivery whose endpoint was deleted, in one language', async () => {
    const { empresaId, entregaId } = await givenUp('RetryExcluido', true);
    await withFailedDeliveryJob(redis, prefix, { empresaId, entregaId, error: 'HTTP 401' }, async (jobId, queue) => {
      const retry = (...extra: string[]) => runCli(['job', 'retry', 'webhook', jobId, '--empresa', String(empresaId), ...extra], env);
      // Before, the job was retried and its run sent nothing (the endpoint is gone).
      expect(await retry()).toMatchObject({
        code: 1,
        stderr: `erro: o job webhook/${jobId} não foi reprocessado: o endpoint do webhook foi excluído e nada seria enviado. As entregas dele continuam em integrador webhooks deliveries <id> até o fim da retenção; para enviar de novo a esse destino, cadastre-o como um novo webhook\n`,
      });
      expect((await retry('--lang', 'en')).stderr).toBe(
        `error: job webhook/${jobId} was not retried: its webhook endpoint was deleted, so nothing would be sent. Its deliveries stay readable with integrador webhooks deliveries <id> until the retention period ends; to send to that receiver again, register it as a new webhook\n`,
      );
      expect(await queue.getJobState(jobId)).toBe('failed');
    });
  });

  it('words a 401 as a signature the receiver may reject, naming no secret', async () => {
    const { empresaId, endpointId } = await givenUp('Assinatura', false);
    const text = await deliveries(endpointId, empresaId);
    expect(text.code).toBe(0);
    // Before: "O servidor recusou os dados com o status 401. Verifique o caminho da URL (404 = não existe)…".
    expect(text.stdout).toContain(
      'O servidor recusou os dados com o status 401 (não autorizado). O destino pode estar rejeitando a assinatura',
    );
    expect(text.stdout).toContain('confira se ele verifica com o segredo de assinatura atual deste webhook');
    const en = await deliveries(endpointId, empresaId, '--lang', 'en');
    expect(en.stdout).toContain('The receiver may be rejecting the signature (the webhook-signature header)');
    const secret = await database.db
      .selectFrom('webhook_endpoints')
      .select('segredo')
      .where('id', '=', endpointId)
      .executeTakeFirstOrThrow();
    expect(text.stdout).not.toContain(secret.segredo);
  });

  it('refuses an unreadable --since naming the accepted forms with an example, in one language', async () => {
    const { empresaId, endpointId } = await givenUp('Desde', false);
    const recover = (since: string, ...extra: string[]) =>
      runCli(['webhooks', 'recover', String(endpointId), '--since', since, '--empresa', String(empresaId), ...extra], env);
    // Before: "--since inválido: ontem; esperado um instante ISO 8601", with no example.
    for (const since of ['ontem', '1', '2026-02-30', '2026-12-01T09:00'])
      expect(await recover(since)).toMatchObject({
        code: 1,
        stderr: `erro: --since inválido: "${since}"; use um instante ISO 8601 com fuso horário, por exemplo 2026-12-01T09:00:00-03:00 ou 2026-12-01T12:00:00Z, ou só a data, por exemplo 2026-12-01 (meia-noite UTC)\n`,
      });
    expect((await recover('ontem', '--lang', 'en')).stderr).toBe(
      'error: invalid --since: "ontem"; use an ISO 8601 time with its time zone, e.g. 2026-12-01T09:00:00-03:00 or 2026-12-01T12:00:00Z, or a date alone, e.g. 2026-12-01 (midnight UTC)\n',
    );
    // The forms it names are accepted.
    for (const since of ['2026-12-01T09:00:00-03:00', '2026-12-01T12:00:00Z', '2026-12-01']) {
      const ok = await recover(since, '--json');
      expect([ok.code, ok.stderr]).toEqual([0, '']);
    }
  });
});
