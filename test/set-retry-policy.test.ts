import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '@integrador/logging';
import type { JobProducer } from '@integrador/queue';
import { findJobRecord } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import type { AppProcess } from '@integrador/test-support/processes';
import { startTestProducer, type TestProducer } from '@integrador/test-support/test-producer';
import { sql } from 'kysely';
import { type SeniorG5Server, seniorG5ConnectionsYaml, startSeniorG5Server } from './fixtures/senior-g5';
import { CONTA, seedSetWsContas } from './fixtures/set-ws-contas';
import { closeSetSuite, spawnSetWorker } from './support/set-worker';

const logger = createLogger({ name: 'test', level: 'silent' });

// F1 (review3): a SET job shows its connection's retry.attempts as its maximum; a failure that is not the receptor's
// (here the CRM database's outbox table is gone) must retry by that same policy, not by the default (SET_RETRY_ATTEMPTS, 12).
describe('SET retries: a CRM-database failure follows the connection policy the job shows', () => {
  let erp: SeniorG5Server;
  let database: TestDatabase;
  let producer: JobProducer;
  let testProducer: TestProducer;
  let prefix: string;
  let empresaId: number;
  let worker: AppProcess | undefined;
  let connectionsFile: string;

  async function startWorker(attempts: number): Promise<void> {
    if (worker) {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
    fs.writeFileSync(connectionsFile, `${seniorG5ConnectionsYaml(erp.url)}\n    retry: { attempts: ${attempts}, backoffMs: 100 }\n`);
    worker = spawnSetWorker({ prefix, databaseUrl: database.url, connectionsFile });
    await worker.waitForLog('worker started', 120000);
  }

  const outbox = (from: string, to: string) => sql`ALTER TABLE ${sql.id(from)} RENAME TO ${sql.id(to)}`.execute(database.db);

  async function push(contaId: number): Promise<string> {
    await database.db
      .insertInto('contas')
      .values({ ...CONTA, id: contaId, empresa_id: empresaId, nome: `Conta ${contaId}`, cnpj: `12.345.678/0${contaId}-95` })
      .execute();
    const payload = { tenant: { empresaId, filialId: null }, integracaoId: 19, parametros: { contaId }, trigger: 'api' as const };
    return String((await producer.enqueue('set', 'integration.run', payload)).id);
  }

  /** Polls the job until `done` says so; returns its state and attempts. */
  async function until(jobId: string, done: (state: string, attemptsMade: number) => boolean, ms = 30000) {
    const deadline = Date.now() + ms;
    for (;;) {
      const job = await producer.getJob('set', jobId);
      const state = (await job?.getState()) ?? 'missing';
      const attemptsMade = job?.attemptsMade ?? 0;
      if (done(state, attemptsMade)) return { state, attemptsMade, failedReason: job?.failedReason };
      if (Date.now() > deadline) throw new Error(`job ${jobId} still ${state} after ${attemptsMade} attempts`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  beforeAll(async () => {
    erp = await startSeniorG5Server();
    connectionsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'itest-retry-')), 'connections.yaml');
    database = await createTestDatabase('postgres');
    ({ empresaId } = await seedSetWsContas(database.db));
    testProducer = await startTestProducer({ enqueueTimeoutMs: 5000, logger });
    ({ producer, prefix } = testProducer);
  });

  afterAll(() => closeSetSuite({ worker, testProducer, database, erp }));

  it('attempts 3: the CRM failure on the 3rd attempt ends the job (not 6)', async () => {
    await startWorker(3);
    await outbox('integracao_execucoes', 'execucoes_fora');
    try {
      const jobId = await push(401);
      const end = await until(jobId, (state) => state === 'failed' || state === 'completed');
      expect(end).toMatchObject({ state: 'failed', attemptsMade: 3, failedReason: expect.stringMatching(/integracao_execucoes/) });
    } finally {
      await outbox('execucoes_fora', 'integracao_execucoes');
    }
    expect(erp.requests.count).toBe(0);
  }, 180000);

  it('attempts 12: the CRM failure on the 6th attempt retries; once the database is back the push completes', async () => {
    await startWorker(12);
    await outbox('integracao_execucoes', 'execucoes_fora');
    let restored = false;
    try {
      const jobId = await push(402);
      const sixth = await until(jobId, (state, made) => state === 'failed' || made >= 6);
      expect(sixth.state).not.toBe('failed');
      await outbox('execucoes_fora', 'integracao_execucoes');
      restored = true;
      const end = await until(jobId, (state) => state === 'failed' || state === 'completed');
      expect(end.state).toBe('completed');
    } finally {
      if (!restored) await outbox('execucoes_fora', 'integracao_execucoes');
    }
  }, 180000);

  it("attempts 3: a CRM failure before the connection is resolved (the admission's read) ends the job after 3 too, as its record shows", async () => {
    await startWorker(3);
    // One push resolves the integration's connection in this worker process.
    expect((await until(await push(403), (state) => state === 'failed' || state === 'completed')).state).toBe('completed');
    const requests = erp.requests.count;
    // Past the admission's and the target's caches (2 s, 5 s): the next job reads the integration again, and fails.
    await new Promise((r) => setTimeout(r, 6000));
    await outbox('integracao', 'integracao_fora');
    try {
      const jobId = await push(404);
      const end = await until(jobId, (state) => state === 'failed' || state === 'completed');
      expect(end).toMatchObject({ state: 'failed', attemptsMade: 3, failedReason: expect.stringMatching(/integracao/) });
      // Shown as it really went: 3 attempts of 3 (before the fix: the default, then 6, also in its record).
      let record = await findJobRecord(database.db, [empresaId], 'set', jobId);
      for (const deadline = Date.now() + 10000; record?.estado !== 'falhou' && Date.now() < deadline; ) {
        await new Promise((r) => setTimeout(r, 50));
        record = await findJobRecord(database.db, [empresaId], 'set', jobId);
      }
      expect(record).toMatchObject({ estado: 'falhou', tentativas: 3, max_tentativas: 3 });
    } finally {
      await outbox('integracao_fora', 'integracao');
    }
    expect(erp.requests.count).toBe(requests);
  }, 180000);
});
