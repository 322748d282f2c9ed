import { Writable } from 'node:stream';
import { parseConnections } from '@integrador/connections';
import { createLogger } from '@integrador/logging';
import { createJobRecorder, createRedis, startQueueWorker } from '@integrador/queue';
import { createEmpresa, issueApiKey, recordJobEvent } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { TEST_REDIS_URL } from '@integrador/test-support/redis-server';
import { UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { startTestIngress, type TestIngress } from '../../../test/support/test-ingress';

const logger = createLogger({ name: 'ingress-test', level: 'silent' });
const MESSAGE = 'connection "erp" is restricted to another empresa; this empresa may not use it';

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
  let empresaA: number;
  let keyA: string;
  let keyB: string;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    ingress = await startTestIngress(database);
    empresaA = await createEmpresa(database.db, 'Empresa A');
    keyA = await issueApiKey(database.db, empresaA, null, 'a');
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
      failedReasonText: `a conexão da integração é restrita a outra empresa (confira conexao_integracao): ${MESSAGE}`,
    });
    expect(await failedStatus(jobId, 'en-US,en;q=0.9')).toMatchObject({
      failedReason: MESSAGE,
      failedReasonText: `the integration's connection is restricted to another empresa (check conexao_integracao): ${MESSAGE}`,
    });
    // Another tenant's key learns nothing of it.
    expect((await ingress.app.inject({ url: `/v1/jobs/webhook/${jobId}`, headers: auth(keyB) })).statusCode).toBe(404);
  });

  it("words B's failure from B's own record only, never from A's record of the same queue, job id and message", async () => {
    // B's job fails on a queue whose worker keeps no record (as when B's record is not written yet); A's record names
    // the same (queue, job id) with the same message and a code — what a Redis flush that restarts job ids leaves.
    const connection = createRedis(TEST_REDIS_URL, { role: 'worker' });
    const unrecorded = new Worker(
      'get',
      async () => {
        throw new UnrecoverableError(MESSAGE);
      },
      { connection, prefix: ingress.prefix },
    );
    try {
      const accepted = await ingress.app.inject({ method: 'POST', url: '/v1/ping', headers: auth(keyB), payload: { queue: 'get' } });
      expect(accepted.statusCode).toBe(202);
      const { jobId } = accepted.json();
      await recordJobEvent(database.db, {
        empresaId: empresaA,
        filialId: null,
        fila: 'get',
        jobId,
        nomeJob: 'system.ping',
        integracaoId: null,
        parametros: null,
        estado: 'falhou',
        tentativas: 1,
        maxTentativas: 1,
        erro: { classe: 'ConnectionForbiddenError', codigo: 'CONNECTION_FORBIDDEN', mensagem: MESSAGE },
      });
      let status: { state?: string; failedReason?: string; failedReasonText?: string } = {};
      for (
        const deadline = Date.now() + 10000;
        status.state !== 'failed' && Date.now() < deadline;
        await new Promise((r) => setTimeout(r, 25))
      )
        status = (await ingress.app.inject({ url: `/v1/jobs/get/${jobId}`, headers: auth(keyB) })).json();
      expect(status).toMatchObject({ state: 'failed', failedReason: MESSAGE, failedReasonText: MESSAGE });
    } finally {
      await unrecorded.close();
      connection.disconnect();
    }
  });

  it("names only the connection asked for in a missing connection's failure: the file's path and other names go to the worker's log", async () => {
    // The workers' file: other customers' connections, none named as empresa A's integration asks.
    const file = '/srv/integrador/segredo/connections.yaml';
    const registry = parseConnections(
      'connections:\n  erp_cliente_b: { tipo: api, baseUrl: "https://b.example" }\n  erp_cliente_c: { tipo: api, baseUrl: "https://c.example" }\n',
      'yaml',
      {},
      file,
    );
    const logged: string[] = [];
    const capture = new Writable({
      write(chunk, _encoding, done) {
        logged.push(String(chunk));
        done();
      },
    });
    const connection = createRedis(TEST_REDIS_URL, { role: 'worker' });
    const missing = startQueueWorker({
      queue: 'get',
      handlers: {
        'system.ping': async () => registry.require('sap_legado', empresaA),
        'integration.run': async () => ({}),
        'endpoint.sync': async () => ({}),
      },
      connection,
      prefix: ingress.prefix,
      concurrency: 1,
      logger: createLogger({ name: 'worker-test', level: 'warn', destination: capture }),
      observer: createJobRecorder(database, logger, { flushMs: 5 }),
    });
    try {
      const accepted = await ingress.app.inject({ method: 'POST', url: '/v1/ping', headers: auth(keyA), payload: { queue: 'get' } });
      const { jobId } = accepted.json();
      let status: { state?: string; failedReason?: string; failedReasonText?: string } = {};
      for (
        const deadline = Date.now() + 10000;
        (status.state !== 'failed' || status.failedReasonText === status.failedReason) && Date.now() < deadline;
        await new Promise((r) => setTimeout(r, 25))
      )
        status = (await ingress.app.inject({ url: `/v1/jobs/get/${jobId}`, headers: auth(keyA) })).json();
      expect(status).toMatchObject({
        state: 'failed',
        failedReason: `connection "sap_legado" is not defined in the workers' connections file`,
        failedReasonText: expect.stringMatching(/^a conexão sap_legado da integração não está definida para os workers/),
      });
      const shown = JSON.stringify(status);
      expect(shown).not.toMatch(/segredo|erp_cliente_b|erp_cliente_c/);
      // The fleet's operator still reads which file was read and what it defines.
      expect(logged.join('')).toContain(`"detail":"connections file ${file} (defined: erp_cliente_b, erp_cliente_c)"`);
    } finally {
      await missing.close();
      connection.disconnect();
    }
  });

  it('reports no failure for a job completed after a failed attempt; attemptsMade keeps its history', async () => {
    const connection = createRedis(TEST_REDIS_URL, { role: 'worker' });
    const flaky = new Worker(
      'cti',
      async (job) => {
        if (job.attemptsMade === 0) throw new Error('duplicate key value violates unique constraint "contas_empresa_id_erp_uq"');
        return { ok: true };
      },
      { connection, prefix: ingress.prefix },
    );
    try {
      const accepted = await ingress.app.inject({ method: 'POST', url: '/v1/ping', headers: auth(keyA), payload: { queue: 'cti' } });
      expect(accepted.statusCode).toBe(202);
      const { jobId } = accepted.json();
      let status: Record<string, unknown> = {};
      for (
        const deadline = Date.now() + 15000;
        status.state !== 'completed' && Date.now() < deadline;
        await new Promise((r) => setTimeout(r, 50))
      )
        status = (await ingress.app.inject({ url: `/v1/jobs/cti/${jobId}`, headers: auth(keyA) })).json();
      expect(status).toMatchObject({ state: 'completed', attemptsMade: 2, failedReason: null, failedReasonText: null });
    } finally {
      await flaky.close();
      connection.disconnect();
    }
  });

  it('answers failedReasonText null for a job that did not fail', async () => {
    const accepted = await ingress.app.inject({ method: 'POST', url: '/v1/ping', headers: auth(keyB), payload: { queue: 'set' } });
    const status = await ingress.app.inject({ url: `/v1/jobs/set/${accepted.json().jobId}`, headers: auth(keyB) });
    expect(status.json()).toMatchObject({ state: 'waiting', failedReason: null, failedReasonText: null });
  });
});
