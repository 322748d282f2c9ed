import {
  createEmpresa,
  createFilial,
  type Database,
  recordJobEvents,
  setSchedulePaused,
  setTenantPaused,
  type Tenant,
} from '@integrador/store';
import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { failedJobEvent } from '@integrador/test-support/job-events';
import { startTestProducer, type TestProducer } from '@integrador/test-support/test-producer';
import type { Insertable, KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs } from 'kysely';
import { listSchedules } from './list-schedules';

/** Counts the statements a Kysely instance runs (a plugin sees each one on its way to the database). */
class StatementCounter implements KyselyPlugin {
  count = 0;
  transformQuery(args: PluginTransformQueryArgs) {
    this.count += 1;
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs) {
    return args.result;
  }
}

describe.each(ALL_DIALECTS)('listSchedules and pauses (%s, real Redis)', (dialect) => {
  let database: TestDatabase;
  let testProducer: TestProducer;
  let a: number;
  let b: number;

  async function add(row: Partial<Insertable<Database['integracao']>> & { nome: string; empresa_id: number }): Promise<number> {
    const query = database.db.insertInto('integracao').values({ tipo_servico: 'GET', ativo: 1, empresa_filial_id: null, ...row });
    if (dialect === 'mysql') return Number((await query.executeTakeFirstOrThrow()).insertId);
    return (await query.returning('id').executeTakeFirstOrThrow()).id;
  }

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    testProducer = await startTestProducer();
    a = await createEmpresa(database.db, 'Empresa A');
    b = await createEmpresa(database.db, 'Empresa B');
  });
  afterAll(async () => {
    await testProducer.close();
    await database.drop();
  });

  it("reads each schedule's pause and its empresa's with the integrations (one statement), bound to the tenant", async () => {
    const pull = await add({ nome: 'GET-CLIENTES', empresa_id: a, cron: '*/10 * * * *' });
    const other = await add({ nome: 'GET-PEDIDOS', empresa_id: a, cron: '0 3 * * *' });
    await add({ nome: 'SET-CONTAS', empresa_id: a, cron: null, tipo_servico: 'SET' });
    const pullB = await add({ nome: 'GET-B', empresa_id: b, cron: '0 4 * * *' });
    const tenantA: Tenant = { empresaId: a, filialId: null, nome: 'Empresa A' };
    const statuses = async (tenant = tenantA) =>
      (await listSchedules(database.db, testProducer.producer, tenant, { tz: 'America/Sao_Paulo' })).map((e) => [
        e.integracaoId,
        e.status,
        e.tz,
      ]);

    // Another empresa's pauses are not A's: B's tenant pause, and a pause row of B naming A's integracao id.
    await setTenantPaused(database.db, b, true, 'test');
    await setSchedulePaused(database.db, b, pull, true, 'test');
    expect(await statuses()).toEqual([
      [pull, 'pending', null],
      [other, 'pending', null],
    ]);
    expect(await statuses({ empresaId: b, filialId: null, nome: 'Empresa B' })).toEqual([[pullB, 'paused', 'America/Sao_Paulo']]);

    await setSchedulePaused(database.db, a, pull, true, 'test');
    expect(await statuses()).toEqual([
      [pull, 'paused', 'America/Sao_Paulo'],
      [other, 'pending', null],
    ]);
    // A filial key sees the empresa-wide schedules with the same pause states.
    const filial = await createFilial(database.db, a, 'Filial 1');
    expect(await statuses({ ...tenantA, filialId: filial })).toEqual([
      [pull, 'paused', 'America/Sao_Paulo'],
      [other, 'pending', null],
    ]);

    await setTenantPaused(database.db, a, true, 'test');
    const counter = new StatementCounter();
    const entries = await listSchedules(database.db.withPlugin(counter), testProducer.producer, tenantA, { tz: 'America/Sao_Paulo' });
    expect(entries.map((e) => [e.integracaoId, e.status, e.nextRunAt])).toEqual([
      [pull, 'paused', null],
      [other, 'paused', null],
    ]);
    // The integrations with their pause states, then each GET's last run (its history and its last failed job).
    expect(counter.count).toBe(1 + 2 * 2);

    await setTenantPaused(database.db, a, false, 'test');
    await setSchedulePaused(database.db, a, pull, false, 'test');
    expect(await statuses()).toEqual([
      [pull, 'pending', null],
      [other, 'pending', null],
    ]);
  });
  it("words a failed GET's last run in one language: the reason, then the source's own words (trial M3)", async () => {
    const pull = await add({ nome: 'GET-ERRADA', empresa_id: b, cron: '*/15 * * * *' });
    await recordJobEvents(database.db, [
      failedJobEvent({
        empresaId: b,
        jobId: `get-falhou-${pull}`,
        fila: 'get',
        integracaoId: pull,
        erro: {
          classe: 'GetConfigError',
          codigo: 'SOURCE_QUERY_FAILED',
          mensagem: 'sql_consulta failed on the source: column "nomclii" does not exist',
          parametros: { rawDetail: 'column "nomclii" does not exist' },
        },
      }),
    ]);
    const tenantB: Tenant = { empresaId: b, filialId: null, nome: 'Empresa B' };
    const entries = await listSchedules(database.db, testProducer.producer, tenantB, {
      tz: 'America/Sao_Paulo',
      locale: 'pt-BR',
    });
    expect(entries.find((e) => e.integracaoId === pull)?.lastRun?.error).toBe(
      'a consulta SQL da integração (sql_consulta) falhou no banco de origem: column "nomclii" does not exist',
    );
  });
  it("words a GET's configuration failure whole in each language, reason and line alike (trial M3, GET_CONFIG)", async () => {
    const c = await createEmpresa(database.db, 'Empresa C');
    const pull = await add({ nome: 'GET-MODO', empresa_id: c, cron: '*/15 * * * *', modo: 'diario' });
    await recordJobEvents(database.db, [
      failedJobEvent({
        empresaId: c,
        jobId: `get-config-${pull}`,
        fila: 'get',
        integracaoId: pull,
        erro: {
          classe: 'GetConfigError',
          codigo: 'GET_CONFIG',
          mensagem: `integracao #${pull} (GET-MODO) modo: expected completo or incremental, found "diario"`,
          parametros: { problema: 'MODE_UNKNOWN', modo: 'diario' },
        },
      }),
    ]);
    const tenantC: Tenant = { empresaId: c, filialId: null, nome: 'Empresa C' };
    const lastRun = async (locale: 'pt-BR' | 'en') =>
      (await listSchedules(database.db, testProducer.producer, tenantC, { tz: 'America/Sao_Paulo', locale })).find(
        (e) => e.integracaoId === pull,
      )?.lastRun;
    const pt = 'a integração GET está mal configurada: modo: esperado completo ou incremental, encontrado "diario"';
    const en = 'the GET integration is misconfigured: modo: expected completo or incremental, found "diario"';
    expect(await lastRun('pt-BR')).toMatchObject({ error: pt, errorReason: pt });
    expect(await lastRun('en')).toMatchObject({ error: en, errorReason: en });
  });
});
