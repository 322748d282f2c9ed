import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '@integrador/config';
import { type ConnectionsRegistry, loadConnectionsFile } from '@integrador/connections';
import { createLogger } from '@integrador/logging';
import { createRedis, JobProducer, startQueueWorker, waitUntilReady } from '@integrador/queue';
import { closeAllTransports, lintStoredConfiguration, pingProcessor } from '@integrador/runtime';
import { issueApiKey } from '@integrador/store';
import { SoapClientCache } from '@integrador/transports';
import type { Worker } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { buildApp } from '../apps/ingress/src/build-app';
import { createIntegrationRunProcessor } from '../apps/worker-set/src/processors/integration-run.processor';
import { DEFAULT_CREDENTIALS, type SeniorG5Server, seniorG5ConnectionsYaml, startSeniorG5Server } from './fixtures/senior-g5';
import { ROW_19_AS_PRINTED, seedRow19AsPrinted } from './fixtures/seed-001-row-19';
import { CONTA } from './fixtures/set-ws-contas';
import { createTestDatabase, type TestDatabase } from './support/databases';
import { deletePrefix, TEST_REDIS_URL, testPrefix } from './support/redis-server';

const logger = createLogger({ name: 'test', level: 'silent' });

/** Seed 001's example row exactly as the manual prints it: typographic quotes, no parametros_obrigatorios. */
describe('seed 001 row 19 as printed', () => {
  let erp: SeniorG5Server;
  let database: TestDatabase;
  let connections: ConnectionsRegistry;
  let redis: Redis;
  let workerRedis: Redis;
  let producer: JobProducer;
  let worker: Worker;
  let app: FastifyInstance;
  let prefix: string;
  let key: string;
  let empresaId: number;

  beforeAll(async () => {
    erp = await startSeniorG5Server();
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'itest-row19-')), 'connections.yaml');
    fs.writeFileSync(file, seniorG5ConnectionsYaml(erp.url));
    connections = await loadConnectionsFile(file, { SENIOR_PASSWORD: DEFAULT_CREDENTIALS.password });
    database = await createTestDatabase('sqlite');
    ({ empresaId } = await seedRow19AsPrinted(database.db));
    key = await issueApiKey(database.db, empresaId, null, 'row19');
    prefix = testPrefix();
    redis = createRedis(TEST_REDIS_URL, { role: 'producer' });
    workerRedis = createRedis(TEST_REDIS_URL, { role: 'worker' });
    await waitUntilReady(redis);
    producer = new JobProducer({ connection: redis, prefix, timeoutMs: 2000, logger });
    app = await buildApp({ database, redis, producer, connections, logger, keyPrefix: prefix, checkTimeoutMs: 2000 });
    const deps = { config: loadConfig({}, os.tmpdir()), logger, database, connections };
    worker = startQueueWorker({
      queue: 'set',
      connection: workerRedis,
      prefix,
      concurrency: 1,
      logger,
      handlers: { 'system.ping': pingProcessor, 'integration.run': createIntegrationRunProcessor(deps, new SoapClientCache({ max: 2 })) },
    });
  }, 60_000);

  afterAll(async () => {
    await worker?.close();
    await app?.close();
    await producer?.close();
    await deletePrefix(TEST_REDIS_URL, prefix);
    redis?.disconnect();
    workerRedis?.disconnect();
    await closeAllTransports();
    await database?.drop();
    await erp?.close();
  });

  it('is pasted with the manual’s typographic quotes and without parametros_obrigatorios', () => {
    expect(ROW_19_AS_PRINTED.consulta).toMatch(/^\{\u201Cconsulta\u201D:\u201CSELECT c\.id_erp, .* WHERE c\.id = #contaId#\u201D\}$/);
    expect(ROW_19_AS_PRINTED.parametros_obrigatorios).toBeNull();
  });

  it('lints without errors; the warnings are the quotes and the parameter nothing requires', async () => {
    const findings = await lintStoredConfiguration(database, connections, empresaId);
    expect(findings.filter((f) => f.severity === 'error')).toEqual([]);
    const warnings = findings.map((f) => `${f.table}.${f.column} ${f.code}`);
    expect(warnings).toContain('integracao.consulta TYPOGRAPHIC_QUOTES');
    process.stdout.write(`[row 19] lint warnings: ${warnings.join('; ')}\n`);
  });

  it('runs against the SOAP double: one GravarClientes call, the ERP code written back', async () => {
    erp.requests.count = 0;
    const accepted = await app.inject({
      method: 'POST',
      url: '/v1/integrations/19/run',
      headers: { authorization: `Bearer ${key}` },
      payload: { parametros: { contaId: CONTA.id } },
    });
    expect(accepted.statusCode).toBe(202);
    const deadline = Date.now() + 30_000;
    let state: string | undefined;
    for (;;) {
      const job = await producer.getJob('set', accepted.json().jobId);
      state = await job?.getState();
      if (state === 'completed' || state === 'failed' || Date.now() > deadline) {
        expect({ state, reason: job?.failedReason }).toEqual({ state: 'completed', reason: undefined });
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(erp.requests.count).toBe(1);
    const conta = await database.db.selectFrom('contas').select('id_erp').where('id', '=', CONTA.id).executeTakeFirstOrThrow();
    expect(conta.id_erp).toMatch(/^\d+$/);
  }, 60_000);
});
