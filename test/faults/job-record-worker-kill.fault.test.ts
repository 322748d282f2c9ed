import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { saveCtiSettings } from '@integrador/cti';
import { createEmpresa, issueApiKey } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import type { AppProcess } from '@integrador/test-support/processes';
import type { FastifyInstance } from 'fastify';
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
 * was running, and a third worker completes it.
 */
describe('job records when a worker is killed (SIGKILL) while a job runs', () => {
  let database: TestDatabase;
  let ingress: TestIngress;
  let app: FastifyInstance;
  let pbx: Awaited<ReturnType<typeof startHoldingPbx>>;
  let apiKey: string;
  const workers = new WorkerPool();

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    pbx = await startHoldingPbx();
    const empresaId = await createEmpresa(database.db, 'Acme');
    apiKey = await issueApiKey(database.db, empresaId, null, 'test');
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

  it('a job taken again after its worker died is recorded as running before it runs; then it completes', async () => {
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
    const processedOn = Number(await ingress.redis.hget(`${ingress.prefix}:cti:${jobId}`, 'processedOn'));
    const ranMs = (pbx.arrivals[0] ?? 0) - processedOn;
    // Killed within its first second, its start was still held back: no row (the loss this test is about).
    if (ranMs < 900) expect(await record(jobId)).toBeUndefined();

    // A second worker takes it again once its lock expired: its start is committed before the job runs.
    const second = await startWorker();
    await pbx.received(2);
    expect(await record(jobId)).toMatchObject({ estado: 'ativo', empresa_id: expect.any(Number), nome_job: 'cti.click-to-call' });
    await workers.kill(second);
    await sleep(300);
    const afterKill = await record(jobId);
    expect(afterKill).toMatchObject({ estado: 'ativo', finalizado_em: null });
    expect(afterKill?.iniciado_em).not.toBeNull();

    // A third worker finishes it: the same row, completed.
    pbx.state.answering = true;
    await startWorker();
    await until('the job recorded as completed', async () => (await record(jobId))?.estado === 'concluido', 60_000);
    expect(await record(jobId)).toMatchObject({ estado: 'concluido', nome_job: 'cti.click-to-call' });
    expect(pbx.arrivals.length).toBe(3);
  }, 240_000);
});
