import { parseConnections } from '@integrador/connections';
import { reconcileSchedules } from '@integrador/integrador';
import type { GetRunProgress } from '@integrador/jobs';
import { createLogger } from '@integrador/logging';
import { createRedis, type JobProducer, startQueueWorker } from '@integrador/queue';
import {
  createEmpresa,
  createFilial,
  finishSyncRun,
  issueApiKey,
  recordJobEvent,
  setSchedulePaused,
  setTenantPaused,
  startSyncRun,
} from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { type GetRowValues, insertGetIntegracao } from '@integrador/test-support/get-rows';
import { TEST_REDIS_URL } from '@integrador/test-support/redis-server';
import type { Worker } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { startTestIngress, type TestIngress } from '../../../test/support/test-ingress';

const logger = createLogger({ name: 'test', level: 'silent' });

describe('GET runs and schedules over HTTP (real Redis, SQLite CRM)', () => {
  let database: TestDatabase;
  let workerRedis: ReturnType<typeof createRedis>;
  let producer: JobProducer;
  let app: FastifyInstance;
  let ingress: TestIngress;
  let prefix: string;
  let worker: Worker | undefined;
  let empresaA: number;
  let keyA: string;
  let keyA2: string;
  let keyB: string;
  let pullA: number;
  let pullA2: number;
  let pullB: number;

  const addGet = (nome: string, empresaId: number, values: GetRowValues = {}) =>
    insertGetIntegracao(database.db, nome, empresaId, null, values);

  beforeEach(async () => {
    database = await createTestDatabase('sqlite');
    workerRedis = createRedis(TEST_REDIS_URL, { role: 'worker' });
    const connections = parseConnections(JSON.stringify({ connections: {} }), 'json', {}, 'test');
    ingress = await startTestIngress(database, { deps: { connections, scheduleTimezone: 'America/Sao_Paulo' } });
    ({ app, producer, prefix } = ingress);
    empresaA = await createEmpresa(database.db, 'Empresa A');
    const empresaB = await createEmpresa(database.db, 'Empresa B');
    const filialA2 = await createFilial(database.db, empresaA, 'Filial 2');
    keyA = await issueApiKey(database.db, empresaA, null, 'a');
    keyA2 = await issueApiKey(database.db, empresaA, filialA2, 'a2');
    keyB = await issueApiKey(database.db, empresaB, null, 'b');
    pullA = await addGet('GET-CLIENTES-A', empresaA, { cron: '*/10 * * * *' });
    pullA2 = await addGet('GET-FILIAL-1', empresaA, { cron: '0 5 * * *', empresa_filial_id: null });
    pullB = await addGet('GET-CLIENTES-B', empresaB, { cron: '0 6 * * *' });
  });

  afterEach(async () => {
    await worker?.close();
    worker = undefined;
    await ingress.close();
    workerRedis.disconnect();
    await database.drop();
  });

  const post = (id: number, key = keyA) =>
    app.inject({ method: 'POST', url: `/v1/integrations/${id}/run`, headers: { authorization: `Bearer ${key}` }, payload: {} });
  const get = (url: string, key = keyA) => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });

  it('two run requests for the same GET integration give one job: 202, the second with deduplicated: true', async () => {
    const [first, second] = await Promise.all([post(pullA), post(pullA)]);
    expect(first.statusCode).toBe(202);
    expect(second.statusCode).toBe(202);
    const bodies = [first.json(), second.json()].sort((x, y) => Number(x.deduplicated) - Number(y.deduplicated));
    expect(bodies[0]).toMatchObject({ queue: 'get', deduplicated: false });
    expect(bodies[1]).toEqual({
      queue: 'get',
      jobId: bodies[0].jobId,
      deduplicated: true,
      steps: [{ integracaoId: pullA, nome: expect.any(String), queue: 'get', jobId: bodies[0].jobId }],
    });
    // Fairness gives every job a priority, so a queued job is waiting or prioritized.
    expect(await producer.queue('get').getJobCountByTypes('waiting', 'prioritized')).toBe(1);
    // The other tenant's integration is a 404, and its own run is its own job.
    expect((await post(pullB)).statusCode).toBe(404);
    expect((await post(pullB, keyB)).json()).toMatchObject({ queue: 'get', deduplicated: false });
  });

  it('parametros.reconciliar takes the documented yes/no spellings; anything else is 400 naming them, nothing enqueued', async () => {
    const run = (reconciliar: unknown, lang = 'pt-BR') =>
      app.inject({
        method: 'POST',
        url: `/v1/integrations/${pullA}/run`,
        headers: { authorization: `Bearer ${keyA}`, 'accept-language': lang },
        payload: { parametros: { reconciliar } },
      });
    for (const typo of ['ture', 'yes', 2, 's']) {
      const refused = await run(typo);
      expect([typo, refused.statusCode, refused.json().error.code]).toEqual([typo, 400, 'INVALID_PARAMETER']);
      expect(refused.json().error.message).toContain('esperado um de true, false, sim, não, nao, 1, 0');
    }
    expect((await run('ture', 'en')).json().error.message).toMatch(/^invalid parameter reconciliar: expected one of true, false/);
    expect(await producer.queue('get').getJobCounts('waiting', 'active', 'delayed')).toEqual({ waiting: 0, active: 0, delayed: 0 });
    for (const accepted of [true, 'Sim', 'false', 0]) {
      const response = await run(accepted);
      expect([accepted, response.statusCode]).toEqual([accepted, 202]);
    }
  });

  it('GET /v1/jobs/get/:id shows the live progress of a running pull', async () => {
    let finish: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const progress: GetRunProgress = {
      phase: 'gravando',
      rowsRead: 5000,
      rowsWritten: 4000,
      chunks: 2,
      startedAt: new Date().toISOString(),
    };
    worker = startQueueWorker({
      queue: 'get',
      connection: workerRedis,
      prefix,
      concurrency: 1,
      logger,
      handlers: {
        'system.ping': async () => ({}),
        'endpoint.sync': async () => ({}),
        'integration.run': async (_payload, ctx) => {
          await ctx.job.updateProgress(progress);
          await held;
          return { done: true };
        },
      },
    });
    const { jobId } = (await post(pullA)).json();
    let seen: unknown;
    for (let i = 0; i < 100 && !seen; i++) {
      const body = (await get(`/v1/jobs/get/${jobId}`)).json();
      if (body.state === 'active' && typeof body.progress === 'object') seen = body.progress;
      else await new Promise((r) => setTimeout(r, 50));
    }
    expect(seen).toEqual(progress);
    expect((await get(`/v1/jobs/get/${jobId}`, keyB)).statusCode).toBe(404);
    finish();
  });

  it('GET /v1/schedules lists only the caller tenant’s GET integrations, with next and last run', async () => {
    await reconcileSchedules(database.db, producer, { tz: 'America/Sao_Paulo' });
    const run = await startSyncRun(database.db, {
      empresaId: empresaA,
      integracaoId: pullA,
      jobId: 'job-1',
      gatilho: 'schedule',
      modo: 'full',
      reconciliacao: false,
      cursorInicial: null,
    });
    await database.db
      .updateTable('integracao_sincronizacao_execucoes')
      .set({ linhas_lidas: 120, linhas_gravadas: 118 })
      .where('id', '=', run.id)
      .execute();
    await finishSyncRun(database.db, run.id, { status: 'concluido', duracaoMs: 1500 });

    const response = await get('/v1/schedules');
    expect(response.statusCode).toBe(200);
    const items = response.json().items as Record<string, unknown>[];
    expect(items.map((i) => i.integracaoId)).toEqual([pullA, pullA2]);
    expect(items[0]).toMatchObject({
      nome: 'GET-CLIENTES-A',
      cron: '*/10 * * * *',
      tz: 'America/Sao_Paulo',
      status: 'scheduled',
      lastRun: { jobId: 'job-1', trigger: 'schedule', status: 'concluido', rowsRead: 120, rowsWritten: 118, error: null },
    });
    const next = Date.parse(String(items[0]?.nextRunAt));
    expect(next).toBeGreaterThan(Date.now());
    expect(next - Date.now()).toBeLessThanOrEqual(10 * 60 * 1000);
    expect(items[1]).toMatchObject({ lastRun: null, status: 'scheduled' });

    const b = (await get('/v1/schedules', keyB)).json().items as Record<string, unknown>[];
    expect(b.map((i) => i.integracaoId)).toEqual([pullB]);
    expect(b[0]?.lastRun).toBeNull();
    // A filial key sees the empresa-wide rows and its own filial's, never another filial's.
    await database.db.updateTable('integracao').set({ empresa_filial_id: 999 }).where('id', '=', pullA2).execute();
    const a2 = (await get('/v1/schedules', keyA2)).json().items as Record<string, unknown>[];
    expect(a2.map((i) => i.integracaoId)).toEqual([pullA]);
    expect((await app.inject({ method: 'GET', url: '/v1/schedules' })).statusCode).toBe(401);
  });

  it('shows a paused schedule (or one of a paused empresa) as paused with its cron and zone, never as pending', async () => {
    await setSchedulePaused(database.db, empresaA, pullA, true, 'test');
    const items = (await get('/v1/schedules')).json().items as Record<string, unknown>[];
    expect(items.map((i) => [i.integracaoId, i.status, i.cron, i.tz, i.nextRunAt])).toEqual([
      [pullA, 'paused', '*/10 * * * *', 'America/Sao_Paulo', null],
      [pullA2, 'pending', '0 5 * * *', null, null],
    ]);
    expect(((await get('/v1/schedules', keyB)).json().items as Record<string, unknown>[]).map((i) => i.status)).toEqual(['pending']);
    await setTenantPaused(
      database.db,
      (await database.db.selectFrom('integracao').select('empresa_id').where('id', '=', pullB).executeTakeFirstOrThrow())
        .empresa_id as number,
      true,
      'test',
    );
    expect(((await get('/v1/schedules', keyB)).json().items as Record<string, unknown>[]).map((i) => [i.integracaoId, i.status])).toEqual([
      [pullB, 'paused'],
    ]);
  });

  it('a scheduled GET that failed before opening its history (connection not in the file) is the lastRun, worded per viewer', async () => {
    const jobId = `repeat:get-e${empresaA}-i${pullA}:1765000000000`;
    // An incremental integration (by its campo_cursor): the failed run is shown in that mode, not as a full one.
    await database.db.updateTable('integracao').set({ campo_cursor: 'DATALT' }).where('id', '=', pullA).execute();
    // What the job recorder writes when worker-get refuses the job: no integracao_sincronizacao_execucoes row.
    await recordJobEvent(database.db, {
      empresaId: empresaA,
      filialId: null,
      fila: 'get',
      jobId,
      nomeJob: 'integration.run',
      integracaoId: pullA,
      parametros: null,
      estado: 'falhou',
      tentativas: 1,
      maxTentativas: 1,
      erro: { classe: 'ConnectionNotFoundError', codigo: 'CONNECTION_NOT_FOUND', mensagem: 'connection "erp_pgg" is not defined' },
    });
    const lastOf = async (lang: string) => {
      const response = await app.inject({ url: '/v1/schedules', headers: { authorization: `Bearer ${keyA}`, 'accept-language': lang } });
      return (response.json().items as { integracaoId: number; lastRun: Record<string, unknown> | null }[]).find(
        (item) => item.integracaoId === pullA,
      )?.lastRun;
    };
    expect(await lastOf('pt-BR')).toMatchObject({
      jobId,
      trigger: 'schedule',
      status: 'falhou',
      mode: 'incremental',
      rowsRead: 0,
      error:
        'a conexão da integração não está definida para os workers (confira se eles foram iniciados com CONNECTIONS_FILE e se o arquivo define essa conexão): connection "erp_pgg" is not defined',
    });
    expect((await lastOf('en'))?.error).toMatch(/^the integration's connection is not defined for the workers/);
    // Another tenant's schedules never show it.
    const other = (await get('/v1/schedules', keyB)).json().items as { lastRun: unknown }[];
    expect(other.map((item) => item.lastRun)).toEqual([null]);
  });

  it('shows a cron-less or inactive integration as not_scheduled and one not reconciled yet as pending', async () => {
    const pending = await addGet('GET-NOVA', empresaA, { cron: '0 7 * * *' });
    await database.db.updateTable('integracao').set({ ativo: 0 }).where('id', '=', pullA2).execute();
    const items = (await get('/v1/schedules')).json().items as Record<string, unknown>[];
    expect(items.map((i) => [i.integracaoId, i.status, i.nextRunAt])).toEqual([
      [pullA, 'pending', null],
      [pullA2, 'not_scheduled', null],
      [pending, 'pending', null],
    ]);
  });
});
