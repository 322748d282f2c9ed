import { createLogger, SECRET_MASK } from '@integrador/logging';
import { createEmpresa, findJobRecord } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { startTestQueues, type TestQueues } from '@integrador/test-support/test-producer';
import type { Worker } from 'bullmq';
import { createJobRecorder } from './job-recorder';
import { type QueueHandlers, startQueueWorker } from './queue-worker';

const logger = createLogger({ name: 'test', level: 'silent' });

/**
 * A run parameter named as a secret (`senhaErp`, `api_token`) was kept in clear in the job's record (registro_jobs:
 * its parametros and its search text), masked only when the dashboard showed it. The record keeps the mask now; the worker
 * still runs with the real value, which it reads from the job (real Redis, PostgreSQL, a worker and its recorder).
 */
describe('a secret-named run parameter in the job record', () => {
  let database: TestDatabase;
  let queues: TestQueues;
  let worker: Worker;
  let empresa: number;
  const seen: Record<string, unknown>[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    empresa = await createEmpresa(database.db, 'A');
    queues = await startTestQueues({ logger });
    worker = startQueueWorker({
      queue: 'set',
      connection: queues.workerRedis,
      prefix: queues.prefix,
      concurrency: 1,
      logger,
      observer: createJobRecorder(database, logger, { flushMs: 5, startDelayMs: 0 }),
      handlers: {
        'integration.run': async (payload) => {
          seen.push({ ...payload.parametros });
          return {};
        },
        // Only integration.run is enqueued here.
      } satisfies Pick<QueueHandlers<'set'>, 'integration.run'> as unknown as QueueHandlers<'set'>,
    });
  });

  afterAll(async () => {
    await worker?.close();
    await queues?.close();
    await database?.drop();
  });

  it('is stored masked (parametros and search text) while the worker gets the real value', async () => {
    const parametros = { contaId: 7, senhaErp: 'S3nh4-do-ERP', api_token: 'tok-9f8e7d', cidade: 'Joinville' };
    const job = await queues.producer.enqueue('set', 'integration.run', {
      tenant: { empresaId: empresa, filialId: null },
      integracaoId: 19,
      parametros,
      trigger: 'api',
    });
    const id = String(job.id);
    let row = await findJobRecord(database.db, [empresa], 'set', id);
    for (const deadline = Date.now() + 10000; row?.estado !== 'concluido' && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      row = await findJobRecord(database.db, [empresa], 'set', id);
    }
    expect(seen).toEqual([parametros]);
    expect(row?.estado).toBe('concluido');
    expect(JSON.parse(row?.parametros ?? '{}')).toEqual({
      contaId: 7,
      senhaErp: SECRET_MASK,
      api_token: SECRET_MASK,
      cidade: 'Joinville',
      trigger: 'api',
    });
    for (const secret of ['S3nh4-do-ERP', 'tok-9f8e7d']) {
      expect(row?.parametros).not.toContain(secret);
      expect(row?.busca).not.toContain(secret.toLowerCase());
    }
    expect(row?.busca).toContain('cidade=joinville');
  });
});
