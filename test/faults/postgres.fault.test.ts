import { createLogger } from '@integrador/logging';
import { createRedis, enqueueGetRun, JobProducer, waitUntilReady } from '@integrador/queue';
import { type CrmDatabase, createDatabase, createEmpresa, migrateToLatest } from '@integrador/store';
import { type PrivatePostgres, startPrivatePostgres } from '@integrador/test-support/private-postgres';
import { type AppProcess, spawnApp } from '@integrador/test-support/processes';
import { deletePrefix, TEST_REDIS_URL, testPrefix } from '@integrador/test-support/redis-server';
import type { Redis } from 'ioredis';
import { sql } from 'kysely';
import { Client as PgClient } from 'pg';
import { seedGetClientes, writeE085Connections } from '../fixtures/get-e085cli';
import { LONG, report, sleep, until } from './fault-mode';

const logger = createLogger({ name: 'fault-test', level: 'silent' });
const ROWS = LONG ? 300_000 : 30_000;
const CHUNK = LONG ? 2000 : 200;

/**
 * The CRM database and the ERP source (one private PostgreSQL cluster) restarted twice, stopped for a while and the
 * source's connections terminated, all during one GET pull: worker-get stays up (a lost connection is an ordinary,
 * retried job error naming its side), the run resumes from its cursor and every source row is in the CRM once.
 */
describe('GET pull while PostgreSQL restarts', () => {
  let pg: PrivatePostgres;
  let crm: CrmDatabase;
  let redis: Redis;
  let producer: JobProducer;
  let prefix: string;
  let worker: AppProcess | undefined;

  beforeAll(async () => {
    pg = await startPrivatePostgres();
    await pg.createDatabase('crm');
    await pg.createDatabase('erp');
    const erp = new PgClient({ connectionString: pg.url('erp') });
    await erp.connect();
    await erp.query(`CREATE TABLE E085CLI (CODCLI INTEGER PRIMARY KEY, NOMCLI VARCHAR(100) NOT NULL, APECLI VARCHAR(50),
      CGCCPF NUMERIC(14,0), TIPCLI CHAR(1), CEPCLI INTEGER, ENDCLI VARCHAR(100), FONCLI VARCHAR(20), INTNET VARCHAR(100),
      SITCLI CHAR(1), DATALT TIMESTAMP)`);
    await erp.query(`INSERT INTO E085CLI SELECT g, 'Cliente ' || g, 'C' || g, 10000000000000 + g, 'J', 1000000 + g, 'Rua ' || g,
      '11' || g, 'c' || g || '@x.test', 'A', TIMESTAMP '2020-01-01' + g * INTERVAL '1 second' FROM generate_series(1, ${ROWS}) g`);
    await erp.end();
    crm = createDatabase(pg.url('crm'), { poolSize: 2 });
    await migrateToLatest(crm);
    prefix = testPrefix();
    redis = createRedis(TEST_REDIS_URL, { role: 'producer' });
    await waitUntilReady(redis);
    producer = new JobProducer({ connection: redis, prefix, timeoutMs: 5000, logger });
  }, 180_000);

  afterAll(async () => {
    if (worker && worker.child.exitCode === null) {
      worker.child.kill('SIGKILL');
      await worker.exited;
    }
    await producer?.close();
    await deletePrefix(TEST_REDIS_URL, prefix);
    redis?.disconnect();
    await crm?.destroy().catch(() => undefined);
    pg?.destroy();
  });

  const count = async () => {
    const row = await sql<{ total: string; distinct_keys: string }>`
      SELECT COUNT(*) AS total, COUNT(DISTINCT id_erp) AS distinct_keys FROM contas`.execute(crm.db);
    return { total: Number(row.rows[0]?.total), distinct: Number(row.rows[0]?.distinct_keys) };
  };
  const countOrNull = () => count().catch(() => null);

  it(
    'stays up, resumes within seconds of each return and writes every row once',
    async () => {
      const empresaId = await createEmpresa(crm.db, 'Empresa Faults');
      const integracaoId = await seedGetClientes(crm.db, empresaId, CHUNK);
      worker = spawnApp('apps/worker-get/src/main.ts', {
        REDIS_URL: TEST_REDIS_URL,
        KEY_PREFIX: prefix,
        CRM_DATABASE_URL: pg.url('crm'),
        CONNECTIONS_FILE: writeE085Connections(),
        ERP_E085_URL: pg.url('erp'),
        JOB_LOCK_MS: '5000',
        GET_LEASE_MS: '10000',
        WORKER_CONCURRENCY: '2',
        LOG_LEVEL: 'info',
      });
      await worker.waitForLog('worker started', 60_000);
      const { job } = await enqueueGetRun(producer, {
        tenant: { empresaId, filialId: null },
        integracaoId,
        parametros: {},
        trigger: 'api',
      });
      const jobId = String(job.id);

      // Each fault waits until the pull has moved on since the previous one, so every fault hits a running pull.
      let seen = 0;
      const alive = () => {
        if (worker?.child.exitCode !== null || worker?.child.signalCode !== null) {
          throw new Error(
            `worker-get exited (${worker?.child.exitCode ?? worker?.child.signalCode}): ${worker?.stderr.join('').slice(-2000)}`,
          );
        }
      };
      const progressed = async () => {
        alive();
        const now = await countOrNull();
        return now !== null && now.total > seen + CHUNK * 2;
      };
      const faults: [string, () => Promise<void>][] = [
        ['CRM+source restarted', async () => pg.restart()],
        ['CRM+source restarted again', async () => pg.restart()],
        [
          'CRM+source stopped',
          async () => {
            pg.stop();
            await sleep(LONG ? 30_000 : 5_000);
            pg.start();
          },
        ],
        ['source connection terminated', async () => void (await pg.terminate('erp'))],
      ];
      const resumedAfter: number[] = [];
      for (const [, inject] of faults) {
        await until('the pull to progress', progressed, 180_000, 50);
        const before = (await count()).total;
        if (before >= ROWS) break;
        await inject();
        const back = Date.now();
        const resumed = async () => {
          alive();
          return ((await countOrNull())?.total ?? 0) > before || (await job.getState()) === 'completed';
        };
        await until('the pull to resume', resumed, 180_000, 100);
        resumedAfter.push(Date.now() - back);
        seen = (await count()).total;
      }
      const current = async () => {
        const found = await producer.getJob('get', jobId);
        if (!found) throw new Error(`job ${jobId} vanished`);
        return found;
      };
      await until('the job to finish', async () => ['completed', 'failed'].includes(await (await current()).getState()), 300_000, 200);
      const finished = await current();
      const crmRows = await count();
      const runs = await crm.db
        .selectFrom('integracao_sincronizacao_execucoes')
        .selectAll()
        .where('integracao_id', '=', integracaoId)
        .execute();
      report(
        `PostgreSQL faults during a ${ROWS}-row pull (resumed after ${resumedAfter.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', ')})`,
        {
          enqueued: ROWS,
          processed: crmRows.distinct,
          lost: ROWS - crmRows.distinct,
          duplicated: crmRows.total - crmRows.distinct,
        },
      );
      expect(worker.child.exitCode).toBeNull();
      expect(resumedAfter.length).toBe(faults.length);
      expect(await finished.getState()).toBe('completed');
      expect(crmRows).toEqual({ total: ROWS, distinct: ROWS });
      // Counts add up across the attempts of the job; no run is left "executando".
      expect(finished.returnvalue).toEqual(expect.objectContaining({ rowsWritten: ROWS }));
      expect(runs.filter((r) => r.status === 'executando')).toEqual([]);
      // The failed attempts said which side failed.
      const failures = worker.lines.filter((l) => l.msg === 'job failed').map((l) => String(l.reason));
      expect(failures.length).toBeGreaterThan(0);
      for (const reason of failures) expect(reason).toMatch(/^(CRM database|ERP source)/);
    },
    LONG ? 900_000 : 300_000,
  );
});
