import { loadConnectionsFile } from '@integrador/connections';
import { createLogger } from '@integrador/logging';
import type { JobProducer } from '@integrador/queue';
import { createEmpresa, issueApiKey } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import type { AppProcess } from '@integrador/test-support/processes';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { createScratchSource, type ScratchSource, seedGetClientes, writeE085Connections } from '../fixtures/get-e085cli';
import { startTestIngress, type TestIngress } from '../support/test-ingress';
import { LONG, report, until } from './fault-mode';
import { WorkerPool } from './worker-pool';

/**
 * worker-get killed with SIGKILL several times during one pull, restarted each time: the stalled job is taken again and
 * resumes from its last committed chunk, and every source row is in the CRM once.
 */
describe('worker-get killed (SIGKILL) mid-pull, repeatedly', () => {
  const _logger = createLogger({ name: 'fault-test', level: 'silent' });
  const ROWS = LONG ? 200_000 : 20_000;
  const CHUNK = LONG ? 1000 : 200;
  // At most 4: a job may stall 5 times (maxStalledCount, README "Hardening") before it fails for good, as documented.
  const KILLS = LONG ? 4 : 3;
  let source: ScratchSource;
  let database: TestDatabase;
  let producer: JobProducer;
  let app: FastifyInstance;
  let ingress: TestIngress;
  let prefix: string;
  let key: string;
  let empresaId: number;
  let integracaoId: number;
  let connectionsFile: string;
  const workers = new WorkerPool();
  const sourceUrl = () => (source.connection.url as { reveal(): string }).reveal();

  async function startWorker(): Promise<AppProcess> {
    return workers.start(
      'apps/worker-get/src/main.ts',
      { prefix, databaseUrl: database.url },
      {
        CONNECTIONS_FILE: connectionsFile,
        ERP_E085_URL: sourceUrl(),
        GET_LEASE_MS: '5000',
        WORKER_CONCURRENCY: '2',
      },
    );
  }

  beforeAll(async () => {
    source = await createScratchSource('postgres', ROWS);
    connectionsFile = writeE085Connections();
    database = await createTestDatabase('postgres');
    empresaId = await createEmpresa(database.db, 'Empresa GET');
    key = await issueApiKey(database.db, empresaId, null, 'test');
    integracaoId = await seedGetClientes(database.db, empresaId, CHUNK);
    const connections = await loadConnectionsFile(connectionsFile, { ERP_E085_URL: sourceUrl() });
    ingress = await startTestIngress(database, { deps: { connections } });
    ({ app, producer, prefix } = ingress);
  }, 180_000);

  afterAll(async () => {
    await workers.stopAll();
    await ingress.close();
    await database.drop();
    await source.drop();
  });

  async function crmCounts() {
    const row = await sql<{ total: string | number; distinct_keys: string | number }>`
      SELECT COUNT(*) AS total, COUNT(DISTINCT id_erp) AS distinct_keys FROM contas WHERE empresa_id = ${empresaId}`.execute(database.db);
    return { total: Number(row.rows[0]?.total), distinct: Number(row.rows[0]?.distinct_keys) };
  }

  it('resumes after every kill and writes every row once', async () => {
    let worker = await startWorker();
    const response = await app.inject({
      method: 'POST',
      url: `/v1/integrations/${integracaoId}/run`,
      headers: { authorization: `Bearer ${key}` },
      payload: {},
    });
    expect(response.statusCode).toBe(202);
    const jobId = (response.json() as { jobId: string }).jobId;
    const atKill: number[] = [];
    for (let kill = 1; kill <= KILLS; kill++) {
      // Kill at evenly spaced points of the pull, each after it moved on since the previous kill.
      const target = Math.floor((ROWS * kill) / (KILLS + 1));
      await until(`${target} rows in the CRM`, async () => (await crmCounts()).total >= target, 180_000, 20);
      await workers.kill(worker);
      atKill.push((await crmCounts()).total);
      worker = await startWorker();
    }
    await until(
      'the pull to finish',
      async () => ['completed', 'failed'].includes((await (await producer.getJob('get', jobId))?.getState()) ?? ''),
      300_000,
      200,
    );
    const job = await producer.getJob('get', jobId);
    const counts = await crmCounts();
    report(`worker-get killed ${KILLS} times during a ${ROWS}-row pull (at ${atKill.join(', ')} rows)`, {
      enqueued: ROWS,
      processed: counts.distinct,
      lost: ROWS - counts.distinct,
      duplicated: counts.total - counts.distinct,
    });
    expect([await job?.getState(), job?.failedReason ?? null]).toEqual(['completed', null]);
    expect(counts).toEqual({ total: ROWS, distinct: ROWS });
    // Every kill hit a pull under way, not one already over.
    expect(atKill.every((rows) => rows < ROWS)).toBe(true);
    const runs = await database.db.selectFrom('integracao_sincronizacao_execucoes').select('status').execute();
    expect(runs.filter((run) => run.status === 'executando')).toEqual([]);
  }, 600_000);
});
