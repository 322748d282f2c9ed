import { createLogger } from '@integrador/logging';
import { type createRedis, type JobContext, type JobProducer, listSchedulers, oneSyncPerService } from '@integrador/queue';
import { createEmpresa, createServicoEndpoint, type ServicoEndpointInput, updateServicoEndpoint } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { startTestProducer, type TestProducer } from '@integrador/test-support/test-producer';
import { listEndpointSchedules } from './list-schedules';
import { reconcileSchedules } from './reconcile-schedules';
import { endpointSchedulerIdOf } from './schedule-ids';

const logger = createLogger({ name: 'test', level: 'silent' });
const tz = 'America/Sao_Paulo';

function service(nome: string, cron: string | null, ativo = true): ServicoEndpointInput {
  return {
    nome,
    urlBase: 'https://erp.example.com.br',
    autenticacao: 'nenhuma',
    usuario: null,
    segredoRef: null,
    ativo,
    cron,
    eventos: [{ tipo: 'contato', url: 'https://erp.example.com.br/contatos' }],
  };
}

// Seed 003's JSON endpoint services on a cron: PostgreSQL and Redis as they run, two tenants.
describe('JSON endpoint service schedules (PostgreSQL, real Redis)', () => {
  let database: TestDatabase;
  let redis: ReturnType<typeof createRedis>;
  let producer: JobProducer;
  let testProducer: TestProducer;
  let prefix: string;
  let a: number;
  let b: number;

  beforeEach(async () => {
    database = await createTestDatabase('postgres');
    testProducer = await startTestProducer({ logger });
    ({ redis, producer, prefix } = testProducer);
    a = await createEmpresa(database.db, 'Empresa A');
    b = await createEmpresa(database.db, 'Empresa B');
  });

  afterEach(async () => {
    await testProducer.close();
    await database.drop();
  });

  it('schedules each active service with a cron like a GET integration, shows it to its tenant only, and follows edits', async () => {
    const scheduled = await createServicoEndpoint(database, { empresaId: a, filialId: null }, service('Egressos', '0 */6 * * *'));
    const onDemand = await createServicoEndpoint(database, { empresaId: a, filialId: null }, service('Sob demanda', null));
    await createServicoEndpoint(database, { empresaId: a, filialId: null }, service('Inativo', '* * * * *', false));
    const other = await createServicoEndpoint(database, { empresaId: b, filialId: null }, service('Egressos', '30 2 * * *'));

    const report = await reconcileSchedules(database.db, producer, { tz }, logger);
    const idA = endpointSchedulerIdOf(a, scheduled.id);
    const idB = endpointSchedulerIdOf(b, other.id);
    expect(report.created.sort()).toEqual([idA, idB].sort());
    const stored = new Map((await listSchedulers(producer.queue('get'))).map((s) => [s.id, s]));
    expect(stored.get(idA)).toMatchObject({
      pattern: '0 */6 * * *',
      tz,
      name: 'endpoint.sync',
      data: { tenant: { empresaId: a, filialId: null }, servicoId: scheduled.id, trigger: 'schedule' },
    });
    // A second pass changes nothing.
    expect(await reconcileSchedules(database.db, producer, { tz }, logger)).toMatchObject({
      created: [],
      updated: [],
      removed: [],
      unchanged: 2,
    });

    const listed = await listEndpointSchedules(database.db, producer, { empresaId: a, filialId: null });
    expect(listed.map((e) => [e.servicoId, e.status, e.cron])).toEqual([
      [scheduled.id, 'scheduled', '0 */6 * * *'],
      [onDemand.id, 'not_scheduled', null],
      [expect.any(Number), 'not_scheduled', '* * * * *'],
    ]);
    expect(Date.parse(String(listed[0]?.nextRunAt))).toBeGreaterThan(Date.now());
    expect((await listEndpointSchedules(database.db, producer, { empresaId: b, filialId: null })).map((e) => e.servicoId)).toEqual([
      other.id,
    ]);

    // Its cron removed by an update: the scheduler goes at the next reconcile.
    await updateServicoEndpoint(database.db, { empresaId: a, filialId: null }, scheduled.id, service('Egressos', null));
    expect((await reconcileSchedules(database.db, producer, { tz }, logger)).removed).toEqual([idA]);
    expect((await listSchedulers(producer.queue('get'))).map((s) => s.id)).toEqual([idB]);
  });

  it('skips a scheduled sync while another sync of the same service runs, and runs it once that one ended', async () => {
    const servico = await createServicoEndpoint(database, { empresaId: a, filialId: null }, service('Egressos', '0 */6 * * *'));
    const payload = (trigger: 'api' | 'schedule') => ({ tenant: { empresaId: a, filialId: null }, servicoId: servico.id, trigger });
    // Real jobs in Redis: the key's holder is checked against its job (a finished or vanished holder frees the key).
    const running = await producer.enqueue('get', 'endpoint.sync', payload('api'));
    const tick = await producer.enqueue('get', 'endpoint.sync', payload('schedule'));
    const ctx = (job: typeof running) => ({ job, logger }) as unknown as JobContext;
    let release: () => void = () => undefined;
    const ran: string[] = [];
    const handler = oneSyncPerService(redis, prefix, async (p) => {
      ran.push(p.trigger);
      if (p.trigger === 'api') await new Promise<void>((resolve) => (release = resolve));
      return { ok: true };
    });

    const first = handler(payload('api'), ctx(running));
    // The API sync holds the service's key once it runs (a fixed pause could end before it took the key).
    for (const deadline = Date.now() + 10000; ran.length === 0 && Date.now() < deadline; )
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(ran).toEqual(['api']);
    expect(await handler(payload('schedule'), ctx(tick))).toEqual({ skipped: true, reason: 'already-running', runningJobId: running.id });
    release();
    expect(await first).toEqual({ ok: true });
    expect(await handler(payload('schedule'), ctx(tick))).toEqual({ ok: true });
    expect(ran).toEqual(['api', 'schedule']);
  });
});
