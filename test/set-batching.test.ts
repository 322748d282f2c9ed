import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '@integrador/logging';
import type { JobProducer } from '@integrador/queue';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import type { AppProcess } from '@integrador/test-support/processes';
import { startTestProducer, type TestProducer } from '@integrador/test-support/test-producer';
import { DEFAULT_CREDENTIALS, ECHO_NAME, type SeniorG5Server, seniorG5ConnectionsYaml, startSeniorG5Server } from './fixtures/senior-g5';
import { CONTA, seedSetWsContas } from './fixtures/set-ws-contas';
import { settledJob } from './support/integration-run';
import { closeSetSuite, spawnSetWorker } from './support/set-worker';

const logger = createLogger({ name: 'test', level: 'silent' });

// SET micro-batching (integracao.lote_maximo, migration 013) through a real worker-set, Redis, PostgreSQL and the
// Senior G5 double: several pushes in one GravarClientes call, each push with its own outcome.
describe('SET micro-batching: several pushes of one integration and tenant in one GravarClientes call', () => {
  let erp: SeniorG5Server;
  let database: TestDatabase;
  let producer: JobProducer;
  let testProducer: TestProducer;
  let prefix: string;
  let empresaId: number;
  let worker: AppProcess | undefined;
  let connectionsFile: string;
  /** worker-set on this test's Redis prefix, CRM and connections file, 10 jobs at a time. */
  const startWorker = () => spawnSetWorker({ prefix, databaseUrl: database.url, connectionsFile, concurrency: 10 });
  const GOOD = [101, 102, 103, 104, 105, 106, 107, 108, 109];
  const BAD = 110;

  beforeAll(async () => {
    erp = await startSeniorG5Server();
    connectionsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'itest-batch-')), 'connections.yaml');
    fs.writeFileSync(connectionsFile, seniorG5ConnectionsYaml(erp.url));
    database = await createTestDatabase('postgres');
    ({ empresaId } = await seedSetWsContas(database.db));
    const conta = (id: number, extra: Record<string, unknown> = {}) => ({
      ...CONTA,
      id,
      empresa_id: empresaId,
      nome: `Conta ${id}`,
      cnpj: `12.345.678/0${id}-95`,
      ...extra,
    });
    // tipo_pessoa 'X' is refused by the ERP for that customer alone (Valor inválido para tipCli).
    await database.db
      .insertInto('contas')
      .values([...GOOD.map((id) => conta(id)), conta(BAD, { tipo_pessoa: 'X' })])
      .execute();
    testProducer = await startTestProducer({ enqueueTimeoutMs: 5000, logger });
    ({ producer, prefix } = testProducer);
  });

  afterAll(() => closeSetSuite({ worker, testProducer, database, erp }));

  const settled = (jobId: string) => settledJob(producer, { jobId, queue: 'set' });

  it('sends the pushes together, writes back each codCli, and fails only the refused customer', async () => {
    await database.db.updateTable('integracao').set({ lote_maximo: 10 }).where('id', '=', 19).execute();
    const jobIds: Record<number, string> = {};
    for (const contaId of [...GOOD, BAD]) {
      const payload = { tenant: { empresaId, filialId: null }, integracaoId: 19, parametros: { contaId }, trigger: 'api' as const };
      jobIds[contaId] = String((await producer.enqueue('set', 'integration.run', payload)).id);
    }
    // Enqueued before the worker starts: it takes them all at once (concurrency 10).
    worker = startWorker();
    const outcomes = await Promise.all([...GOOD, BAD].map(async (id) => [id, await settled(jobIds[id] as string)] as const));

    // Fewer calls than pushes, and some call carried several customers.
    expect(erp.requests.count).toBeLessThan(GOOD.length + 1);
    expect(erp.requests.bodies.some((body) => (body.match(/<[\w:]*dadosGeraisCliente>/g) ?? []).length > 1)).toBe(true);

    const contas = await database.db
      .selectFrom('contas')
      .select(['id', 'id_erp'])
      .where('id', 'in', [...GOOD, BAD])
      .execute();
    const idErp = new Map(contas.map((c) => [c.id, c.id_erp]));
    const execucoes = await database.db.selectFrom('integracao_execucoes').select(['chave', 'status', 'mensagem']).execute();
    for (const [id, { state, job }] of outcomes) {
      if (id === BAD) {
        expect({ id, state, reason: job.failedReason }).toEqual({ id, state: 'failed', reason: expect.stringMatching(/tipCli/) });
        expect(idErp.get(id)).toBeNull();
        continue;
      }
      expect({ id, state }).toEqual({ id, state: 'completed' });
      // Each push wrote back the code the ERP gave its own customer (correlated by ideExt).
      const customer = [...erp.customers.values()].find((c) => c.ideExt === `crm-${id}`);
      expect(customer).toBeDefined();
      expect(idErp.get(id)).toBe(String(customer?.codCli));
    }
    // One outbox row per push, each with its own state.
    expect(execucoes.filter((e) => e.status === 'concluido')).toHaveLength(GOOD.length);
    expect(execucoes.filter((e) => e.status === 'falhou')).toHaveLength(1);
    expect(new Set(GOOD.map((id) => idErp.get(id))).size).toBe(GOOD.length);
    // Each push's attempt keeps the envelope with its own customer and its own answer entry, not the whole batch.
    const tentativas = await database.db.selectFrom('integracao_tentativas').select(['requisicao', 'resposta']).execute();
    expect(tentativas.length).toBeGreaterThanOrEqual(GOOD.length + 1);
    for (const { requisicao, resposta } of tentativas) {
      expect(requisicao?.match(/<[\w:]*dadosGeraisCliente>/g)).toHaveLength(1);
      expect(resposta?.match(/<[\w:]*retornosClientes>/g)).toHaveLength(1);
    }
  });

  it('a batch whose answer is too large, out of retries, leaves each record the pt-BR message', async () => {
    // One attempt in all: the transient failure of the batched call is the job's last.
    if (worker) {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
    fs.writeFileSync(connectionsFile, `${seniorG5ConnectionsYaml(erp.url)}\n    retry: { attempts: 1, backoffMs: 100 }\n`);
    const ids = [201, 202, 203, 204, 205, 206, 207, 208, 209, 210];
    await database.db
      .insertInto('contas')
      .values(ids.map((id) => ({ ...CONTA, id, empresa_id: empresaId, nome: `Conta ${id}`, cnpj: `12.345.678/0${id}-95` })))
      .execute();
    erp.setMode('gzip-bomb-calls');
    const jobIds = new Map<number, string>();
    for (const contaId of ids) {
      const payload = { tenant: { empresaId, filialId: null }, integracaoId: 19, parametros: { contaId }, trigger: 'api' as const };
      jobIds.set(contaId, String((await producer.enqueue('set', 'integration.run', payload)).id));
    }
    worker = startWorker();
    const outcomes = await Promise.all(ids.map(async (id) => settled(jobIds.get(id) as string)));
    erp.setMode('normal');
    const execucoes = await database.db
      .selectFrom('integracao_execucoes')
      .select(['job_id', 'status', 'mensagem'])
      .where('job_id', 'in', [...jobIds.values()])
      .execute();
    const mensagemOf = new Map(execucoes.map((e) => [e.job_id, e]));
    let batched = 0;
    for (const { job, state } of outcomes) {
      expect(state).toBe('failed');
      const execucao = mensagemOf.get(job.id as string);
      if (/a batched call of \d+ records/.test(job.failedReason)) {
        // Transient (retried while attempts are left) and out of retries: the record keeps the pt-BR text, outcome unknown.
        batched++;
        expect(execucao).toMatchObject({
          status: 'enviando',
          mensagem: expect.stringMatching(
            /^a resposta de http:\/\/\S+ a um envio em lote de \d+ registros passa do limite de 16 MiB .*se não restarem tentativas, confira no ERP/,
          ),
        });
      } else {
        // A push that went alone met the limit on its own call: permanent, with its pt-BR text already.
        expect(execucao?.mensagem).toMatch(/^a resposta de http:\/\/\S+ passa do limite de 16 MiB/);
      }
    }
    // Taken at once, the pushes met in batches.
    expect(batched).toBeGreaterThan(1);
  });
  it('a batch too large, then a 503 on the retry: the record no longer shows the too-large text', async () => {
    if (worker) {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
    fs.writeFileSync(connectionsFile, `${seniorG5ConnectionsYaml(erp.url)}\n    retry: { attempts: 2, backoffMs: 3000 }\n`);
    await database.db.updateTable('integracao').set({ lote_maximo: 10 }).where('id', '=', 19).execute();
    const ids = [301, 302, 303, 304, 305, 306, 307, 308];
    await database.db
      .insertInto('contas')
      .values(ids.map((id) => ({ ...CONTA, id, empresa_id: empresaId, nome: `Conta ${id}`, cnpj: `12.345.678/0${id}-95` })))
      .execute();
    erp.setMode('gzip-bomb-calls');
    const jobIds: string[] = [];
    for (const contaId of ids) {
      const payload = { tenant: { empresaId, filialId: null }, integracaoId: 19, parametros: { contaId }, trigger: 'api' as const };
      jobIds.push(String((await producer.enqueue('set', 'integration.run', payload)).id));
    }
    worker = startWorker();
    // Every record's first attempt done (within the backoff), the ERP answers 503 from then on.
    const execucoesOf = () =>
      database.db
        .selectFrom('integracao_execucoes')
        .select(['job_id', 'status', 'mensagem', 'tentativas'])
        .where('job_id', 'in', jobIds)
        .execute();
    for (const deadline = Date.now() + 30000; ; ) {
      const rows = await execucoesOf();
      if (rows.length === ids.length && rows.every((row) => row.tentativas >= 1)) break;
      if (Date.now() > deadline) throw new Error('first attempts not recorded');
      await new Promise((r) => setTimeout(r, 50));
    }
    erp.setMode('unavailable');
    const outcomes = await Promise.all(jobIds.map((id) => settled(id)));
    erp.setMode('normal');
    const byJob = new Map((await execucoesOf()).map((row) => [row.job_id, row]));
    let retried = 0;
    for (const { job } of outcomes) {
      if (job.attemptsMade < 2) continue; // went alone: failed for good on its own too-large answer
      retried++;
      expect(job.failedReason).not.toMatch(/over the .* limit/);
      expect(byJob.get(job.id as string)).toMatchObject({ status: 'pendente', mensagem: null, tentativas: 2 });
    }
    expect(retried).toBeGreaterThan(0);
  });

  it('a batched call whose ERP echoes the password in one customer’s retorno: that job’s texts show ***', async () => {
    if (worker) {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
    fs.writeFileSync(connectionsFile, `${seniorG5ConnectionsYaml(erp.url)}\n    retry: { attempts: 1, backoffMs: 100 }\n`);
    await database.db.updateTable('integracao').set({ lote_maximo: 10 }).where('id', '=', 19).execute();
    const ids = [401, 402, 403, 404, 405, 406, 407, 408];
    const ECHO = 405;
    await database.db
      .insertInto('contas')
      .values(
        ids.map((id) => ({
          ...CONTA,
          id,
          empresa_id: empresaId,
          nome: id === ECHO ? ECHO_NAME : `Conta ${id}`,
          cnpj: `12.345.678/0${id}-95`,
        })),
      )
      .execute();
    const jobIds = new Map<number, string>();
    for (const contaId of ids) {
      const payload = { tenant: { empresaId, filialId: null }, integracaoId: 19, parametros: { contaId }, trigger: 'api' as const };
      jobIds.set(contaId, String((await producer.enqueue('set', 'integration.run', payload)).id));
    }
    worker = startWorker();
    const outcomes = new Map(await Promise.all(ids.map(async (id) => [id, await settled(jobIds.get(id) as string)] as const)));
    // The echoing customer went in a call with others (the password reached the ERP once, in a batch).
    const echoCalls = erp.requests.bodies.filter((body) => body.includes(ECHO_NAME));
    expect(echoCalls.map((body) => (body.match(/<[\w:]*dadosGeraisCliente>/g) ?? []).length > 1)).toEqual([true]);
    for (const id of ids) expect({ id, state: outcomes.get(id)?.state }).toEqual({ id, state: id === ECHO ? 'failed' : 'completed' });

    const echoJob = jobIds.get(ECHO) as string;
    const expected = `Cliente recusado: senha recebida: *** (usuário ${DEFAULT_CREDENTIALS.user})`;
    expect(outcomes.get(ECHO)?.job.failedReason).toBe(expected);
    const execucao = await database.db
      .selectFrom('integracao_execucoes')
      .select(['id', 'status', 'mensagem'])
      .where('job_id', '=', echoJob)
      .executeTakeFirstOrThrow();
    expect(execucao).toMatchObject({ status: 'falhou', mensagem: expected });
    const tentativas = await database.db.selectFrom('integracao_tentativas').selectAll().where('execucao_id', '=', execucao.id).execute();
    expect(tentativas).toHaveLength(1);
    expect(tentativas[0]?.resposta).toContain('senha recebida: *** (usuário');
    const job = outcomes.get(ECHO)?.job;
    const texts = JSON.stringify({
      execucao,
      tentativas,
      job: [job?.failedReason, job?.stacktrace],
      log: worker.lines,
      stderr: worker.stderr,
    });
    expect(texts).not.toContain(DEFAULT_CREDENTIALS.password);
  });
});
