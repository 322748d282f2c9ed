import { listSchedules, reconcileSchedules, schedulerIdOf } from '@integrador/integrador';
import type { GetRunResult, IntegrationRunPayload } from '@integrador/jobs';
import { createLogger } from '@integrador/logging';
import { createRedis, JobProducer, listSchedulers, startQueueWorker, waitUntilReady } from '@integrador/queue';
import { createEmpresa, createFilial } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { insertGetIntegracao } from '@integrador/test-support/get-rows';
import { deletePrefix, TEST_REDIS_URL, testPrefix } from '@integrador/test-support/redis-server';
import type { Worker } from 'bullmq';
import { cliEnv, runCli } from '../test/run-cli';
import { localTime } from './local-time';

const logger = createLogger({ name: 'test', level: 'silent' });

describe('integrador schedules and GET runs (real CLI process, real Redis, PostgreSQL CRM)', () => {
  let database: TestDatabase;
  let redis: ReturnType<typeof createRedis>;
  let workerRedis: ReturnType<typeof createRedis>;
  let producer: JobProducer;
  let prefix: string;
  let worker: Worker | undefined;
  let a: number;
  let b: number;
  let pullA: number;
  let brokenB: number;

  const cli = (...args: string[]) => runCli(args, cliEnv(database.url, { REDIS_URL: TEST_REDIS_URL, KEY_PREFIX: prefix }));

  const addGet = (nome: string, empresaId: number, cron: string | null) =>
    insertGetIntegracao(database.db, nome, empresaId, null, { cron });

  beforeEach(async () => {
    database = await createTestDatabase('postgres');
    prefix = testPrefix();
    redis = createRedis(TEST_REDIS_URL, { role: 'producer' });
    workerRedis = createRedis(TEST_REDIS_URL, { role: 'worker' });
    await waitUntilReady(redis);
    producer = new JobProducer({ connection: redis, prefix, timeoutMs: 2000, logger });
    a = await createEmpresa(database.db, 'Empresa A');
    b = await createEmpresa(database.db, 'Empresa B');
    pullA = await addGet('GET-CLIENTES', a, '*/10 * * * *');
    brokenB = await addGet('GET-QUEBRADA', b, '0 25 * * *');
  });

  afterEach(async () => {
    await worker?.close();
    worker = undefined;
    await producer.close();
    redis.disconnect();
    workerRedis.disconnect();
    await deletePrefix(TEST_REDIS_URL, prefix);
    await database.drop();
  });

  it('schedules sync applies the valid crons, names the invalid one on stderr and exits 1; list shows next runs', async () => {
    const sync = await cli('schedules', 'sync');
    expect(sync.code).toBe(1);
    expect(sync.stdout.trim()).toBe(
      'Agendamentos sincronizados: 1 criados, 0 atualizados, 0 removidos, 0 sem mudança, 1 com cron inválido.',
    );
    // One language per line: the parser's English reason only in English (trial 4 #3).
    expect(sync.stderr).toContain(
      `cron inválido na integração #${brokenB} (GET-QUEBRADA, empresa ${b}): "0 25 * * *" — o valor 25 está fora do intervalo 0-23 do seu campo; não foi agendada`,
    );
    expect((await listSchedulers(producer.queue('get'))).map((s) => s.id)).toEqual([schedulerIdOf(a, pullA)]);

    await database.db.updateTable('integracao').set({ cron: '0 3 * * *' }).where('id', '=', brokenB).execute();
    const again = await cli('schedules', 'sync', '--json', '--lang', 'en');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ created: [schedulerIdOf(b, brokenB)], updated: [], removed: [], unchanged: 1, invalid: [] });

    const list = await cli('schedules', 'list', '--json');
    expect(list.code).toBe(0);
    const entries = (
      JSON.parse(list.stdout) as { items: { integracaoId: number; empresaId: number; status: string; nextRunAt: string | null }[] }
    ).items;
    expect(entries.map((e) => [e.empresaId, e.integracaoId, e.status])).toEqual([
      [a, pullA, 'scheduled'],
      [b, brokenB, 'scheduled'],
    ]);
    for (const entry of entries) expect(Date.parse(String(entry.nextRunAt))).toBeGreaterThan(Date.now());

    const onlyA = await cli('schedules', 'list', '--empresa', String(a));
    // The next run in the schedules' zone with its offset, as `cti calls` and the dashboard show times (it printed UTC).
    const next = localTime(new Date(String(entries[0]?.nextRunAt)), 'America/Sao_Paulo');
    expect(next).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d GMT-3$/);
    expect(onlyA.stdout.trim().split('\n')).toEqual([
      `#${pullA} GET-CLIENTES (empresa ${a}): cron "*/10 * * * *" (America/Sao_Paulo), agendada; próxima: ${next}; última: nenhuma`,
    ]);
    expect((await cli('schedules', 'list', '--empresa', '999')).stderr).toContain('a empresa #999 não existe');
  });

  it('schedules pause|resume and tenant pause|resume: a paused schedule lists as pausada with its cron and zone, no next run', async () => {
    const schedulerIds = async () => (await listSchedulers(producer.queue('get'))).map((s) => s.id);
    const listA = () => listSchedules(database.db, producer, { empresaId: a, filialId: null, nome: '' }, { tz: 'America/Sao_Paulo' });
    await reconcileSchedules(database.db, producer, { tz: 'America/Sao_Paulo' });
    const pause = await cli('schedules', 'pause', String(pullA), '--empresa', String(a));
    expect(pause.stderr).toBe('');
    expect(pause.stdout.trim()).toBe(`Agendamento da integração #${pullA} (empresa ${a}) pausado.`);
    expect(await schedulerIds()).not.toContain(schedulerIdOf(a, pullA));
    // A sync keeps it paused (no scheduler), and list says so rather than "pendente", with its cron and zone.
    await reconcileSchedules(database.db, producer, { tz: 'America/Sao_Paulo' });
    const listed = await cli('schedules', 'list', '--empresa', String(a));
    expect(listed.stdout.trim()).toBe(
      `#${pullA} GET-CLIENTES (empresa ${a}): cron "*/10 * * * *" (America/Sao_Paulo), pausada; próxima: —; última: nenhuma`,
    );
    expect(await listA()).toEqual([
      expect.objectContaining({ integracaoId: pullA, status: 'paused', tz: 'America/Sao_Paulo', nextRunAt: null }),
    ]);
    const audit = await database.db.selectFrom('auditoria_acoes').select(['autor', 'acao', 'alvo']).where('empresa_id', '=', a).execute();
    expect(audit).toEqual([{ autor: 'cli', acao: 'pause-schedule', alvo: `integracao/${pullA}` }]);

    // Bound to --empresa: empresa B's id under A does not exist; a filial acts on its own filial's schedules only.
    const foreign = await cli('schedules', 'pause', String(brokenB), '--empresa', String(a));
    expect([foreign.code, foreign.stderr.trim()]).toEqual([
      1,
      `erro: a integração #${brokenB} não existe na empresa #${a} ou não é uma integração GET`,
    ]);
    // No schedule to pause (the engine's rule, the dashboard's too): a GET without a cron, or an inactive one; nothing written.
    const onDemand = await addGet('GET-SOB-DEMANDA', a, null);
    const inactive = await addGet('GET-INATIVA', a, '*/5 * * * *');
    await database.db.updateTable('integracao').set({ ativo: 0 }).where('id', '=', inactive).execute();
    for (const id of [onDemand, inactive]) {
      const refused = await cli('schedules', 'pause', String(id), '--empresa', String(a));
      expect([refused.code, refused.stderr.trim()]).toEqual([
        1,
        `erro: a integração #${id} não tem agendamento (sem cron, inativa ou componente): não há o que pausar; ela só roda quando alguém a executa`,
      ]);
    }
    const refusedEn = await cli('schedules', 'pause', String(onDemand), '--empresa', String(a), '--lang', 'en');
    expect(refusedEn.stderr.trim()).toMatch(
      new RegExp(`^error: integration #${onDemand} has no schedule \\(no cron, inactive or a componente\\)`),
    );
    expect(
      await database.db
        .selectFrom('agendamentos_pausados')
        .select('integracao_id')
        .where('integracao_id', 'in', [onDemand, inactive])
        .execute(),
    ).toEqual([]);
    await database.db.deleteFrom('integracao').where('id', 'in', [onDemand, inactive]).execute();
    const filial = await createFilial(database.db, a, 'Filial 1');
    const asFilial = await cli('schedules', 'resume', String(pullA), '--empresa', String(a), '--filial', String(filial));
    expect(asFilial.code).toBe(1);
    expect(asFilial.stderr).toContain('pertence à empresa toda ou a outra filial');

    const resume = await cli('schedules', 'resume', String(pullA), '--empresa', String(a), '--lang', 'en');
    expect(resume.stdout.trim()).toBe(
      `Schedule of integration #${pullA} (empresa ${a}) resumed; it runs on its cron again (America/Sao_Paulo).`,
    );
    expect(await schedulerIds()).toContain(schedulerIdOf(a, pullA));

    const tenantPause = await cli('tenant', 'pause', String(a));
    expect(tenantPause.stdout.trim()).toBe(`Empresa #${a} pausada (1 agendamento(s) GET parado(s)).`);
    expect(await schedulerIds()).not.toContain(schedulerIdOf(a, pullA));
    expect(await listA()).toEqual([expect.objectContaining({ status: 'paused', nextRunAt: null })]);
    expect((await cli('tenant', 'resume', String(a))).stdout.trim()).toBe(`Empresa #${a} retomada (0 jobs retidos liberados).`);
    expect(await schedulerIds()).toContain(schedulerIdOf(a, pullA));
  }, 300_000);

  describe('run --wait of a GET integration', () => {
    const result: GetRunResult = {
      integracaoId: 0,
      mode: 'full',
      rowsRead: 3000,
      rowsWritten: 3000,
      rowsSkipped: 0,
      rowsMarkedDeleted: 0,
      cursor: null,
      durationMs: 1200,
    };

    /** A worker that reports progress as the engine does, chunk by chunk, and returns a GetRunResult. */
    function startReportingWorker(): void {
      worker = startQueueWorker({
        queue: 'get',
        connection: workerRedis,
        prefix,
        concurrency: 1,
        logger,
        handlers: {
          'system.ping': async () => ({}),
          'endpoint.sync': async () => ({}),
          'integration.run': async (payload: IntegrationRunPayload, ctx) => {
            const startedAt = new Date().toISOString();
            for (let chunk = 1; chunk <= 3; chunk++) {
              await ctx.job.updateProgress({
                phase: 'gravando',
                rowsRead: chunk * 1000,
                rowsWritten: chunk * 1000,
                chunks: chunk,
                startedAt,
              });
              await new Promise((r) => setTimeout(r, 400));
            }
            return { ...result, integracaoId: payload.integracaoId };
          },
        },
      });
    }

    it('--json prints one document with the result and no bar', async () => {
      startReportingWorker();
      const run = await cli('run', String(pullA), '--empresa', String(a), '--wait', '--json');
      expect(run).toMatchObject({ code: 0, stderr: '' });
      const body = JSON.parse(run.stdout);
      expect(body).toMatchObject({ queue: 'get', deduplicated: false, state: 'completed', result: { ...result, integracaoId: pullA } });
      // The job carried the CLI trigger and this tenant.
      const job = await producer.getJob('get', body.jobId);
      expect(job?.data).toEqual({ tenant: { empresaId: a, filialId: null }, integracaoId: pullA, parametros: {}, trigger: 'cli' });
    });

    it('shows a live counter on stderr (no bar: the total is unknown until the source is exhausted) and the final counts', async () => {
      startReportingWorker();
      const run = await cli('run', String(pullA), '--empresa', String(a), '--wait');
      expect(run.code).toBe(0);
      const lines = run.stdout.trim().split('\n');
      expect(lines[0]).toMatch(new RegExp(`^Integração #${pullA} enfileirada: job \\S+ na fila get\\.$`));
      expect(lines.at(-1)).toMatch(
        /^Job \S+ concluído \(completo\): 3000 lidas, 3000 gravadas, 0 ignoradas, 0 marcadas como removidas em 1,2 s\.$/,
      );
      expect(run.stderr).toMatch(/gravando · \d+ lidas · \d+ gravadas · \d+ linhas\/s · \d+s/);
      expect(run.stderr).not.toMatch(/[░█]/);
    });

    it('a second run while one is queued follows the queued job instead of adding one', async () => {
      const first = await cli('run', String(pullA), '--empresa', String(a), '--json');
      const second = await cli('run', String(pullA), '--empresa', String(a));
      const { jobId } = JSON.parse(first.stdout);
      expect(second.stdout.trim()).toBe(
        `A integração #${pullA} já está em execução ou na fila: acompanhando o job ${jobId} (nenhum novo foi criado).`,
      );
      expect(await producer.queue('get').getJobCountByTypes('waiting', 'prioritized')).toBe(1);
    });
  });
});
