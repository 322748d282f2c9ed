import fs from 'node:fs';
import { loadConnectionsFile } from '@integrador/connections';
import type { GetRunProgress, GetRunResult } from '@integrador/jobs';
import { createLogger } from '@integrador/logging';
import type { JobProducer } from '@integrador/queue';
import { createEmpresa, findSyncState, issueApiKey, lastSyncRun, listSyncRuns } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { type AppProcess, spawnApp, stopApps } from '@integrador/test-support/processes';
import { TEST_REDIS_URL } from '@integrador/test-support/redis-server';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import {
  createScratchSource,
  customer,
  customersUpTo,
  type ScratchSource,
  seedGetClientes,
  writeE085Connections,
} from './fixtures/get-e085cli';
import { recordedFailureCode, runIntegration, settledJob } from './support/integration-run';
import { startTestIngress, type TestIngress } from './support/test-ingress';

const _logger = createLogger({ name: 'test', level: 'silent' });
const ROWS = 40_000;

describe('GET pull of E085CLI through the ingress and a real worker-get', () => {
  let source: ScratchSource;
  let database: TestDatabase;
  let producer: JobProducer;
  let app: FastifyInstance;
  let ingress: TestIngress;
  let prefix: string;
  let key: string;
  let empresaId: number;
  let integracaoId: number;
  let connectionsFile: string;
  const workers: AppProcess[] = [];

  const sourceUrl = () => (source.connection.url as { reveal(): string }).reveal();
  const startWorker = async (): Promise<AppProcess> => {
    const worker = spawnApp('apps/worker-get/src/main.ts', {
      REDIS_URL: TEST_REDIS_URL,
      KEY_PREFIX: prefix,
      CRM_DATABASE_URL: database.url,
      CONNECTIONS_FILE: connectionsFile,
      ERP_E085_URL: sourceUrl(),
      JOB_LOCK_MS: '2000',
      GET_LEASE_MS: '60000',
      WORKER_CONCURRENCY: '2',
      LOG_LEVEL: 'info',
    });
    workers.push(worker);
    await worker.waitForLog('worker started');
    return worker;
  };

  beforeAll(async () => {
    source = await createScratchSource('postgres', ROWS);
    connectionsFile = writeE085Connections();
  }, 120_000);
  afterAll(async () => {
    await source?.drop();
  });

  beforeEach(async () => {
    database = await createTestDatabase('postgres');
    empresaId = await createEmpresa(database.db, 'Empresa GET');
    key = await issueApiKey(database.db, empresaId, null, 'test');
    integracaoId = await seedGetClientes(database.db, empresaId, 200);
    const connections = await loadConnectionsFile(connectionsFile, { ERP_E085_URL: sourceUrl() });
    ingress = await startTestIngress(database, { deps: { connections } });
    ({ app, producer, prefix } = ingress);
  });

  afterEach(async () => {
    await stopApps(workers);
    await ingress.close();
    await database.drop();
  });

  const run = async (parametros: Record<string, unknown> = {}) => {
    const accepted = await runIntegration(app, key, integracaoId, parametros);
    expect(accepted.queue).toBe('get');
    return accepted.jobId;
  };

  const settled = (jobId: string) => settledJob(producer, { jobId, queue: 'get' }, 120_000, 100);

  async function crmCounts() {
    const row = await sql<{ total: string | number; distinct_keys: string | number }>`
      SELECT COUNT(*) AS total, COUNT(DISTINCT id_erp) AS distinct_keys FROM contas WHERE empresa_id = ${empresaId}`.execute(database.db);
    return { total: Number(row.rows[0]?.total), distinct: Number(row.rows[0]?.distinct_keys) };
  }

  it('a worker killed with SIGKILL mid-run is resumed by a new one: exactly the source rows, no duplicates, cursor right', async () => {
    const first = await startWorker();
    const jobId = await run();
    // Let it commit a few chunks of 200 rows, then kill the worker without any chance to clean up.
    for (;;) {
      const job = await producer.getJob('get', jobId);
      const progress = job?.progress as GetRunProgress | number | undefined;
      if (typeof progress === 'object' && progress.chunks >= 10) break;
      expect(await job?.getState()).not.toBe('completed');
      await new Promise((r) => setTimeout(r, 20));
    }
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');

    // What the dead worker committed is consistent: exactly the rows up to the cursor saved with them.
    const state = await findSyncState(database.db, empresaId, integracaoId);
    expect(state?.cursor_valor).toEqual(expect.any(String));
    const committed = await crmCounts();
    expect(committed.total).toBe(customersUpTo(ROWS, state?.cursor_valor as string));
    expect(committed.total).toBeGreaterThan(0);
    expect(committed.total).toBeLessThan(ROWS);
    expect(committed.distinct).toBe(committed.total);

    await startWorker();
    const { job, state: final } = await settled(jobId);
    expect(final).toBe('completed');
    const result = job.returnvalue as GetRunResult;
    expect(result).toMatchObject({ integracaoId, mode: 'incremental', cursor: customer(ROWS).DATALT.toISOString() });
    expect(await crmCounts()).toEqual({ total: ROWS, distinct: ROWS });
    const c = customer(31_337);
    const conta = await database.db
      .selectFrom('contas')
      .selectAll()
      .where('empresa_id', '=', empresaId)
      .where('id_erp', '=', '31337')
      .executeTakeFirstOrThrow();
    expect(conta).toMatchObject({ nome: c.NOMCLI, fantasia: c.APECLI, telefone: c.FONCLI, origem_integracao_id: integracaoId });
    expect(await findSyncState(database.db, empresaId, integracaoId)).toMatchObject({
      cursor_valor: customer(ROWS).DATALT.toISOString(),
      status: 'concluido',
      execucao_dono: null,
    });
    // One history row for the job, continued by the second worker.
    expect(await lastSyncRun(database.db, empresaId, integracaoId)).toMatchObject({ job_id: jobId, status: 'concluido' });

    // A later run after changes in the ERP picks up exactly the changed rows.
    const later = new Date(customer(ROWS).DATALT.getTime() + 60_000);
    await source.execute('UPDATE E085CLI SET nomcli = $1, datalt = $2 WHERE codcli IN (7, 8, 9)', ['Renomeado', later]);
    try {
      const { job: again } = await settled(await run());
      expect(again.returnvalue).toMatchObject({ rowsWritten: 3, rowsSkipped: 1, rowsRead: 4, cursor: later.toISOString() });
      const renamed = await database.db.selectFrom('contas').select('id_erp').where('nome', '=', 'Renomeado').orderBy('id_erp').execute();
      expect(renamed.map((r) => r.id_erp)).toEqual(['7', '8', '9']);
      expect(await crmCounts()).toEqual({ total: ROWS, distinct: ROWS });
    } finally {
      for (const code of [7, 8, 9])
        await source.execute('UPDATE E085CLI SET nomcli = $1, datalt = $2 WHERE codcli = $3', [
          customer(code).NOMCLI,
          customer(code).DATALT,
          code,
        ]);
    }
  }, 240_000);

  it('a second job for the same integracao waits for the running one instead of running alongside it', async () => {
    const worker = await startWorker();
    const a = await run();
    for (;;) {
      const progress = (await producer.getJob('get', a))?.progress as GetRunProgress | number | undefined;
      if (typeof progress === 'object' && progress.chunks >= 2) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    // A second request is answered with the running job (deduplicated) …
    expect(await run()).toBe(a);
    // … and a job that bypasses deduplication (as a dependency flow adds it) waits for the running one.
    const tenant = { empresaId, filialId: null };
    const b = String(
      (await producer.enqueue('get', 'integration.run', { tenant, integracaoId, parametros: {}, trigger: 'dependency' })).id,
    );
    const first = await settled(a);
    const second = await settled(b);
    expect([first.state, second.state]).toEqual(['completed', 'completed']);
    // b was taken while a ran (concurrency 2), found the integration held and waited without using an attempt.
    await worker.waitForLog('get run already in progress, waiting', 1000);
    expect(second.job.attemptsMade).toBe(first.job.attemptsMade);
    // b ran only after a had finished: it found nothing new.
    expect(second.job.returnvalue).toMatchObject({ rowsWritten: 0 });
    // Its run began once a's had ended, as the runs' history says (one worker's clock). BullMQ's finishedOn is no
    // measure: it is written after a gives the integration back, so b, coming back from its wait, may start in between.
    const history = new Map((await listSyncRuns(database.db, empresaId, integracaoId)).map((r) => [r.job_id, r]));
    const [ofA, ofB] = [history.get(a), history.get(b)];
    expect(ofA?.concluido_em).toBeTruthy();
    expect(ofB?.iniciado_em).toBeTruthy();
    expect(new Date(ofB?.iniciado_em as Date).getTime()).toBeGreaterThanOrEqual(new Date(ofA?.concluido_em as Date).getTime());
    expect(await crmCounts()).toEqual({ total: ROWS, distinct: ROWS });
  }, 240_000);

  // Trial L2: `config lint` reported the row, and the run was admitted all the same to fail in worker-get. The run is
  // refused at once (nothing enqueued), worded as lint words the row; a job queued before the row broke (or by its
  // schedule) still fails at once in the worker, its failure in one language (trial M3).
  it("refuses a misconfigured GET at once, in the caller's language; a job already queued fails with the same reason, writing nothing", async () => {
    await database.db.updateTable('integracao').set({ tabela: 'usuarios' }).where('id', '=', integracaoId).execute();
    const tables = 'contas, contatos, oportunidades, cidades';
    const refusal = async (language: string, apiKey = key) => {
      const answer = await app.inject({
        method: 'POST',
        url: `/v1/integrations/${integracaoId}/run`,
        headers: { authorization: `Bearer ${apiKey}`, 'accept-language': language },
        payload: { parametros: {} },
      });
      return { status: answer.statusCode, error: answer.json().error };
    };
    expect(await refusal('pt-BR')).toEqual({
      status: 422,
      error: {
        code: 'GET_CONFIG',
        message: `a integração GET #${integracaoId} (GET-BD-CLIENTES) está mal configurada: tabela: "usuarios" não é uma tabela do CRM que um GET grava (esperado uma de ${tables}); nada foi enfileirado (\`config lint\` aponta a linha)`,
      },
    });
    expect(await refusal('en')).toEqual({
      status: 422,
      error: {
        code: 'GET_CONFIG',
        message: `GET integration #${integracaoId} (GET-BD-CLIENTES) is misconfigured: tabela: "usuarios" is not a CRM table a GET may write (expected one of ${tables}); nothing was enqueued (\`config lint\` names the row)`,
      },
    });
    // Another tenant's key: not its integration (404), nothing said of the row.
    const other = await issueApiKey(database.db, await createEmpresa(database.db, 'Outra'), null, 'test');
    expect(await refusal('pt-BR', other)).toMatchObject({ status: 404, error: { code: 'NOT_FOUND' } });
    expect(await producer.queue('get').getJobCounts('waiting', 'prioritized', 'delayed', 'active')).toEqual({
      waiting: 0,
      prioritized: 0,
      delayed: 0,
      active: 0,
    });

    const queued = await producer.enqueue('get', 'integration.run', {
      tenant: { empresaId, filialId: null },
      integracaoId,
      parametros: {},
      trigger: 'schedule',
    });
    await startWorker();
    const { job, state } = await settled(String(queued.id));
    expect(state).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toMatch(/tabela.*usuarios/);
    expect(await crmCounts()).toEqual({ total: 0, distinct: 0 });
    // The worker's record of the failure (written within its recorder's flush), which the job status words.
    expect(await recordedFailureCode(database.db, String(queued.id))).toBe('GET_CONFIG');
    const status = async (language: string) =>
      (
        await app.inject({
          url: `/v1/jobs/get/${queued.id}`,
          headers: { authorization: `Bearer ${key}`, 'accept-language': language },
        })
      ).json().failedReasonText;
    expect(await status('pt-BR')).toBe(
      `a integração GET está mal configurada: tabela: "usuarios" não é uma tabela do CRM que um GET grava (esperado uma de ${tables})`,
    );
    expect(await status('en')).toBe(
      `the GET integration is misconfigured: tabela: "usuarios" is not a CRM table a GET may write (expected one of ${tables})`,
    );
  }, 120_000);

  it("runs a healthy GET whose depende_de names a SET with a lint error; only the SET's own job fails, with SET_CONFIG", async () => {
    // The SET runs after the GET (the GET's depende_de names it) and has a regra of no known tipo: an error lint reports
    // and every run of the SET fails on. The GET itself is fine: neither its scheduled runs nor its flow step may fail for it.
    const conexao = await database.db
      .selectFrom('conexao_integracao')
      .select('id')
      .where('nome_conexao', '=', 'erp_e085')
      .executeTakeFirstOrThrow();
    const set = (
      await database.db
        .insertInto('integracao')
        .values({
          nome: 'SET-CONTAS-ERP',
          tipo_servico: 'SET',
          empresa_id: empresaId,
          tabela: 'contas',
          link: 'E085CLI',
          conexao_integracao_id: conexao.id,
          ativo: 1,
        } as never)
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
    await database.db.insertInto('campos_integracao').values({ integracao_id: set, campo_crm: '{"NOMCLI": "#nome#"}', ordem: 0 }).execute();
    await database.db
      .insertInto('regras')
      .values({
        integracao_id: set,
        campos_integracao_id: null,
        campo: 'NOMCLI',
        tipo: 'maiusculass',
        parametros: null,
        ordem: 0,
        descricao: null,
      })
      .execute();
    await database.db.updateTable('integracao').set({ depende_de: set }).where('id', '=', integracaoId).execute();
    const tenant = { empresaId, filialId: null };
    await startWorker();
    workers.push(
      spawnApp('apps/worker-set/src/main.ts', {
        REDIS_URL: TEST_REDIS_URL,
        KEY_PREFIX: prefix,
        CRM_DATABASE_URL: database.url,
        CONNECTIONS_FILE: connectionsFile,
        ERP_E085_URL: sourceUrl(),
        LOG_LEVEL: 'info',
      }),
    );
    await workers.at(-1)?.waitForLog('worker started');

    // The scheduler's job (as the GET's schedule fires it): admitted on its own row, it pulls.
    const scheduled = await producer.enqueue('get', 'integration.run', { tenant, integracaoId, parametros: {}, trigger: 'schedule' });
    const pulled = await settled(String(scheduled.id));
    expect([pulled.state, pulled.job.failedReason ?? null]).toEqual(['completed', null]);
    expect(await crmCounts()).toEqual({ total: ROWS, distinct: ROWS });

    // A change event on contas runs the SET with its prerequisite, the GET: the GET step completes, the SET step fails in
    // its worker naming the SET and lint's finding (the event is acknowledged; the run API refuses the flow at once).
    const change = await app.inject({
      method: 'POST',
      url: '/v1/events/crm-change',
      headers: { authorization: `Bearer ${key}` },
      payload: { tabela: 'contas', parametros: {} },
    });
    expect(change.statusCode).toBe(202);
    expect(change.json()).toMatchObject({ jobs: [{ integracaoId: set, jobId: expect.any(String) }], refused: [] });
    const rootId = change.json().jobs[0].jobId as string;
    const prerequisite = (await producer.getJob('set', rootId))?.data.flow.prerequisite;
    expect(prerequisite).toMatchObject({ queue: 'get', integracaoId });
    expect((await settled(prerequisite.jobId)).state).toBe('completed');
    const failed = await settledJob(producer, { jobId: rootId, queue: 'set' }, 60_000, 100);
    expect(failed.state).toBe('failed');
    expect(failed.job.failedReason).toMatch(new RegExp(`^integracao #${set} \\(SET-CONTAS-ERP\\): .*maiusculass`));
    expect(await recordedFailureCode(database.db, rootId)).toBe('SET_CONFIG');
    const run = await app.inject({
      method: 'POST',
      url: `/v1/integrations/${integracaoId}/run`,
      headers: { authorization: `Bearer ${key}` },
      payload: { parametros: {} },
    });
    expect([run.statusCode, run.json().error?.code]).toEqual([422, 'SET_CONFIG']);
  }, 240_000);
  // The lint's errors every run of a GET fails on beyond its settings — a key its CRM table has no unique index for, a
  // connection that is no database — were admitted (202) and failed in worker-get. Refused at once now (GET_CONFIG,
  // the lint's finding); a job queued before (or by its schedule) fails in the worker's admission with the same words.
  it("refuses a GET whose key or connection every run fails on, in the caller's language; a job already queued fails alike", async () => {
    // The E085 source, and a web service no GET can read through (ingress and worker go by the same file).
    const file = writeE085Connections();
    fs.appendFileSync(file, '\n  erp_ws:\n    tipo: webservice\n    baseUrl: https://erp.example.com\n    user: u\n    password: p\n');
    const e085File = connectionsFile;
    connectionsFile = file;
    try {
      await ingress.close();
      ingress = await startTestIngress(database, { deps: { connections: await loadConnectionsFile(file, { ERP_E085_URL: sourceUrl() }) } });
      ({ app, producer, prefix } = ingress);
      await database.db.updateTable('integracao').set({ chave: 'fantasia' }).where('id', '=', integracaoId).execute();
      await database.db
        .insertInto('conexao_integracao')
        .values({ tipo_conexao: 'banco de dados', nome_conexao: 'erp_ws', empresa_id: empresaId })
        .execute();
      const ws = await database.db
        .selectFrom('conexao_integracao')
        .select('id')
        .where('nome_conexao', '=', 'erp_ws')
        .executeTakeFirstOrThrow();
      const original = await database.db.selectFrom('integracao').selectAll().where('id', '=', integracaoId).executeTakeFirstOrThrow();
      const { id: _id, ...columns } = original;
      await database.db
        .insertInto('integracao')
        .values({ ...columns, nome: 'GET-WS-CLIENTES', chave: 'id_erp', conexao_integracao_id: ws.id })
        .execute();
      const wsGet = (
        await database.db.selectFrom('integracao').select('id').where('nome', '=', 'GET-WS-CLIENTES').executeTakeFirstOrThrow()
      ).id;
      const refusal = async (id: number, language: string, apiKey = key) => {
        const answer = await app.inject({
          method: 'POST',
          url: `/v1/integrations/${id}/run`,
          headers: { authorization: `Bearer ${apiKey}`, 'accept-language': language },
          payload: { parametros: {} },
        });
        return { status: answer.statusCode, error: answer.json().error };
      };
      const unique = '(empresa_id, fantasia)';
      expect(await refusal(integracaoId, 'pt-BR')).toEqual({
        status: 422,
        error: {
          code: 'GET_CONFIG',
          message: `a integração GET #${integracaoId} (GET-BD-CLIENTES) está mal configurada: integracao #${integracaoId} coluna chave: contas não tem índice único em ${unique}: o upsert do GET não casa os registros pela chave (PostgreSQL e SQLite recusam o ON CONFLICT, o MariaDB duplicaria as linhas), por isso cada execução é recusada; crie o índice (CREATE UNIQUE INDEX … ON contas ${unique}) ou use a chave id_erp [GET_KEY_NOT_UNIQUE]; nada foi enfileirado (\`config lint\` aponta a linha)`,
        },
      });
      const wsRefusal = await refusal(wsGet, 'en');
      expect(wsRefusal).toMatchObject({ status: 422, error: { code: 'GET_CONFIG' } });
      expect(wsRefusal.error.message).toBe(
        `GET integration #${wsGet} (GET-WS-CLIENTES) is misconfigured: integracao #${wsGet} column conexao_integracao_id: GET integration GET-WS-CLIENTES uses connection "erp_ws", which is a webservice connection in the connections file: a GET runs sql_consulta on a database, so every run is refused; expected a database connection [GET_CONNECTION_NOT_DATABASE]; nothing was enqueued (\`config lint\` names the row)`,
      );
      // Another tenant's key: not its integration (404), nothing said of the rows.
      const other = await issueApiKey(database.db, await createEmpresa(database.db, 'Outra'), null, 'test');
      for (const id of [integracaoId, wsGet]) {
        const foreign = await refusal(id, 'pt-BR', other);
        expect(foreign).toMatchObject({ status: 404, error: { code: 'NOT_FOUND' } });
        expect(foreign.error.message).not.toMatch(/fantasia|erp_ws|GET-/);
      }
      expect(await producer.queue('get').count()).toBe(0);

      const queued = await Promise.all(
        [integracaoId, wsGet].map((id) =>
          producer.enqueue('get', 'integration.run', {
            tenant: { empresaId, filialId: null },
            integracaoId: id,
            parametros: {},
            trigger: 'schedule',
          }),
        ),
      );
      await startWorker();
      const texts: string[] = [];
      for (const [index, job] of queued.entries()) {
        const { job: settledJob, state } = await settled(String(job.id));
        expect(state).toBe('failed');
        expect(settledJob.attemptsMade).toBe(1);
        expect(await recordedFailureCode(database.db, String(job.id))).toBe('GET_CONFIG');
        const language = index === 0 ? 'pt-BR' : 'en';
        const status = await app.inject({
          url: `/v1/jobs/get/${job.id}`,
          headers: { authorization: `Bearer ${key}`, 'accept-language': language },
        });
        texts.push(status.json().failedReasonText);
      }
      expect(texts).toEqual([
        expect.stringMatching(
          new RegExp(
            `^a integração GET está mal configurada: integracao #${integracaoId} coluna chave: contas não tem índice único em \\(empresa_id, fantasia\\): .+ \\[GET_KEY_NOT_UNIQUE\\]$`,
          ),
        ),
        `the GET integration is misconfigured: integracao #${wsGet} column conexao_integracao_id: GET integration GET-WS-CLIENTES uses connection "erp_ws", which is a webservice connection in the connections file: a GET runs sql_consulta on a database, so every run is refused; expected a database connection [GET_CONNECTION_NOT_DATABASE]`,
      ]);
      expect(await crmCounts()).toEqual({ total: 0, distinct: 0 });
    } finally {
      connectionsFile = e085File;
      fs.rmSync(file, { force: true });
    }
  }, 120_000);
});
