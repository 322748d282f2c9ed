import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '@integrador/logging';
import type { JobProducer } from '@integrador/queue';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { startTestProducer, type TestProducer } from '@integrador/test-support/test-producer';
import { DEFAULT_CREDENTIALS, type SeniorG5Server, SLOW_NAME, seniorG5ConnectionsYaml, startSeniorG5Server } from '../fixtures/senior-g5';
import { insertContas, SET_WS_CONTAS_RANGE, seedSetWsContas } from '../fixtures/set-ws-contas';
import { report, until } from './fault-mode';
import { WorkerPool } from './worker-pool';

const customersIn = (body: string) => (body.match(/<[\w:]*dadosGeraisCliente>/g) ?? []).length;

/**
 * worker-set killed (SIGKILL) in the middle of a job whose records go out grouped (micro-batching on, lote_maximo 3,
 * five records): the first three concluded in one call, the other two held by the ERP when the kill comes. The
 * restarted worker takes the job again: the concluded three are not sent again, the two in flight are re-sent (their
 * ideExt makes GravarClientes update what the cut call created), and every conta ends with one ERP customer.
 */
describe('worker-set killed mid-group', () => {
  const latencyMs = 1500;
  const IDS = [501, 502, 503, 504, 505];
  let erp: SeniorG5Server;
  let database: TestDatabase;
  let testProducer: TestProducer;
  let producer: JobProducer;
  let connectionsFile: string;
  let empresaId: number;
  const workers = new WorkerPool();
  const startWorker = () =>
    workers.start(
      'apps/worker-set/src/main.ts',
      { prefix: testProducer.prefix, databaseUrl: database.url },
      { CONNECTIONS_FILE: connectionsFile, SENIOR_PASSWORD: DEFAULT_CREDENTIALS.password, WORKER_CONCURRENCY: '1' },
    );

  beforeAll(async () => {
    erp = await startSeniorG5Server({ latencyMs });
    connectionsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fault-group-')), 'connections.yaml');
    // The connection's timeout outlasts a SLOW customer: the call is cut by the kill, never by the timeout.
    fs.writeFileSync(connectionsFile, seniorG5ConnectionsYaml(erp.url, { timeoutMs: latencyMs * 4 }));
    database = await createTestDatabase('postgres');
    ({ empresaId } = await seedSetWsContas(database.db, { ...SET_WS_CONTAS_RANGE, lote_maximo: 3 }));
    // 504 is SLOW: the call carrying it is held by the ERP (created after the latency, the answer going nowhere).
    await insertContas(database.db, empresaId, IDS, (id) => (id === 504 ? { nome: SLOW_NAME } : {}));
    testProducer = await startTestProducer({ enqueueTimeoutMs: 5000, logger: createLogger({ name: 'test', level: 'silent' }) });
    producer = testProducer.producer;
  });

  afterAll(async () => {
    await workers.stopAll();
    await testProducer.close();
    await database.drop();
    await erp.close();
  });

  it('the concluded records are not sent again, the ones in flight are re-sent once, nothing is lost', async () => {
    const worker = await startWorker();
    const payload = {
      tenant: { empresaId, filialId: null },
      integracaoId: 19,
      parametros: { contaId: 501, contaAte: 505 },
      trigger: 'api' as const,
    };
    const jobId = String((await producer.enqueue('set', 'integration.run', payload)).id);
    const execucoes = () =>
      database.db.selectFrom('integracao_execucoes').select(['chave', 'status', 'tentativas']).orderBy('chave').execute();
    // The first call (three records) answered and concluded, the second (504 and 505) held by the ERP.
    await until(
      'three records concluded and the second call out',
      async () => (await execucoes()).filter((row) => row.status === 'concluido').length === 3 && erp.requests.count === 2,
      60_000,
      5,
    );
    await workers.kill(worker);
    await until('the ERP to create the held customers', async () => erp.customers.size === IDS.length, 30_000, 20);
    await startWorker();
    await until(
      `job ${jobId} settled`,
      async () => ['completed', 'failed'].includes((await (await producer.getJob('set', jobId))?.getState()) ?? ''),
      120_000,
      100,
    );
    const state = await (await producer.getJob('set', jobId))?.getState();
    const bodies = erp.requests.bodies;
    const perConta = new Map<string, number>();
    for (const customer of erp.customers.values()) perConta.set(String(customer.ideExt), (perConta.get(String(customer.ideExt)) ?? 0) + 1);
    report('worker-set killed while the second call of a grouped job was held', {
      enqueued: IDS.length,
      processed: (await execucoes()).filter((row) => row.status === 'concluido').length,
      lost: IDS.filter((id) => !perConta.has(`crm-${id}`)).length,
      duplicated: [...perConta.values()].reduce((sum, count) => sum + count - 1, 0),
    });
    expect(state).toBe('completed');
    // The concluded three went once, the two in the cut call once more (how the calls group them is the batcher's timing).
    expect(bodies.map(customersIn).reduce((sum, count) => sum + count, 0)).toBe(7);
    for (const id of [501, 502, 503]) expect(bodies.filter((body) => body.includes(`crm-${id}<`)).length).toBe(1);
    for (const id of [504, 505]) expect(bodies.filter((body) => body.includes(`crm-${id}<`)).length).toBe(2);
    for (const id of IDS) expect(perConta.get(`crm-${id}`)).toBe(1);
    const contas = await database.db.selectFrom('contas').select(['id', 'id_erp']).where('id', 'in', IDS).execute();
    expect(contas.every((conta) => conta.id_erp !== null)).toBe(true);
    expect(new Set(contas.map((conta) => conta.id_erp)).size).toBe(IDS.length);
    expect((await execucoes()).map((row) => row.status)).toEqual(IDS.map(() => 'concluido'));
  }, 200_000);
});
