import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type ConnectionsRegistry, loadConnectionsFile } from '@integrador/connections';
import { createLogger } from '@integrador/logging';
import { createJobRecorder, createRedis, type JobProducer, setTenantPausedMirror, showJobLogLine } from '@integrador/queue';
import { createEmpresa, issueApiKey } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { TEST_REDIS_URL } from '@integrador/test-support/redis-server';
import type { Job } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { sql } from 'kysely';
import { DEFAULT_CREDENTIALS, type SeniorG5Server, SLOW_NAME, seniorG5ConnectionsYaml, startSeniorG5Server } from './fixtures/senior-g5';
import { CONTA, SET_WS_CONTAS, seedSetWsContas, withoutReceptorKey } from './fixtures/set-ws-contas';
import { startTestSetWorker, type TestSetWorker } from './support/set-worker';
import { startTestIngress, type TestIngress } from './support/test-ingress';

const logger = createLogger({ name: 'test', level: 'silent' });

/**
 * Seed 001's SET-WS-CONTAS as a scheduled sync would run it: every conta not linked to the ERP yet (id_erp NULL), its
 * answer's codCli and cgcCpf written back. A conta without a CNPJ gets no cgcCpf back, and without ideExt nor CNPJ the
 * ERP (GravarClientes, an upsert by codCli / cgcCpf / ideExt) creates it again on every push it receives.
 */
const PENDING_CONTAS = SET_WS_CONTAS.consulta.replace('WHERE c.id = #contaId#', 'WHERE c.id_erp IS NULL');

describe('SET: a record the ERP accepted with nothing written back is not sent again on its own', () => {
  let erp: SeniorG5Server;
  let connections: ConnectionsRegistry;
  let database: TestDatabase;
  let ingress: TestIngress;
  let app: FastifyInstance;
  let producer: JobProducer;
  let workerRedis: Redis;
  let worker: TestSetWorker;
  let recorder: ReturnType<typeof createJobRecorder>;
  let empresaId: number;
  let keyA: string;
  let keyB: string;

  beforeAll(async () => {
    // A SLOW customer takes 1.5 s: a push in flight while another job runs.
    erp = await startSeniorG5Server({ latencyMs: 1500 });
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'itest-held-')), 'connections.yaml');
    fs.writeFileSync(file, seniorG5ConnectionsYaml(erp.url));
    connections = await loadConnectionsFile(file, { SENIOR_PASSWORD: DEFAULT_CREDENTIALS.password });
  });

  afterAll(async () => {
    await erp.close();
  });

  /** A worker of its own (a new one sees a changed integracao at once); `concurrency` jobs at a time (1 unless told). */
  const startWorker = (concurrency = 1) => {
    worker = startTestSetWorker({
      database,
      connections,
      connection: workerRedis,
      prefix: ingress.prefix,
      logger,
      observer: recorder,
      concurrency,
    });
  };

  beforeEach(async () => {
    database = await createTestDatabase('postgres');
    ({ empresaId } = await seedSetWsContas(database.db));
    await withoutReceptorKey(database.db);
    await database.db
      .updateTable('integracao')
      .set({
        consulta: PENDING_CONTAS,
        parametros_obrigatorios: null,
        indice_valor_retorno: 'codCli,cgcCpf',
        sql_update: 'UPDATE contas SET id_erp = #codCli#, inscricao = #cgcCpf# WHERE id = #id#',
      })
      .where('id', '=', 19)
      .execute();
    keyA = await issueApiKey(database.db, empresaId, null, 'test');
    keyB = await issueApiKey(database.db, await createEmpresa(database.db, 'Empresa B'), null, 'test');
    ingress = await startTestIngress(database, { deps: { connections, dashboard: { secureCookies: false } } });
    ({ app, producer } = ingress);
    workerRedis = createRedis(TEST_REDIS_URL, { role: 'worker' });
    recorder = createJobRecorder(database, logger, { flushMs: 5, startDelayMs: 0 });
    startWorker();
  });

  afterEach(async () => {
    await worker.close();
    await recorder.drain();
    await ingress.close();
    workerRedis.disconnect();
    await database.drop();
  });

  /** Waits for the job to settle, then for its record (registro_jobs) to say so. */
  async function settled(jobId: string): Promise<Job> {
    for (const until = Date.now() + 20000; ; await new Promise((r) => setTimeout(r, 25))) {
      const job = await producer.getJob('set', jobId);
      const state = await job?.getState();
      if (job && (state === 'completed' || state === 'failed')) {
        await recorder.drain();
        return (await producer.getJob('set', jobId)) ?? job;
      }
      if (Date.now() > until) throw new Error(`job ${jobId} still ${state}`);
    }
  }

  /** A scheduled run of the sync, as a job scheduler enqueues it (no parametros). */
  async function scheduledRun(): Promise<Job> {
    const payload = { tenant: { empresaId, filialId: null }, integracaoId: 19, parametros: {}, trigger: 'schedule' as const };
    const job = await producer.enqueue('set', 'integration.run', payload);
    return settled(job.id as string);
  }

  /** GravarClientes calls and ERP customers of conta 42 (by its name: it carries no key the ERP knows it by). */
  const sent = () => ({ calls: erp.requests.count, customers: [...erp.customers.values()].filter((c) => c.nomCli === CONTA.nome).length });

  const detail = (jobId: string, key: string, lang = 'pt-BR') =>
    app.inject({ url: `/dashboard/api/jobs/set/${jobId}?lang=${lang}`, headers: { authorization: `Bearer ${key}` } });

  async function logLines(jobId: string, locale: 'pt-BR' | 'en'): Promise<string[]> {
    const { logs } = await producer.queue('set').getJobLogs(jobId);
    return logs.map((line) => showJobLogLine(locale, line).text);
  }

  it('holds it back until an operator retries the held job or the configuration no longer needs the missing key', async () => {
    const before = sent();
    const first = await scheduledRun();
    expect(first.failedReason ?? null).toBeNull();
    expect(first.returnvalue.records).toEqual([expect.objectContaining({ key: 'id42', missingReturnKeys: ['cgcCpf'] })]);
    expect(sent()).toEqual({ calls: before.calls + 1, customers: before.customers + 1 });

    // The next scheduled run selects conta 42 again (id_erp is still NULL): it is not sent, the job fails for good.
    const second = await scheduledRun();
    expect(await second.getState()).toBe('failed');
    expect(second.attemptsMade).toBe(1);
    expect(second.failedReason).toContain('record id42 not sent again');
    expect(sent()).toEqual({ calls: before.calls + 1, customers: before.customers + 1 });

    // The operator reads why and what to do, in one language: the failure's reason, the job's log.
    const held = (await detail(second.id as string, keyA)).json();
    expect(held.record.erro_codigo).toBe('SET_RECORD_HELD');
    expect(held.record.erro_motivo).toBe(
      `registro id 42 não reenviado para não duplicá-lo: o ERP já o aceitou (job ${first.id}) e nada foi gravado no CRM (faltou cgcCpf); corrija indice_valor_retorno / sql_update ou reprocesse o job`,
    );
    expect((await detail(second.id as string, keyA, 'en')).json().record.erro_motivo).toBe(
      `record id 42 not resent, to avoid a duplicate: the ERP accepted it (job ${first.id}) and nothing was written to the CRM (cgcCpf missing); correct indice_valor_retorno / sql_update or retry the job`,
    );
    expect(await logLines(second.id as string, 'pt-BR')).toContainEqual(expect.stringContaining('Registro id 42: não reenviado'));
    expect(await logLines(second.id as string, 'en')).toContainEqual(expect.stringContaining('Record id 42: not sent again'));
    // The accepted push's outbox row: the ERP's own answer as its message, the note worded in the reader's language.
    const accepted = (await detail(first.id as string, keyA)).json().execucoes;
    expect(accepted).toEqual([expect.objectContaining({ status: 'concluido', mensagem: 'Processado com sucesso' })]);
    expect(accepted[0].nota).toContain('Registro id 42: aceito pelo receptor; sql_update não executado: a resposta não trouxe cgcCpf');
    expect((await detail(first.id as string, keyA, 'en')).json().execucoes[0].nota).toContain(
      'Record id 42: accepted by the receptor; sql_update not run: the answer lacks cgcCpf',
    );

    // Another tenant's key neither reads nor retries it.
    expect((await detail(second.id as string, keyB)).statusCode).toBe(404);
    const retry = (key: string) =>
      app.inject({
        method: 'POST',
        url: '/dashboard/api/jobs/retry',
        headers: { authorization: `Bearer ${key}` },
        payload: { jobs: [{ queue: 'set', id: second.id }] },
      });
    expect((await retry(keyB)).json()).toMatchObject({ done: 0, notFound: 1 });
    expect(sent().calls).toBe(before.calls + 1);

    // The operator's retry of the held job sends it again (a second customer: what they asked for, knowingly).
    expect((await retry(keyA)).json()).toMatchObject({ done: 1 });
    const retried = await settled(second.id as string);
    expect(await retried.getState()).toBe('completed');
    expect(sent()).toEqual({ calls: before.calls + 2, customers: before.customers + 2 });
    // Released, the first push's note no longer says it holds the record.
    expect((await detail(first.id as string, keyA)).json().execucoes[0].nota).toContain('Ele não está retido');

    // Still nothing written back, so held again; with sql_update corrected it goes out and is written back.
    await database.db
      .updateTable('integracao')
      .set({ sql_update: 'UPDATE contas SET id_erp = #codCli# WHERE id = #id#' })
      .where('id', '=', 19)
      .execute();
    await worker.close();
    startWorker();
    const corrected = await scheduledRun();
    expect(corrected.failedReason ?? null).toBeNull();
    expect(sent().calls).toBe(before.calls + 3);
    const codCli = corrected.returnvalue.records[0].values.codCli as number;
    const conta = await database.db.selectFrom('contas').select('id_erp').where('id', '=', CONTA.id).executeTakeFirstOrThrow();
    expect(conta.id_erp).toBe(String(codCli));
  }, 60_000);

  const retryOnDashboard = (...ids: string[]) =>
    app.inject({
      method: 'POST',
      url: '/dashboard/api/jobs/retry',
      headers: { authorization: `Bearer ${keyA}` },
      payload: { jobs: ids.map((id) => ({ queue: 'set', id })) },
    });

  it('holds a record the consulta returns twice once per run, never reading its own hold as a retry', async () => {
    const twice = PENDING_CONTAS.replace(
      'FROM contas AS c WHERE',
      'FROM contas AS c CROSS JOIN (SELECT 1 AS k UNION ALL SELECT 2 AS k) AS d WHERE',
    );
    await database.db.updateTable('integracao').set({ consulta: twice }).where('id', '=', 19).execute();
    await worker.close();
    startWorker();
    const before = sent();
    expect((await scheduledRun()).failedReason ?? null).toBeNull();
    const second = await scheduledRun();
    expect(await second.getState()).toBe('failed');
    expect(second.failedReason).toContain('record id42 not sent again');
    expect(sent()).toEqual({ calls: before.calls + 1, customers: before.customers + 1 });
  }, 60_000);

  it('releases a hold on an operator retry only: BullMQ running the held job again (stalled, retried) holds it again', async () => {
    const before = sent();
    await scheduledRun();
    const held = await scheduledRun();
    expect(await held.getState()).toBe('failed');
    // What a stalled re-run or BullMQ's own retry does: the job runs again, its started attempts counted on.
    await held.retry('failed');
    const rerun = await settled(held.id as string);
    expect(await rerun.getState()).toBe('failed');
    expect(rerun.failedReason).toContain('record id42 not sent again');
    expect(sent()).toEqual({ calls: before.calls + 1, customers: before.customers + 1 });
    // The operator's retry still sends it.
    expect((await retryOnDashboard(held.id as string)).json()).toMatchObject({ done: 1 });
    expect(await (await settled(held.id as string)).getState()).toBe('completed');
    expect(sent().customers).toBe(before.customers + 2);
  }, 60_000);

  it("releases a hold on an operator's retry that waited first (paused empresa): a delay uses no retry", async () => {
    const before = sent();
    await scheduledRun();
    const held = await scheduledRun();
    expect(await held.getState()).toBe('failed');
    await setTenantPausedMirror(producer, ingress.prefix, empresaId, true);
    try {
      // The worker rereads the paused tenants every second (PausedTenants).
      await new Promise((r) => setTimeout(r, 2500));
      expect((await retryOnDashboard(held.id as string)).json()).toMatchObject({ done: 1 });
      // The worker takes it, finds the empresa paused and delays it: a start BullMQ counts, no attempt used.
      for (const until = Date.now() + 10000; (await (await producer.getJob('set', held.id as string))?.getState()) !== 'delayed'; ) {
        if (Date.now() > until) throw new Error('the retried job was never delayed');
        await new Promise((r) => setTimeout(r, 25));
      }
    } finally {
      await setTenantPausedMirror(producer, ingress.prefix, empresaId, false);
    }
    const done = await settled(held.id as string);
    expect(done.failedReason ?? null).toBeNull();
    expect(await done.getState()).toBe('completed');
    expect(done.attemptsStarted).toBe(2);
    expect(sent()).toEqual({ calls: before.calls + 2, customers: before.customers + 2 });
  }, 60_000);

  it('a bulk retry of several jobs held by one record sends it once; the others are concluded by that push', async () => {
    const before = sent();
    await scheduledRun();
    const j2 = await scheduledRun();
    const j3 = await scheduledRun();
    expect([await j2.getState(), await j3.getState()]).toEqual(['failed', 'failed']);
    expect((await retryOnDashboard(j2.id as string, j3.id as string)).json()).toMatchObject({ done: 2 });
    const outcomes = [await settled(j2.id as string), await settled(j3.id as string)];
    expect(sent()).toEqual({ calls: before.calls + 2, customers: before.customers + 2 });
    expect(await Promise.all(outcomes.map((job) => job.getState()))).toEqual(['completed', 'completed']);
    // The push held back again (its answer still lacks cgcCpf) names the job that sent it, for the next run.
    const next = await scheduledRun();
    expect(next.failedReason).toMatch(new RegExp(`job (${j2.id}|${j3.id})`));
  }, 60_000);

  it('the jobs held by one record are concluded by the push that releases it: none sends it again once written back', async () => {
    // A consulta by the conta's id (as an event's push is): it selects the record after its write-back too.
    const byId = SET_WS_CONTAS.consulta.replace('WHERE c.id = #contaId#', `WHERE c.id = ${CONTA.id}`);
    await database.db.updateTable('integracao').set({ consulta: byId }).where('id', '=', 19).execute();
    await worker.close();
    startWorker();
    const before = sent();
    await scheduledRun();
    const [j2, j3] = [await scheduledRun(), await scheduledRun()];
    expect([await j2.getState(), await j3.getState()]).toEqual(['failed', 'failed']);
    // The conta gets its CNPJ: the push the operator's retry sends is answered with cgcCpf and written back.
    await database.db.updateTable('contas').set({ cnpj: '11222333000181' }).where('id', '=', CONTA.id).execute();
    expect((await retryOnDashboard(j2.id as string)).json()).toMatchObject({ done: 1 });
    expect(await (await settled(j2.id as string)).getState()).toBe('completed');
    const written = await database.db.selectFrom('contas').select('id_erp').where('id', '=', CONTA.id).executeTakeFirstOrThrow();
    expect(written.id_erp).not.toBeNull();
    expect(sent().calls).toBe(before.calls + 2);
    // j3, held by the same hold, run again: its record was concluded by j2's push, nothing is sent.
    expect((await retryOnDashboard(j3.id as string)).json()).toMatchObject({ done: 1 });
    expect(await (await settled(j3.id as string)).getState()).toBe('completed');
    expect(sent().calls).toBe(before.calls + 2);
  }, 60_000);

  it('refuses a record whose id does not fit the outbox before sending it, saying why', async () => {
    const longId = PENDING_CONTAS.replace('c.id, c.tipo_conta', "repeat('7', 190) AS id, c.tipo_conta");
    await database.db.updateTable('integracao').set({ consulta: longId }).where('id', '=', 19).execute();
    await worker.close();
    startWorker();
    const before = sent();
    const run = await scheduledRun();
    expect(await run.getState()).toBe('failed');
    expect(run.failedReason).toContain('too long for the outbox key');
    expect((await detail(run.id as string, keyA)).json().record.erro_codigo).toBe('RECORD_KEY_TOO_LONG');
    expect(sent()).toEqual(before);
    expect(await database.db.selectFrom('integracao_execucoes').select('id').execute()).toEqual([]);
  }, 30_000);

  it('never holds a record known only by its position in the run (another run may put another record there)', async () => {
    await database.db
      .updateTable('integracao')
      .set({
        consulta: PENDING_CONTAS.replace(' c.id,', ''),
        sql_update: 'UPDATE contas SET id_erp = #codCli#, inscricao = #cgcCpf# WHERE nome = #nome#',
      })
      .where('id', '=', 19)
      .execute();
    const before = sent();
    const first = await scheduledRun();
    expect(first.returnvalue.records).toEqual([expect.objectContaining({ key: '0', missingReturnKeys: ['cgcCpf'] })]);
    const second = await scheduledRun();
    expect(second.failedReason ?? null).toBeNull();
    expect(sent().calls).toBe(before.calls + 2);
    // Its note and log line say so, rather than promising it will not be sent again.
    const nota = (await detail(first.id as string, keyA)).json().execucoes[0].nota;
    expect(nota).toContain('Ele não está retido: uma próxima execução pode reenviá-lo');
    expect(nota).not.toContain('não será reenviado sozinho');
    expect(await logLines(first.id as string, 'en')).toContainEqual(
      expect.stringContaining('It is not held back: a later run may send it again'),
    );
    const rows = await database.db.selectFrom('integracao_execucoes').select(['registro', 'retorno_ausente', 'retido']).execute();
    expect(rows).toEqual([
      { registro: '0', retorno_ausente: 'cgcCpf', retido: 0 },
      { registro: '0', retorno_ausente: 'cgcCpf', retido: 0 },
    ]);
  }, 30_000);

  /** Waits until `check` holds (a state another process reaches), polling the database. */
  async function until(what: string, check: () => Promise<boolean>): Promise<void> {
    for (const limit = Date.now() + 15000; !(await check()); await new Promise((r) => setTimeout(r, 25)))
      if (Date.now() > limit) throw new Error(`never: ${what}`);
  }

  it('a job that loses the release race of a bulk retry completes: the push that won sent its record for it', async () => {
    await worker.close();
    startWorker(2);
    const before = sent();
    await scheduledRun();
    const [j2, j3] = [await scheduledRun(), await scheduledRun()];
    expect([await j2.getState(), await j3.getState()]).toEqual(['failed', 'failed']);
    const hold = await database.db.selectFrom('integracao_execucoes').select('id').where('retido', '=', 1).executeTakeFirstOrThrow();
    // The hold's row locked until both retried jobs have read their held rows and wait to release it: whichever takes
    // it second finds it released by the first, which concluded the second's row with it.
    const lockWaiters = async () =>
      (
        await sql<{
          n: number;
        }>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`.execute(
          database.db,
        )
      ).rows[0]?.n ?? 0;
    await database.db.transaction().execute(async (trx) => {
      await sql`SELECT id FROM integracao_execucoes WHERE id = ${hold.id} FOR UPDATE`.execute(trx);
      expect((await retryOnDashboard(j2.id as string, j3.id as string)).json()).toMatchObject({ done: 2 });
      await until('both retried jobs wait for the hold', async () => (await lockWaiters()) >= 2);
    });
    const outcomes = [await settled(j2.id as string), await settled(j3.id as string)];
    expect(outcomes.map((job) => job.failedReason ?? null)).toEqual([null, null]);
    expect(await Promise.all(outcomes.map((job) => job.getState()))).toEqual(['completed', 'completed']);
    expect(sent()).toEqual({ calls: before.calls + 2, customers: before.customers + 2 });
  }, 60_000);

  it('a scheduled run while a released push is in flight does not send the record too: it waits, then meets the new hold', async () => {
    await worker.close();
    startWorker(2);
    const before = sent();
    await scheduledRun();
    const held = await scheduledRun();
    expect(await held.getState()).toBe('failed');
    // The ERP double takes its time over this customer: the released push stays in flight a while.
    await database.db.updateTable('contas').set({ nome: SLOW_NAME }).where('id', '=', CONTA.id).execute();
    expect((await retryOnDashboard(held.id as string)).json()).toMatchObject({ done: 1 });
    await until('the released push is in flight', async () => {
      const row = await database.db
        .selectFrom('integracao_execucoes')
        .select('status')
        .where('job_id', '=', held.id as string)
        .executeTakeFirst();
      return row?.status === 'enviando';
    });
    const payload = { tenant: { empresaId, filialId: null }, integracaoId: 19, parametros: {}, trigger: 'schedule' as const };
    const next = await producer.enqueue('set', 'integration.run', payload);
    const released = await settled(held.id as string);
    expect(released.failedReason ?? null).toBeNull();
    expect(await released.getState()).toBe('completed');
    // The scheduled run waited for that push (no attempt used), then found the record held by it: sent once.
    const waited = await settled(next.id as string);
    expect(await waited.getState()).toBe('failed');
    expect(waited.attemptsMade).toBe(1);
    expect(waited.failedReason).toContain(`the receptor accepted it in job ${held.id}`);
    expect(erp.requests.count).toBe(before.calls + 2);
    // The job's record is written by the worker's recorder after BullMQ's failed event: read it once it has caught up.
    await until('the failed job is recorded', async () => (await detail(next.id as string, keyA)).json().record?.estado === 'falhou');
    const record = (await detail(next.id as string, keyA)).json().record;
    expect(record.erro_codigo).toBe('SET_RECORD_HELD');
  }, 60_000);

  /**
   * A scheduled run by the conta's id (`changes` to the conta and the integration first) whose push is then left in
   * flight, as a push whose answer was never read leaves it when its job ends (an answer too large, a job removed).
   */
  async function leftInFlight(changes: { cnpj?: string; sqlUpdate?: string }, status: 'enviando' | 'enviado' = 'enviando') {
    const byId = SET_WS_CONTAS.consulta.replace('WHERE c.id = #contaId#', `WHERE c.id = ${CONTA.id}`);
    await database.db
      .updateTable('integracao')
      .set({ consulta: byId, ...(changes.sqlUpdate ? { sql_update: changes.sqlUpdate } : {}) })
      .where('id', '=', 19)
      .execute();
    if (changes.cnpj) await database.db.updateTable('contas').set({ cnpj: changes.cnpj }).where('id', '=', CONTA.id).execute();
    await worker.close();
    startWorker();
    const before = sent();
    const first = await scheduledRun();
    expect(first.failedReason ?? null).toBeNull();
    await database.db
      .updateTable('integracao_execucoes')
      .set({ status })
      .where('job_id', '=', first.id as string)
      .execute();
    return { before, first };
  }

  it('a push another job left in flight when it ended is not sent again by a later run: it fails saying which job to check', async () => {
    // A conta with a CNPJ: the push is written back, and a later run selects it again.
    const { before, first } = await leftInFlight({ cnpj: '11222333000181' });
    const next = await scheduledRun();
    expect(await next.getState()).toBe('failed');
    expect(sent().calls).toBe(before.calls + 1);
    const record = (await detail(next.id as string, keyA)).json().record;
    expect(record.erro_codigo).toBe('SET_RECORD_UNRESOLVED');
    expect(record.erro_motivo).toBe(
      `registro id 42 não enviado para não duplicá-lo: o job ${first.id} o enviou e terminou sem concluí-lo (a resposta do ERP não foi lida ou não foi gravada no CRM); confira no ERP, reprocesse o job ${first.id} e depois este`,
    );
  }, 60_000);

  it('a push whose job no longer exists (discarded) is taken over by an operator retry of the job that met it', async () => {
    // A conta with a CNPJ, so its request carries cgcCpf, a key the ERP upserts by.
    const { before, first } = await leftInFlight({ cnpj: '11222333000181' });
    // The operator discards the job that left it in flight (or BullMQ trims it): nothing will ever conclude it.
    await first.remove();
    const next = await scheduledRun();
    expect(await next.getState()).toBe('failed');
    expect(sent().calls).toBe(before.calls + 1);
    const record = (await detail(next.id as string, keyA)).json().record;
    expect(record.erro_codigo).toBe('SET_RECORD_ORPHANED');
    expect(record.erro_motivo).toBe(
      `registro id 42 não enviado: o job ${first.id}, que o enviou sem concluí-lo, não existe mais (descartado ou removido) e o ERP pode tê-lo; confira no ERP e reprocesse este job, que assume o registro`,
    );
    // Another tenant's key cannot retry it; the operator's retry takes the record over and sends it (cgcCpf: an upsert).
    const foreign = await app.inject({
      method: 'POST',
      url: '/dashboard/api/jobs/retry',
      headers: { authorization: `Bearer ${keyB}` },
      payload: { jobs: [{ queue: 'set', id: next.id }] },
    });
    expect(foreign.json()).toMatchObject({ done: 0, notFound: 1 });
    expect((await retryOnDashboard(next.id as string)).json()).toMatchObject({ done: 1 });
    const retried = await settled(next.id as string);
    expect(await retried.getState()).toBe('completed');
    expect(sent().calls).toBe(before.calls + 2);
    const rows = await database.db
      .selectFrom('integracao_execucoes')
      .select(['job_id', 'status', 'mensagem'])
      .where('registro', '=', `id${CONTA.id}`)
      .orderBy('id')
      .execute();
    expect(rows.map((row) => [row.job_id, row.status])).toEqual([
      [first.id, 'falhou'],
      [next.id, 'concluido'],
    ]);
    expect(rows[0]?.mensagem).toContain(`job ${next.id} took the record over`);
  }, 60_000);

  it('a push taken over from a job that no longer exists is not sent again without a key the ERP knows it by', async () => {
    // No CNPJ: the request carries no key the ERP upserts by; sql_update needs only codCli.
    const { before, first } = await leftInFlight({ sqlUpdate: 'UPDATE contas SET id_erp = #codCli# WHERE id = #id#' });
    await first.remove();
    const next = await scheduledRun();
    expect((await detail(next.id as string, keyA)).json().record.erro_codigo).toBe('SET_RECORD_ORPHANED');
    // The operator's retry takes it over as an interrupted attempt of its own: the ERP may have it, so not sent.
    expect((await retryOnDashboard(next.id as string)).json()).toMatchObject({ done: 1 });
    await settled(next.id as string);
    expect((await detail(next.id as string, keyA)).json().record.erro_codigo).toBe('OUTCOME_UNKNOWN');
    expect(sent().calls).toBe(before.calls + 1);
    // Checked in the ERP, the next retry sends it.
    expect((await retryOnDashboard(next.id as string)).json()).toMatchObject({ done: 1 });
    const sentAgain = await settled(next.id as string);
    expect(await sentAgain.getState()).toBe('completed');
    expect(sent().calls).toBe(before.calls + 2);
  }, 60_000);

  it('a push the ERP accepted from a job that no longer exists is taken over by writing its answer back, not sent again', async () => {
    // No CNPJ: the request carries no key the ERP upserts by. The ERP accepted the push (enviado, its codCli stored);
    // only the write-back is missing when the job goes.
    const { before, first } = await leftInFlight({ sqlUpdate: 'UPDATE contas SET id_erp = #codCli# WHERE id = #id#' }, 'enviado');
    await database.db.updateTable('contas').set({ id_erp: null }).where('id', '=', CONTA.id).execute();
    const answered = await database.db
      .selectFrom('integracao_execucoes')
      .select('valores')
      .where('job_id', '=', first.id as string)
      .executeTakeFirstOrThrow();
    const codCli = (JSON.parse(answered.valores as string) as { codCli: unknown }).codCli;
    await first.remove();
    const next = await scheduledRun();
    expect((await detail(next.id as string, keyA)).json().record.erro_codigo).toBe('SET_RECORD_ORPHANED');
    expect((await retryOnDashboard(next.id as string)).json()).toMatchObject({ done: 1 });
    const retried = await settled(next.id as string);
    expect(retried.failedReason ?? null).toBeNull();
    expect(await retried.getState()).toBe('completed');
    // Written back with the ERP's first answer, and never sent again (no duplicate in the ERP).
    expect(sent()).toEqual({ calls: before.calls + 1, customers: before.customers + 1 });
    const conta = await database.db.selectFrom('contas').select('id_erp').where('id', '=', CONTA.id).executeTakeFirstOrThrow();
    expect(conta.id_erp).toBe(String(codCli));
  }, 60_000);
});
