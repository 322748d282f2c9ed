import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '@integrador/config';
import { type ConnectionsRegistry, loadConnectionsFile } from '@integrador/connections';
import { lintStoredConfiguration } from '@integrador/integrador';
import { createLogger } from '@integrador/logging';
import { createRedis, pingProcessor, startQueueWorker } from '@integrador/queue';
import { issueApiKey } from '@integrador/store';
import { createTestDatabase } from '@integrador/test-support/databases';
import { TEST_REDIS_URL } from '@integrador/test-support/redis-server';
import type { Job } from 'bullmq';
import { createIntegrationRunProcessor } from '../apps/worker-set/src/processors/integration-run.processor';
import { ROW_19_AS_PRINTED, seedRow19AsPrinted } from './fixtures/seed-001-row-19';
import { DEFAULT_CREDENTIALS, MAINTENANCE_FAULT, seniorG5ConnectionsYaml, startSeniorG5Server } from './fixtures/senior-g5';
import { CONTA } from './fixtures/set-ws-contas';
import { startTestIngress } from './support/test-ingress';
import { closeWorkerDeps, testWorkerDeps } from './support/worker-deps';

const logger = createLogger({ name: 'test', level: 'silent' });

/** Row 19 as printed on SQLite, the SOAP double, the ingress and an in-process SET worker; `extra` ends the senior_g5 entry. */
async function startHarness(extra = '') {
  const erp = await startSeniorG5Server();
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'itest-row19-')), 'connections.yaml');
  fs.writeFileSync(file, `${seniorG5ConnectionsYaml(erp.url)}\n${extra}`);
  const connections: ConnectionsRegistry = await loadConnectionsFile(file, { SENIOR_PASSWORD: DEFAULT_CREDENTIALS.password });
  const database = await createTestDatabase('sqlite');
  const { empresaId } = await seedRow19AsPrinted(database.db);
  const key = await issueApiKey(database.db, empresaId, null, 'row19');
  const ingress = await startTestIngress(database, { deps: { connections } });
  const { app, producer, prefix } = ingress;
  const workerRedis = createRedis(TEST_REDIS_URL, { role: 'worker' });
  const deps = testWorkerDeps({ config: loadConfig({}, os.tmpdir()), logger, database, connections });
  const worker = startQueueWorker({
    queue: 'set',
    connection: workerRedis,
    prefix,
    concurrency: 1,
    logger,
    handlers: { 'system.ping': pingProcessor, 'integration.run': createIntegrationRunProcessor(deps) },
  });
  /** Runs row 19 for conta 42 through the API and waits until its job completes or fails for good. */
  async function runToEnd(timeoutMs = 30_000): Promise<{ job: Job | undefined; state: string | undefined }> {
    const accepted = await app.inject({
      method: 'POST',
      url: '/v1/integrations/19/run',
      headers: { authorization: `Bearer ${key}` },
      payload: { parametros: { contaId: CONTA.id } },
    });
    expect(accepted.statusCode).toBe(202);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const job = await producer.getJob('set', accepted.json().jobId);
      const state = await job?.getState();
      // Read the job again once it has settled: the first read may predate its final update.
      if (state === 'completed' || state === 'failed') return { job: (await producer.getJob('set', accepted.json().jobId)) ?? job, state };
      if (Date.now() > deadline) return { job, state };
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  async function close() {
    await worker.close();
    await ingress.close();
    workerRedis.disconnect();
    await closeWorkerDeps(deps);
    await database.drop();
    await erp.close();
  }
  return { erp, database, connections, empresaId, runToEnd, close };
}

/** Seed 001's example row exactly as the manual prints it: typographic quotes, no parametros_obrigatorios. */
describe('seed 001 row 19 as printed', () => {
  let h: Awaited<ReturnType<typeof startHarness>>;
  beforeAll(async () => {
    h = await startHarness();
  }, 60_000);
  afterAll(async () => h?.close());

  it('is pasted with the manual’s typographic quotes and without parametros_obrigatorios', () => {
    expect(ROW_19_AS_PRINTED.consulta).toMatch(/^\{\u201Cconsulta\u201D:\u201CSELECT c\.id_erp, .* WHERE c\.id = #contaId#\u201D\}$/);
    expect(ROW_19_AS_PRINTED.parametros_obrigatorios).toBeNull();
  });

  it('lints without errors; the warnings are the quotes and the #contaId# no parametros_obrigatorios declares', async () => {
    const findings = await lintStoredConfiguration(h.database, h.connections, h.empresaId);
    expect(findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(findings.map((f) => `${f.table}.${f.column} ${f.code}`)).toEqual([
      'integracao.consulta TYPOGRAPHIC_QUOTES',
      'integracao.consulta UNPROVIDED_VARIABLE',
      'integracao.sql_update UNPROVIDED_VARIABLE',
    ]);
  });

  it('runs against the SOAP double: one GravarClientes call, the ERP code written back', async () => {
    h.erp.requests.count = 0;
    const { job, state } = await h.runToEnd();
    expect({ state, reason: job?.failedReason }).toEqual({ state: 'completed', reason: undefined });
    expect(h.erp.requests.count).toBe(1);
    const conta = await h.database.db.selectFrom('contas').select('id_erp').where('id', '=', CONTA.id).executeTakeFirstOrThrow();
    expect(conta.id_erp).toMatch(/^\d+$/);
  }, 60_000);
});

/** A connections-file entry's `retry` replaces the fleet default (SET_RETRY_*: 12 attempts from 2 s, at most 5 min apart) for pushes through that connection. */
describe('per-connection retry policy', () => {
  let h: Awaited<ReturnType<typeof startHarness>>;
  beforeAll(async () => {
    h = await startHarness('    retry: { attempts: 3, backoffMs: 100 }');
  }, 60_000);
  afterAll(async () => h?.close());

  it('gives up after the connection’s attempts, waiting its backoff (100 ms, 200 ms) between them', async () => {
    h.erp.setMode('maintenance');
    const started = Date.now();
    const { job, state } = await h.runToEnd();
    expect(state).toBe('failed');
    // The default policy would not have failed after 3 attempts: it waits 2 + 4 + 8 + … s for 12.
    expect(job?.attemptsMade).toBe(3);
    expect(job?.failedReason).toMatch(new RegExp(`503|${MAINTENANCE_FAULT.replace(/[()]/g, '\\$&')}`));
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(h.erp.customers.size).toBe(0);
  }, 60_000);

  it('still completes a push whose window ends within its attempts', async () => {
    h.erp.setMode('maintenance');
    setTimeout(() => h.erp.setMode('normal'), 150);
    const { state } = await h.runToEnd();
    expect(state).toBe('completed');
    expect(h.erp.customers.size).toBe(1);
  }, 60_000);
});
