import { JOB_CATALOG } from '@integrador/jobs';
import { createLogger } from '@integrador/logging';
import { type JobProducer, listSchedulers } from '@integrador/queue';
import { createEmpresa, createFilial, type Database } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { startTestProducer, type TestProducer } from '@integrador/test-support/test-producer';
import type { Insertable } from 'kysely';
import { reconcileSchedules } from './reconcile-schedules';
import { schedulerIdOf } from './schedule-ids';

const logger = createLogger({ name: 'test', level: 'silent' });
const tz = 'America/Sao_Paulo';

describe.each(['sqlite', 'postgres'] as const)('reconcileSchedules (%s, real Redis)', (dialect) => {
  let database: TestDatabase;
  let producer: JobProducer;
  let testProducer: TestProducer;
  let a: number;
  let b: number;

  async function add(row: Partial<Insertable<Database['integracao']>> & { nome: string; empresa_id: number | null }): Promise<number> {
    const inserted = await database.db
      .insertInto('integracao')
      .values({ tipo_servico: 'GET', ativo: 1, empresa_filial_id: null, ...row })
      .returning('id')
      .executeTakeFirstOrThrow();
    return inserted.id;
  }

  const schedulers = async () => new Map((await listSchedulers(producer.queue('get'))).map((s) => [s.id, s]));

  beforeEach(async () => {
    database = await createTestDatabase(dialect);
    testProducer = await startTestProducer({ logger });
    ({ producer } = testProducer);
    a = await createEmpresa(database.db, 'Empresa A');
    b = await createEmpresa(database.db, 'Empresa B');
  });

  afterEach(async () => {
    await testProducer.close();
    await database.drop();
  });

  it('creates one scheduler per active GET integration with a cron, across tenants, and nothing for the others', async () => {
    const pull = await add({ nome: 'GET-CLIENTES', empresa_id: a, cron: '*/15 * * * *' });
    const pullB = await add({ nome: 'GET-PEDIDOS', empresa_id: b, cron: ' 0  3 * * * ' });
    await add({ nome: 'GET-INATIVA', empresa_id: a, cron: '* * * * *', ativo: 0 });
    await add({ nome: 'GET-SEM-CRON', empresa_id: a, cron: null });
    await add({ nome: 'GET-CRON-VAZIO', empresa_id: a, cron: '   ' });
    await add({ nome: 'GET-COMPONENTE', empresa_id: a, cron: '* * * * *', link: 'componente' });
    await add({ nome: 'SET-COM-CRON', empresa_id: a, cron: '* * * * *', tipo_servico: 'SET' });
    await add({ nome: 'GET-SEM-EMPRESA', empresa_id: null, cron: '* * * * *' });

    const report = await reconcileSchedules(database.db, producer, { tz }, logger);

    expect(report.created.sort()).toEqual([schedulerIdOf(a, pull), schedulerIdOf(b, pullB)].sort());
    expect(report).toMatchObject({ updated: [], removed: [], unchanged: 0, invalid: [] });
    const stored = await schedulers();
    expect([...stored.keys()].sort()).toEqual(report.created.sort());
    expect(stored.get(schedulerIdOf(a, pull))).toMatchObject({
      pattern: '*/15 * * * *',
      tz,
      name: 'integration.run',
      data: { tenant: { empresaId: a, filialId: null }, integracaoId: pull, parametros: {}, trigger: 'schedule' },
    });
    // Blanks are normalised, so the stored pattern does not change with the row's spacing.
    expect(stored.get(schedulerIdOf(b, pullB))?.pattern).toBe('0 3 * * *');
    expect(stored.get(schedulerIdOf(a, pull))?.next).toBeGreaterThan(Date.now());
    for (const id of stored.keys()) expect(id).not.toContain(':');
    // The produced jobs carry the job kind's attempts and the fleet's retention.
    const template = (await producer.queue('get').getJobScheduler(schedulerIdOf(a, pull)))?.template;
    expect(template?.opts).toMatchObject({
      attempts: JOB_CATALOG.get['integration.run'].policy.attempts,
      removeOnComplete: { age: 86400, count: 1000 },
    });
  });

  it('leaves an unchanged configuration alone, updates a changed cron and removes inactive, cron-less and deleted ones', async () => {
    const changed = await add({ nome: 'GET-A', empresa_id: a, cron: '0 * * * *' });
    const same = await add({ nome: 'GET-B', empresa_id: a, cron: '0 1 * * *' });
    const deactivated = await add({ nome: 'GET-C', empresa_id: a, cron: '0 2 * * *' });
    const uncron = await add({ nome: 'GET-D', empresa_id: b, cron: '0 3 * * *' });
    const deleted = await add({ nome: 'GET-E', empresa_id: b, cron: '0 4 * * *' });
    await reconcileSchedules(database.db, producer, { tz }, logger);
    const again = await reconcileSchedules(database.db, producer, { tz }, logger);
    expect(again).toMatchObject({ created: [], updated: [], removed: [], unchanged: 5 });
    // A scheduler this fleet did not make is not ours to remove.
    await producer.queue('get').upsertJobScheduler('someone-else', { every: 3600000 }, { name: 'system.ping', data: {} });

    await database.db.updateTable('integracao').set({ cron: '30 * * * *' }).where('id', '=', changed).execute();
    await database.db.updateTable('integracao').set({ ativo: 0 }).where('id', '=', deactivated).execute();
    await database.db.updateTable('integracao').set({ cron: null }).where('id', '=', uncron).execute();
    await database.db.deleteFrom('integracao').where('id', '=', deleted).execute();
    const report = await reconcileSchedules(database.db, producer, { tz }, logger);

    expect(report.updated).toEqual([schedulerIdOf(a, changed)]);
    expect(report.removed.sort()).toEqual([schedulerIdOf(a, deactivated), schedulerIdOf(b, uncron), schedulerIdOf(b, deleted)].sort());
    expect(report.unchanged).toBe(1);
    const stored = await schedulers();
    expect([...stored.keys()].sort()).toEqual([schedulerIdOf(a, changed), schedulerIdOf(a, same), 'someone-else'].sort());
    expect(stored.get(schedulerIdOf(a, changed))?.pattern).toBe('30 * * * *');
    // The removed schedulers' pending next jobs are gone too: only the two remaining ones of ours wait in delayed.
    const delayed = (await producer.queue('get').getDelayed()).map((job) => String(job.id)).filter((id) => id.startsWith('repeat:get-e'));
    expect(delayed.map((id) => id.split(':')[1]).sort()).toEqual([schedulerIdOf(a, changed), schedulerIdOf(a, same)].sort());
  });

  it('reports an invalid cron with the reason, skips it, removes its old scheduler and still applies the others', async () => {
    const good = await add({ nome: 'GET-OK', empresa_id: a, cron: '*/5 * * * *' });
    const broken = await add({ nome: 'GET-QUEBRADA', empresa_id: b, cron: '0 * * * *' });
    await reconcileSchedules(database.db, producer, { tz }, logger);
    await database.db.updateTable('integracao').set({ cron: 'toda hora' }).where('id', '=', broken).execute();
    const tooBig = await add({ nome: 'GET-MINUTO-61', empresa_id: a, cron: '61 * * * *' });

    const report = await reconcileSchedules(database.db, producer, { tz }, logger);

    expect(report.invalid).toEqual([
      {
        empresaId: a,
        integracaoId: tooBig,
        nome: 'GET-MINUTO-61',
        cron: '61 * * * *',
        reason: "value 61 is outside its field's 0-59 range",
        motivo: 'o valor 61 está fora do intervalo 0-59 do seu campo',
      },
      {
        empresaId: b,
        integracaoId: broken,
        nome: 'GET-QUEBRADA',
        cron: 'toda hora',
        reason: expect.stringMatching(/tod/),
        motivo: expect.not.stringMatching(/[Ii]nvalid|got value/),
      },
    ]);
    expect(report.removed).toEqual([schedulerIdOf(b, broken)]);
    expect([...(await schedulers()).keys()]).toEqual([schedulerIdOf(a, good)]);
  });

  it('refuses a 4-field cron and a step wider than its field, and unschedules one an older version scheduled', async () => {
    const four = await add({ nome: 'GET-BAD-CRON', empresa_id: a, cron: '*/61 * * *' });
    const step = await add({ nome: 'GET-STEP-61', empresa_id: b, cron: '*/61 * * * *' });
    // As an older version left it: the same 4-field cron already scheduled (BullMQ read it as daily at midnight).
    const data = { tenant: { empresaId: a, filialId: null }, integracaoId: four, parametros: {}, trigger: 'schedule' };
    await producer
      .queue('get')
      .upsertJobScheduler(schedulerIdOf(a, four), { pattern: '*/61 * * *', tz }, { name: 'integration.run', data });

    const report = await reconcileSchedules(database.db, producer, { tz }, logger);

    expect(report.invalid).toEqual([
      {
        empresaId: a,
        integracaoId: four,
        nome: 'GET-BAD-CRON',
        cron: '*/61 * * *',
        reason: expect.stringContaining('expected 5 fields'),
        motivo: expect.stringContaining('esperados 5 campos'),
      },
      {
        empresaId: b,
        integracaoId: step,
        nome: 'GET-STEP-61',
        cron: '*/61 * * * *',
        reason: expect.stringContaining('step /61'),
        motivo: 'o passo /61 é maior que o intervalo 0-59 do seu campo',
      },
    ]);
    expect(report.unchanged).toBe(0);
    expect(report.removed).toEqual([schedulerIdOf(a, four)]);
    expect([...(await schedulers()).keys()]).toEqual([]);
  });

  it('keeps a nickname cron-parser and BullMQ accept (@daily, @hourly) scheduled, also when it is unchanged', async () => {
    const daily = await add({ nome: 'GET-DIARIA', empresa_id: a, cron: '@daily' });
    const hourly = await add({ nome: 'GET-HORARIA', empresa_id: b, cron: '@hourly' });
    const first = await reconcileSchedules(database.db, producer, { tz }, logger);
    expect(first.invalid).toEqual([]);
    const again = await reconcileSchedules(database.db, producer, { tz }, logger);
    expect(again).toMatchObject({ invalid: [], removed: [], unchanged: 2 });
    expect([...(await schedulers()).keys()].sort()).toEqual([schedulerIdOf(a, daily), schedulerIdOf(b, hourly)].sort());
  });

  it('accepts a six-field cron with seconds and moves a row to its new filial', async () => {
    const id = await add({ nome: 'GET-SEGUNDOS', empresa_id: a, cron: '*/30 * * * * *' });
    await reconcileSchedules(database.db, producer, { tz }, logger);
    const filial = await createFilial(database.db, a, 'Filial 2');
    await database.db.updateTable('integracao').set({ empresa_filial_id: filial }).where('id', '=', id).execute();
    const report = await reconcileSchedules(database.db, producer, { tz }, logger);
    expect(report.updated).toEqual([schedulerIdOf(a, id)]);
    const stored = (await schedulers()).get(schedulerIdOf(a, id));
    expect(stored?.data).toMatchObject({ tenant: { empresaId: a, filialId: filial } });
    expect((stored?.next ?? 0) - Date.now()).toBeLessThanOrEqual(30000);
  });
});
