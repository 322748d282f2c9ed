import { createLogger } from '@integrador/logging';
import { createJobRecorder, createRedis, startQueueWorker } from '@integrador/queue';
import { createEmpresa, issueApiKey } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { TEST_REDIS_URL } from '@integrador/test-support/redis-server';
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { startTestIngress, type TestIngress } from '../../../test/support/test-ingress';

const logger = createLogger({ name: 'ingress-test', level: 'silent' });
const MESSAGE = 'connection "erp" is restricted to empresa 9; empresa 1 may not use it';

/**
 * GET /v1/jobs/:queue/:id of a failed job: failedReason stays BullMQ's message (API clients read it), failedReasonText
 * words the code the workers' record keeps, in the request's language (real Redis, PostgreSQL, a worker and its
 * recorder).
 */
describe('the job status of a failed job (failedReasonText)', () => {
  let database: TestDatabase;
  let ingress: TestIngress;
  let workerRedis: Redis;
  let worker: Worker;
  let keyA: string;
  let keyB: string;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    ingress = await startTestIngress(database);
    keyA = await issueApiKey(database.db, await createEmpresa(database.db, 'Empresa A'), null, 'a');
    keyB = await issueApiKey(database.db, await createEmpresa(database.db, 'Empresa B'), null, 'b');
    workerRedis = createRedis(TEST_REDIS_URL, { role: 'worker' });
    // A worker whose job fails for good with a coded error, recorded in registro_jobs as the workers record it.
    const failing = async () => {
      throw Object.assign(new Error(MESSAGE), { name: 'ConnectionForbiddenError', code: 'CONNECTION_FORBIDDEN', permanent: true });
    };
    worker = startQueueWorker({
      queue: 'webhook',
      handlers: { 'system.ping': failing, 'webhook.deliver': async () => ({}) },
      connection: workerRedis,
      prefix: ingress.prefix,
      concurrency: 1,
      logger,
      observer: createJobRecorder(database, logger, { flushMs: 5 }),
    });
  });

  afterAll(async () => {
    await worker.close();
    workerRedis.disconnect();
    await ingress.close();
    await database.drop();
  });

  const auth = (key: string, language = 'pt-BR') => ({ authorization: `Bearer ${key}`, 'accept-language': language });

  /** The job's status once it failed and its record is written (the recorder is a few ms behind BullMQ). */
  async function failedStatus(jobId: string, language: string) {
    for (const deadline = Date.now() + 10000; ; await new Promise((r) => setTimeout(r, 25))) {
      const response = await ingress.app.inject({ url: `/v1/jobs/webhook/${jobId}`, headers: auth(keyA, language) });
      const body = response.json();
      if ((body.state === 'failed' && body.failedReasonText !== body.failedReason) || Date.now() > deadline) return body;
    }
  }

  it('keeps failedReason as it was and adds the worded failure in the request language', async () => {
    const accepted = await ingress.app.inject({ method: 'POST', url: '/v1/ping', headers: auth(keyA), payload: { queue: 'webhook' } });
    expect(accepted.statusCode).toBe(202);
    const { jobId } = accepted.json();
    expect(await failedStatus(jobId, 'pt-BR')).toMatchObject({
      state: 'failed',
      failedReason: MESSAGE,
      failedReasonText: `a conexão da integração é restrita a outra empresa: ${MESSAGE}`,
    });
    expect(await failedStatus(jobId, 'en-US,en;q=0.9')).toMatchObject({
      failedReason: MESSAGE,
      failedReasonText: `the integration's connection is restricted to another empresa: ${MESSAGE}`,
    });
    // Another tenant's key learns nothing of it.
    expect((await ingress.app.inject({ url: `/v1/jobs/webhook/${jobId}`, headers: auth(keyB) })).statusCode).toBe(404);
  });

  it('answers failedReasonText null for a job that did not fail', async () => {
    const accepted = await ingress.app.inject({ method: 'POST', url: '/v1/ping', headers: auth(keyB), payload: { queue: 'set' } });
    const status = await ingress.app.inject({ url: `/v1/jobs/set/${accepted.json().jobId}`, headers: auth(keyB) });
    expect(status.json()).toMatchObject({ state: 'waiting', failedReason: null, failedReasonText: null });
  });
});
