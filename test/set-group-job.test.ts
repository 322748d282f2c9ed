import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '@integrador/logging';
import type { JobProducer } from '@integrador/queue';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import type { AppProcess } from '@integrador/test-support/processes';
import { startTestProducer, type TestProducer } from '@integrador/test-support/test-producer';
import { type SeniorG5Server, seniorG5ConnectionsYaml, startSeniorG5Server } from './fixtures/senior-g5';
import { insertContas, SET_WS_CONTAS_RANGE, seedSetWsContas } from './fixtures/set-ws-contas';
import { settledJob } from './support/integration-run';
import { closeSetSuite, spawnSetWorker } from './support/set-worker';

const logger = createLogger({ name: 'test', level: 'silent' });

const customersIn = (body: string) => (body.match(/<[\w:]*dadosGeraisCliente>/g) ?? []).length;

// One job whose consulta yields several records, with micro-batching on (lote_maximo > 1): its records go out in one
// GravarClientes call, each keeping its own outbox row, attempt and write-back; a refused one does not stop the others,
// and a re-run sends only what did not conclude.
describe('SET job of several records with micro-batching on: one call, each record its own outcome', () => {
  let erp: SeniorG5Server;
  let database: TestDatabase;
  let producer: JobProducer;
  let testProducer: TestProducer;
  let empresaId: number;
  let worker: AppProcess | undefined;
  const IDS = [401, 402, 403, 404, 405];
  const BAD = 403;

  beforeAll(async () => {
    erp = await startSeniorG5Server();
    const connectionsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'itest-group-')), 'connections.yaml');
    fs.writeFileSync(connectionsFile, seniorG5ConnectionsYaml(erp.url));
    database = await createTestDatabase('postgres');
    ({ empresaId } = await seedSetWsContas(database.db, { ...SET_WS_CONTAS_RANGE, lote_maximo: 10 }));
    // tipo_pessoa 'X' is refused by the ERP for that customer alone (Valor inválido para tipCli).
    await insertContas(database.db, empresaId, IDS, (id) => (id === BAD ? { tipo_pessoa: 'X' } : {}));
    testProducer = await startTestProducer({ enqueueTimeoutMs: 5000, logger });
    producer = testProducer.producer;
    worker = spawnSetWorker({ prefix: testProducer.prefix, databaseUrl: database.url, connectionsFile, concurrency: 2 });
  });

  afterAll(() => closeSetSuite({ worker, testProducer, database, erp }));

  const settled = (jobId: string) => settledJob(producer, { jobId, queue: 'set' });

  const contasById = async () =>
    new Map(
      (await database.db.selectFrom('contas').select(['id', 'id_erp']).where('id', 'in', IDS).execute()).map((c) => [c.id, c.id_erp]),
    );
  const codCliOf = (id: number) => [...erp.customers.values()].find((c) => c.ideExt === `crm-${id}`)?.codCli;

  it('one refused record: the others concluded and written back; the re-run sends only the refused one', async () => {
    const payload = {
      tenant: { empresaId, filialId: null },
      integracaoId: 19,
      parametros: { contaId: 401, contaAte: 405 },
      trigger: 'api' as const,
    };
    const jobId = String((await producer.enqueue('set', 'integration.run', payload)).id);
    const first = await settled(jobId);
    expect(first.state).toBe('failed');
    expect(first.job.failedReason).toMatch(/tipCli/);
    // The five records in one call (one by one they were five calls, and the two after the refused one never went).
    expect(erp.requests.bodies.map(customersIn)).toEqual([IDS.length]);
    let idErp = await contasById();
    for (const id of IDS) expect({ id, idErp: idErp.get(id) }).toEqual({ id, idErp: id === BAD ? null : String(codCliOf(id)) });
    const rows = () =>
      database.db
        .selectFrom('integracao_execucoes')
        .select(['chave', 'status', 'tentativas'])
        .where('job_id', '=', jobId)
        .orderBy('chave')
        .execute();
    expect((await rows()).map((row) => row.status).sort()).toEqual(['concluido', 'concluido', 'concluido', 'concluido', 'falhou']);

    // The operator fixes the conta and runs the job again: only the refused record is sent, alone.
    await database.db.updateTable('contas').set({ tipo_pessoa: 'J' }).where('id', '=', BAD).execute();
    await first.job.retry('failed');
    const again = await settled(jobId);
    expect(again.state).toBe('completed');
    expect(erp.requests.bodies.map(customersIn)).toEqual([IDS.length, 1]);
    expect(erp.requests.bodies[1]).toContain(`crm-${BAD}`);
    idErp = await contasById();
    for (const id of IDS) expect({ id, idErp: idErp.get(id) }).toEqual({ id, idErp: String(codCliOf(id)) });
    // One ERP customer per conta, one outbox row per record, a second attempt only for the refused one.
    expect(erp.customers.size).toBe(IDS.length);
    const after = await rows();
    expect(after.map((row) => row.status)).toEqual(IDS.map(() => 'concluido'));
    expect(after.map((row) => row.tentativas)).toEqual(IDS.map((id) => (id === BAD ? 2 : 1)));
  });
});
