import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConnectionsFile } from '@integrador/connections';
import { createLogger } from '@integrador/logging';
import type { JobProducer } from '@integrador/queue';
import { issueApiKey } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { type AppProcess, spawnApp } from '@integrador/test-support/processes';
import { TEST_REDIS_URL } from '@integrador/test-support/redis-server';
import type { FastifyInstance } from 'fastify';
import { Client as PgClient } from 'pg';
import {
  CLIENT_FAULT,
  DEFAULT_CREDENTIALS,
  FAULT_NAME,
  MAINTENANCE_FAULT,
  type SeniorG5Server,
  seniorG5ConnectionsYaml,
  startSeniorG5Server,
} from './fixtures/senior-g5';
import { CONTA, seedSetWsContas, withoutReceptorKey } from './fixtures/set-ws-contas';
import { startTestIngress, type TestIngress } from './support/test-ingress';

const _logger = createLogger({ name: 'test', level: 'silent' });

describe('SET-WS-CONTAS against a local Senior G5 SOAP service', () => {
  let erp: SeniorG5Server;
  let database: TestDatabase;
  let producer: JobProducer;
  let app: FastifyInstance;
  let ingress: TestIngress;
  let prefix: string;
  let key: string;
  let empresaId: number;
  let connectionsFile: string;
  let worker: AppProcess | undefined;

  const workerEnv = () => ({
    REDIS_URL: TEST_REDIS_URL,
    KEY_PREFIX: prefix,
    CRM_DATABASE_URL: database.url,
    CONNECTIONS_FILE: connectionsFile,
    SENIOR_PASSWORD: DEFAULT_CREDENTIALS.password,
    // A connection whose password comes from its own variable (trial 4): the refused login names it.
    ALFA_G5_PASSWORD: 'senha-errada',
    JOB_LOCK_MS: '2000',
    LOG_LEVEL: 'info',
  });

  async function startWorker(): Promise<AppProcess> {
    const started = spawnApp('apps/worker-set/src/main.ts', workerEnv());
    await started.waitForLog('worker started');
    return started;
  }

  async function stopWorker(): Promise<void> {
    if (!worker) return;
    worker.child.kill('SIGTERM');
    await worker.exited;
    worker = undefined;
  }

  function writeConnections(password?: string) {
    fs.writeFileSync(connectionsFile, seniorG5ConnectionsYaml(erp.url, password ? { password } : {}));
  }

  beforeAll(async () => {
    erp = await startSeniorG5Server({ latencyMs: 3000 });
    connectionsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'itest-set-')), 'connections.yaml');
    writeConnections();
  });

  afterAll(async () => {
    await erp.close();
  });

  beforeEach(async () => {
    database = await createTestDatabase('postgres');
    ({ empresaId } = await seedSetWsContas(database.db));
    key = await issueApiKey(database.db, empresaId, null, 'test');
    const connections = await loadConnectionsFile(connectionsFile, { SENIOR_PASSWORD: DEFAULT_CREDENTIALS.password });
    ingress = await startTestIngress(database, { deps: { connections } });
    ({ app, producer, prefix } = ingress);
    erp.customers.clear();
    erp.requests.count = 0;
    erp.setMode('normal');
  });

  afterEach(async () => {
    await stopWorker();
    await ingress.close();
    await database.drop();
  });

  const run = (parametros: Record<string, unknown>) =>
    app.inject({ method: 'POST', url: '/v1/integrations/19/run', headers: { authorization: `Bearer ${key}` }, payload: { parametros } });

  async function settled(jobId: string, timeoutMs = 30000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const job = await producer.getJob('set', jobId);
      const state = await job?.getState();
      // Read the job again once it has settled: the first read may predate its final update.
      if (job && (state === 'completed' || state === 'failed'))
        return { job: (await producer.getJob('set', job.id as string)) ?? job, state };
      if (Date.now() > deadline) throw new Error(`job ${jobId} still ${state} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function idErp(): Promise<string | null> {
    const row = await database.db.selectFrom('contas').select('id_erp').where('id', '=', CONTA.id).executeTakeFirstOrThrow();
    return row.id_erp;
  }

  it('sends the conta and writes the ERP code into contas.id_erp', async () => {
    worker = await startWorker();
    const accepted = await run({ contaId: CONTA.id });
    expect(accepted.statusCode).toBe(202);
    const { job, state } = await settled(accepted.json().jobId);
    expect(state).toBe('completed');
    const [codCli] = [...erp.customers.keys()];
    expect(job.returnvalue.records).toEqual([
      expect.objectContaining({ status: 'concluido', values: expect.objectContaining({ codCli }) }),
    ]);
    expect(await idErp()).toBe(String(codCli));
    const customer = erp.customers.get(codCli as number);
    expect(customer).toMatchObject({
      nomCli: CONTA.nome,
      apeCli: CONTA.fantasia,
      cgcCpf: '12345678000195',
      cepCli: '01310100',
      ideExt: 'crm-42',
      sitCli: 'A',
    });
    const execucoes = await database.db.selectFrom('integracao_execucoes').selectAll().execute();
    expect(execucoes).toEqual([expect.objectContaining({ status: 'concluido', tentativas: 1 })]);
    const [tentativa] = await database.db.selectFrom('integracao_tentativas').selectAll().execute();
    expect(tentativa?.requisicao).toContain('Padaria P');
    expect(tentativa?.requisicao).not.toContain(DEFAULT_CREDENTIALS.password);
    expect(tentativa?.resposta).toContain('retornosClientes');
  });

  it('refuses a run without its parametros_obrigatorios with 400, enqueueing nothing', async () => {
    const response = await run({});
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ code: 'MISSING_PARAMETERS', message: expect.stringContaining('contaId') });
    expect(await producer.queue('set').count()).toBe(0);
  });

  it("fails without retry and with the ERP's message when the ERP answers erroExecucao / tipoRetorno 2", async () => {
    writeConnections(`\${ALFA_G5_PASSWORD}`);
    try {
      worker = await startWorker();
      const { job, state } = await settled((await run({ contaId: CONTA.id })).json().jobId);
      expect(state).toBe('failed');
      expect(job.attemptsMade).toBe(1);
      expect(job.failedReason).toContain('Usuário ou senha inválidos');
      expect(await idErp()).toBeNull();
      // M5 (trial): a refused login is worded as one, naming the connection and where its password comes from.
      const deadline = Date.now() + 15_000;
      let recorded: { erro_codigo: string | null } | undefined;
      while (recorded?.erro_codigo !== 'RECEPTOR_LOGIN_REFUSED' && Date.now() < deadline) {
        recorded = await database.db
          .selectFrom('registro_jobs')
          .select('erro_codigo')
          .where('fila', '=', 'set')
          .where('job_id', '=', String(job.id))
          .where('estado', '=', 'falhou')
          .executeTakeFirst();
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(recorded?.erro_codigo).toBe('RECEPTOR_LOGIN_REFUSED');
      const status = await app.inject({
        method: 'GET',
        url: `/v1/jobs/set/${job.id}`,
        headers: { authorization: `Bearer ${key}`, 'accept-language': 'pt-BR' },
      });
      // Trial 4: the variable is this connection's own, not an example of another one's.
      expect(status.json().failedReasonText).toBe(
        `o ERP recusou o login da conexão senior_g5: confira o usuário e a senha (a senha vem de \${ALFA_G5_PASSWORD}, lida quando a frota inicia: corrija e reinicie a frota): Usuário ou senha inválidos`,
      );
    } finally {
      writeConnections();
    }
  });

  it("fails without retry when a customer's retorno carries the ERP's reason", async () => {
    await database.db.updateTable('contas').set({ fantasia: null }).where('id', '=', CONTA.id).execute();
    worker = await startWorker();
    const { job, state } = await settled((await run({ contaId: CONTA.id })).json().jobId);
    expect(state).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toContain('apeCli');
    const [execucao] = await database.db.selectFrom('integracao_execucoes').selectAll().execute();
    expect(execucao).toMatchObject({ status: 'falhou', mensagem: expect.stringContaining('apeCli') });
  });

  it("fails without retry on a soap:Client fault, with the fault's text", async () => {
    await database.db.updateTable('contas').set({ nome: FAULT_NAME }).where('id', '=', CONTA.id).execute();
    worker = await startWorker();
    const { job, state } = await settled((await run({ contaId: CONTA.id })).json().jobId);
    expect(state).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toContain(CLIENT_FAULT);
    expect(await idErp()).toBeNull();
  });

  it('fails without retry, with a pt-BR message, when the ERP answers past the size limit (a gzip bomb)', async () => {
    erp.setMode('gzip-bomb');
    erp.requests.wsdlFetches = 0;
    worker = await startWorker();
    const { job, state } = await settled((await run({ contaId: CONTA.id })).json().jobId);
    expect(state).toBe('failed');
    // Every retry would get the same answer: one attempt, one exchange with the ERP (the WSDL fetch it meets first).
    expect(job.attemptsMade).toBe(1);
    expect(erp.requests.wsdlFetches).toBe(1);
    expect(job.failedReason).toMatch(
      /^a resposta de http:\/\/\S+ passa do limite de 16 MiB \(como recebida ou depois de descompactada\): cada/,
    );
    const [execucao] = await database.db.selectFrom('integracao_execucoes').selectAll().execute();
    expect(execucao).toMatchObject({ status: 'falhou', mensagem: job.failedReason });
    expect(await idErp()).toBeNull();
  });

  it('a call answered past the size limit fails without retry, outcome unknown: a manual retry reconciles, never re-sending blindly', async () => {
    // A request without a key the ERP upserts by (no ideExt, no CNPJ): sending it again would create a second customer.
    await withoutReceptorKey(database.db);
    worker = await startWorker();
    // The first push loads the WSDL: what meets the bomb afterwards is the GravarClientes call (which the ERP may have run).
    expect((await settled((await run({ contaId: CONTA.id })).json().jobId)).state).toBe('completed');
    erp.setMode('gzip-bomb');
    const wsdlFetches = erp.requests.wsdlFetches;
    const jobId = (await run({ contaId: CONTA.id })).json().jobId as string;
    const { job, state } = await settled(jobId);
    expect(state).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(erp.requests.wsdlFetches).toBe(wsdlFetches);
    expect(job.failedReason).toMatch(/^a resposta de http:\/\/\S+ passa do limite de 16 MiB .* o ERP pode ter executado a operação/);
    const execucaoOf = async () =>
      await database.db.selectFrom('integracao_execucoes').selectAll().orderBy('id', 'desc').executeTakeFirstOrThrow();
    // Not falhou ("nothing was done"): enviando, the outcome unknown, with the message for the operator.
    expect(await execucaoOf()).toMatchObject({ status: 'enviando', tentativas: 1, mensagem: job.failedReason });

    // The dashboard's / CLI's retry keeps the job id (the same execucao): it must reconcile, not send GravarClientes again.
    erp.setMode('normal');
    const calls = erp.requests.count;
    const customers = erp.customers.size;
    const retry = await app.inject({ method: 'POST', url: `/v1/jobs/set/${jobId}/retry`, headers: { authorization: `Bearer ${key}` } });
    expect(retry.statusCode).toBe(202);
    const retried = await settled(jobId);
    expect(retried.state).toBe('failed');
    expect(retried.job.failedReason).toContain('may already be in the receptor');
    expect(erp.requests.count).toBe(calls);
    expect(erp.customers.size).toBe(customers);
    expect(await execucaoOf()).toMatchObject({ status: 'falhou', mensagem: expect.stringContaining('not sent again') });
  });

  it('rides out a maintenance window (503 with soap:Server faults): the push started in it succeeds afterwards, once', async () => {
    worker = await startWorker();
    erp.setMode('maintenance');
    const jobId = (await run({ contaId: CONTA.id })).json().jobId as string;
    for (let i = 0; i < 400 && ((await producer.getJob('set', jobId))?.attemptsMade ?? 0) < 1; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const inWindow = await producer.getJob('set', jobId);
    // A fresh worker fails on the WSDL first (503 too); a loaded client fails on the soap:Server fault itself.
    expect(inWindow?.failedReason).toMatch(new RegExp(`503|${MAINTENANCE_FAULT.replace(/[()]/g, '\\$&')}`));
    expect(await inWindow?.getState()).toBe('delayed');
    expect(erp.requests.count).toBe(0);
    erp.setMode('normal');
    const { job, state } = await settled(jobId);
    expect(state).toBe('completed');
    expect(erp.requests.count).toBe(1);
    expect(erp.customers.size).toBe(1);
    expect(await idErp()).toBe(String(job.returnvalue.records[0].values.codCli));
  });

  it('refuses a #variable# in a SOAP link (the WSDL address, the same for every record), sending nothing', async () => {
    const { link } = await database.db.selectFrom('integracao').select('link').where('id', '=', 19).executeTakeFirstOrThrow();
    await database.db
      .updateTable('integracao')
      .set({ link: `${link ?? ''}&conta=#contaId#` })
      .where('id', '=', 19)
      .execute();
    // config lint's SOAP_LINK_VARIABLES: the run is refused at once (SET_CONFIG), nothing enqueued.
    const refused = await run({ contaId: CONTA.id });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().error).toMatchObject({ code: 'SET_CONFIG', message: expect.stringContaining('[SOAP_LINK_VARIABLES]') });
    // A job queued before the row broke fails in the worker, as before.
    worker = await startWorker();
    const queued = await producer.enqueue('set', 'integration.run', {
      tenant: { empresaId, filialId: null },
      integracaoId: 19,
      parametros: { contaId: CONTA.id },
      trigger: 'api',
    });
    const { job, state } = await settled(String(queued.id));
    expect(state).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toContain("a SOAP link is the WSDL's address, the same for every record");
    expect(erp.requests.count).toBe(0);
    expect(await idErp()).toBeNull();
  });

  it('retries a timeout and completes once the ERP answers in time', async () => {
    // Well under the 3 s a SLOW customer takes, and long enough for the second attempt's call on a busy machine.
    await database.db.updateTable('integracao').set({ timeout_ms: 1000 }).where('id', '=', 19).execute();
    await database.db.updateTable('contas').set({ nome: 'SLOW' }).where('id', '=', CONTA.id).execute();
    worker = await startWorker();
    const jobId = (await run({ contaId: CONTA.id })).json().jobId as string;
    for (let i = 0; i < 200; i++) {
      const job = await producer.getJob('set', jobId);
      if ((job?.attemptsMade ?? 0) >= 1) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const afterFirst = await producer.getJob('set', jobId);
    expect(afterFirst?.failedReason).toMatch(/within 1000 ms/);
    expect(await afterFirst?.getState()).toBe('delayed');
    await database.db.updateTable('contas').set({ nome: CONTA.nome }).where('id', '=', CONTA.id).execute();
    const { job, state } = await settled(jobId);
    expect(state).toBe('completed');
    expect(job.attemptsMade).toBe(2);
    expect(await idErp()).not.toBeNull();
  });

  it('a crash after the ERP answered and before sql_update does not create a second customer', async () => {
    worker = await startWorker();
    // Hold the conta's row lock so the write-back blocks: the worker is killed while it waits, after the ERP answered.
    const locker = new PgClient({ connectionString: database.url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('SELECT id FROM contas WHERE id = $1 FOR UPDATE', [CONTA.id]);
    try {
      const jobId = (await run({ contaId: CONTA.id })).json().jobId as string;
      for (let i = 0; i < 400; i++) {
        const row = await database.db.selectFrom('integracao_execucoes').select('status').executeTakeFirst();
        if (row?.status === 'enviado') break;
        await new Promise((r) => setTimeout(r, 25));
      }
      expect((await database.db.selectFrom('integracao_execucoes').select('status').executeTakeFirst())?.status).toBe('enviado');
      expect(erp.requests.count).toBe(1);
      worker.child.kill('SIGKILL');
      await worker.exited;
      worker = undefined;
      await locker.query('ROLLBACK');

      // A new worker takes the stalled job over (JOB_LOCK_MS=2000) and only writes back.
      worker = await startWorker();
      const { state } = await settled(jobId);
      expect(state).toBe('completed');
      expect(erp.requests.count).toBe(1);
      expect(erp.customers.size).toBe(1);
      expect(await idErp()).toBe(String([...erp.customers.keys()][0]));
    } finally {
      await locker.end();
    }
  });

  it.each([['1 OR 1=1'], ['42; DROP TABLE contas; --'], ["42' OR '1'='1"], ['42) UNION SELECT * FROM api_keys --'], ['#codCli#']])(
    'an injection attempt through #contaId# (%s) changes nothing and runs nothing extra',
    async (payload) => {
      worker = await startWorker();
      const { job, state } = await settled((await run({ contaId: payload })).json().jobId);
      expect(state).toBe('failed');
      expect(job.attemptsMade).toBe(1);
      expect(job.failedReason).toMatch(/no record|invalid input/i);
      expect(erp.requests.count).toBe(0);
      const contas = await database.db.selectFrom('contas').select(['id', 'id_erp']).execute();
      expect(contas).toEqual([{ id: CONTA.id, id_erp: null }]);
      expect((await database.db.selectFrom('api_keys').select('id').execute()).length).toBe(1);
    },
  );

  it('injection text inside CRM values travels as data and the write-back binds it', async () => {
    const evil = "Robert'); DROP TABLE contas; --";
    await database.db.updateTable('contas').set({ nome: evil, fantasia: evil }).where('id', '=', CONTA.id).execute();
    worker = await startWorker();
    const { state } = await settled((await run({ contaId: CONTA.id })).json().jobId);
    expect(state).toBe('completed');
    const [customer] = [...erp.customers.values()];
    expect(customer?.nomCli).toBe(evil);
    expect(await idErp()).toBe(String(customer?.codCli));
  });
});
