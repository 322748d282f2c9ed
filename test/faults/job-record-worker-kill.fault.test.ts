import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { saveCtiSettings } from '@integrador/cti';
import { createEmpresa, issueApiKey } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import type { AppProcess } from '@integrador/test-support/processes';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { startTestIngress, type TestIngress } from '../support/test-ingress';
import { sleep, until } from './fault-mode';
import { WorkerPool } from './worker-pool';

/**
 * A PBX whose click-to-call URL holds every request (the call "being placed") until `answering` is set: the job is
 * running, and the test kills its worker then.
 */
async function startHoldingPbx() {
  const arrivals: number[] = [];
  const waiters: (() => void)[] = [];
  const held: http.ServerResponse[] = [];
  const state = { answering: false };
  const server = http.createServer((_req, res) => {
    arrivals.push(Date.now());
    for (const wake of waiters.splice(0)) wake();
    if (state.answering) res.writeHead(200, { 'content-type': 'text/plain' }).end('OK');
    else held.push(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrivals,
    state,
    /** Resolves once the PBX has received `count` requests in all. */
    async received(count: number, timeoutMs = 60_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (arrivals.length < count) {
        if (Date.now() > deadline) throw new Error(`the PBX got ${arrivals.length} requests, not ${count}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
    },
    close: async () => {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The job recorder holds a job's start back for a second (job-recorder.ts: RECORDER_START_DELAY_MS), so a worker
 * killed (SIGKILL) within that second leaves no row of the job it was running. BullMQ gives the job back (stalled
 * check, after JOB_LOCK_MS); taken again, its start is written before it runs: killed again as it runs, its row says it
 * was running, and a third worker finishes it. The job is a click-to-call whose first worker died with the request at
 * the PBX: a retake never sends it again (it fails as PBX_OUTCOME_UNKNOWN), and the test holds the retake's one write,
 * the call row's, with a row lock, so that it is running when the second worker is killed.
 */
describe('job records when a worker is killed (SIGKILL) while a job runs', () => {
  let database: TestDatabase;
  let ingress: TestIngress;
  let app: FastifyInstance;
  let pbx: Awaited<ReturnType<typeof startHoldingPbx>>;
  let apiKey: string;
  let empresaId: number;
  const workers = new WorkerPool();

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    pbx = await startHoldingPbx();
    empresaId = await createEmpresa(database.db, 'Acme');
    apiKey = await issueApiKey(database.db, empresaId, null, 'test');
    // Click-to-call takes an active usuario's ramal of the empresa.
    await database.db.insertInto('usuarios').values({ empresa_id: empresaId, nome: 'Ana', ramal: '3501' }).execute();
    await saveCtiSettings(database.db, empresaId, {
      pbxUrlTemplate: `${pbx.url}/api/clicktodial?origem={ramal_origem}&destino={numero_destino}`,
      ramalLength: 4,
      allowPrivateNetwork: true,
    });
    ingress = await startTestIngress(database);
    app = ingress.app;
  }, 120_000);

  afterAll(async () => {
    await workers.stopAll();
    await ingress?.close();
    await pbx?.close();
    await database?.drop();
  });

  const startWorker = (): Promise<AppProcess> =>
    workers.start(
      'apps/worker-cti/src/main.ts',
      { prefix: ingress.prefix, databaseUrl: database.url },
      // The PBX holds the request: no timeout, no expiry while the workers come and go.
      { CTI_PBX_TIMEOUT_MS: '120000', CTI_CLICK_TO_CALL_EXPIRY_MS: '600000' },
    );
  const record = (jobId: string) =>
    database.db.selectFrom('registro_jobs').selectAll().where('fila', '=', 'cti').where('job_id', '=', jobId).executeTakeFirst();
  /** True once a statement of the test database waits for a row lock on ligacoes (the retaken job's write, held). */
  const waitingOnCallRow = async () => {
    const waiting = await sql<{ n: string | number }>`
      SELECT COUNT(*) AS n FROM pg_stat_activity
      WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE 'update "ligacoes"%'`.execute(database.db);
    return Number(waiting.rows[0]?.n) > 0;
  };

  it('a job taken again after its worker died is recorded as running before it runs; then it finishes', async () => {
    const first = await startWorker();
    const clicked = await app.inject({
      method: 'POST',
      url: '/v1/cti/click-to-call',
      headers: { authorization: `Bearer ${apiKey}` },
      payload: { ramal: '3501', numero: '(47) 3210-0123' },
    });
    expect(clicked.statusCode).toBe(202);
    const { jobId } = clicked.json() as { jobId: string };

    // The job is calling the PBX: its worker dies.
    await pbx.received(1);
    await workers.kill(first);
    const killedBy = Date.now();
    const processedOn = Number(await ingress.redis.hget(`${ingress.prefix}:cti:${jobId}`, 'processedOn'));
    // Killed (by killedBy at the latest) within its first second, its start was still held back: no row (the loss
    // this test is about).
    if (killedBy - processedOn < 900) expect(await record(jobId)).toBeUndefined();

    // The call row is locked: the retake's write (the row falhou) waits on it, the job running.
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked = () => {};
    const isLocked = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const holder = database.db.transaction().execute(async (trx) => {
      await sql`SELECT id FROM ligacoes WHERE empresa_id = ${empresaId} FOR UPDATE`.execute(trx);
      locked();
      await released;
    });
    await isLocked;

    // A second worker takes it again once its lock expired: its start is committed before the job runs.
    pbx.state.answering = true;
    const second = await startWorker();
    await until('the retaken job running (its write waits on the row lock)', waitingOnCallRow, 60_000);
    expect(await record(jobId)).toMatchObject({ estado: 'ativo', empresa_id: expect.any(Number), nome_job: 'cti.click-to-call' });
    await workers.kill(second);
    await sleep(300);
    const afterKill = await record(jobId);
    expect(afterKill).toMatchObject({ estado: 'ativo', finalizado_em: null });
    expect(afterKill?.iniciado_em).not.toBeNull();
    // The killed worker's statement is ended with it (PostgreSQL notices a dead client only when it writes to it).
    await sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE 'update "ligacoes"%'`.execute(database.db);
    release();
    await holder;

    // A third worker finishes it: the same row, failed for good, the PBX called once (the request may have been dialled).
    await startWorker();
    await until('the job recorded as failed', async () => (await record(jobId))?.estado === 'falhou', 60_000);
    expect(await record(jobId)).toMatchObject({ estado: 'falhou', nome_job: 'cti.click-to-call', erro_codigo: 'PBX_OUTCOME_UNKNOWN' });
    const call = await database.db.selectFrom('ligacoes').selectAll().where('empresa_id', '=', empresaId).executeTakeFirstOrThrow();
    expect(call).toMatchObject({ status: 'falhou', erro: expect.stringMatching(/^outcome unknown/) });
    expect(pbx.arrivals.length).toBe(1);
  }, 240_000);
});
