import http from 'node:http';
import net from 'node:net';
import { saveCtiSettings } from '@integrador/cti';
import { createEmpresa, issueApiKey } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import type { AppProcess } from '@integrador/test-support/processes';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { startTestIngress, type TestIngress } from '../support/test-ingress';
import { until } from './fault-mode';
import { WorkerPool } from './worker-pool';

/** A stub PBX: counts arrivals; holds them (never answers) while `hold` is set, else answers 200. */
function stubPbx() {
  const arrivals: number[] = [];
  const held: http.ServerResponse[] = [];
  const state = { hold: true };
  const server = http.createServer((_req, res) => {
    arrivals.push(Date.now());
    if (state.hold) held.push(res);
    else res.writeHead(200, { 'content-type': 'text/plain' }).end('OK');
  });
  return {
    arrivals,
    state,
    listen: (port = 0) =>
      new Promise<number>((resolve) => server.listen(port, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port))),
    close: async () => {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port nothing listens on (yet): connecting to it is refused. */
async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/**
 * A click-to-call is never dialled twice: a worker-cti killed (SIGKILL) while the PBX has its request leaves the job to
 * BullMQ's stalled check, and the worker that takes it again finds the send record and fails it (PBX_OUTCOME_UNKNOWN)
 * without calling the PBX, or, when the PBX had answered 2xx already, completes it, unsent; a PBX that could not be
 * reached at first is still retried, and dialled once.
 */
describe('click-to-call when its worker is killed (SIGKILL) or the PBX is unreachable', () => {
  let database: TestDatabase;
  let ingress: TestIngress;
  let app: FastifyInstance;
  let apiKey: string;
  let empresaId: number;
  const workers = new WorkerPool();
  const pbxs: ReturnType<typeof stubPbx>[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    empresaId = await createEmpresa(database.db, 'Acme');
    apiKey = await issueApiKey(database.db, empresaId, null, 'test');
    // Click-to-call takes an active usuario's ramal of the empresa.
    await database.db.insertInto('usuarios').values({ empresa_id: empresaId, nome: 'Ana', ramal: '3501' }).execute();
    ingress = await startTestIngress(database);
    app = ingress.app;
  }, 120_000);

  afterEach(() => workers.stopAll());

  afterAll(async () => {
    await workers.stopAll();
    for (const pbx of pbxs) await pbx.close();
    await ingress?.close();
    await database?.drop();
  });

  const startWorker = (): Promise<AppProcess> =>
    workers.start(
      'apps/worker-cti/src/main.ts',
      { prefix: ingress.prefix, databaseUrl: database.url },
      // The PBX holds the request: no timeout while the workers come and go (the 60 s expiry is the default's).
      { CTI_PBX_TIMEOUT_MS: '120000' },
    );
  async function usePbx(port: number) {
    await saveCtiSettings(database.db, empresaId, {
      pbxUrlTemplate: `http://127.0.0.1:${port}/api/clicktodial?origem={ramal_origem}&destino={numero_destino}`,
      ramalLength: 4,
      allowPrivateNetwork: true,
    });
    // The worker's settings cache (5 s) starts empty in each new worker process.
  }
  async function click(numero: string): Promise<string> {
    const clicked = await app.inject({
      method: 'POST',
      url: '/v1/cti/click-to-call',
      headers: { authorization: `Bearer ${apiKey}` },
      payload: { ramal: '3501', numero },
    });
    expect(clicked.statusCode).toBe(202);
    return (clicked.json() as { jobId: string }).jobId;
  }
  const job = (jobId: string) => ingress.redis.hgetall(`${ingress.prefix}:cti:${jobId}`);
  const row = (telefone: string) =>
    database.db
      .selectFrom('ligacoes')
      .selectAll()
      .where('empresa_id', '=', empresaId)
      .where('telefone', '=', telefone)
      .executeTakeFirstOrThrow();

  it('a job taken again after its worker was killed mid-request fails as PBX_OUTCOME_UNKNOWN: the PBX got one request', async () => {
    const pbx = stubPbx();
    pbxs.push(pbx);
    await usePbx(await pbx.listen());
    const first = await startWorker();
    const jobId = await click('(47) 3210-0123');
    await until('the PBX has the request', async () => pbx.arrivals.length === 1, 60_000);
    await workers.kill(first);

    // The PBX would answer now: a second request would be dialled.
    pbx.state.hold = false;
    await startWorker();
    await until('the job failed', async () => (await job(jobId)).finishedOn !== undefined, 60_000);
    const failed = await job(jobId);
    expect(failed.failedReason).toMatch(/^outcome unknown: the PBX may have dialled; check before trying again/);
    expect(JSON.parse(failed.progress ?? '{}')).toMatchObject({ pbxRequest: 'sending' });
    expect(pbx.arrivals).toHaveLength(1);
    expect(await row('(47) 3210-0123')).toMatchObject({ status: 'falhou', erro: expect.stringMatching(/^outcome unknown/) });
    await until(
      'the job recorded as failed',
      async () =>
        (await database.db.selectFrom('registro_jobs').select('estado').where('job_id', '=', jobId).executeTakeFirst())?.estado ===
        'falhou',
      30_000,
    );
    const record = await database.db.selectFrom('registro_jobs').selectAll().where('job_id', '=', jobId).executeTakeFirstOrThrow();
    expect(record).toMatchObject({ erro_codigo: 'PBX_OUTCOME_UNKNOWN' });
  }, 180_000);

  it('a job taken again after its worker was killed once the PBX answered 2xx (linking the customer) completes, unsent', async () => {
    const pbx = stubPbx();
    pbxs.push(pbx);
    pbx.state.hold = false;
    await usePbx(await pbx.listen());
    // A conta with the number, noted for the phone index and not indexed yet: the customer is linked after the dial,
    // through a catch-up that the lock below holds (as a long catch-up would).
    await database.db.insertInto('contas').values({ empresa_id: empresaId, nome: 'Conta Placed', telefone: '(47) 3210-0789' }).execute();
    const conta = await database.db
      .selectFrom('contas')
      .select('id')
      .where('empresa_id', '=', empresaId)
      .where('nome', '=', 'Conta Placed')
      .executeTakeFirstOrThrow();
    let release = (): void => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let taken = (): void => undefined;
    const lockTaken = new Promise<void>((resolve) => {
      taken = resolve;
    });
    const holding = database.db.transaction().execute(async (trx) => {
      await trx.selectFrom('cti_telefones_pendentes').select('id').where('empresa_id', '=', empresaId).forUpdate().execute();
      taken();
      await released;
    });
    try {
      await lockTaken;
      const first = await startWorker();
      const jobId = await click('(47) 3210-0789');
      const status = async () =>
        (
          await database.db
            .selectFrom('ligacoes')
            .select('status')
            .where('empresa_id', '=', empresaId)
            .where('telefone', '=', '(47) 3210-0789')
            .executeTakeFirst()
        )?.status;
      await until('the PBX answered', async () => (await status()) === 'em andamento', 60_000);
      await until(
        'the customer link waits on the catch-up',
        async () =>
          Number(
            (
              await sql<{ n: string }>`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database()
                AND wait_event_type = 'Lock' AND query ILIKE '%cti_telefones_pendentes%for update%'`.execute(database.db)
            ).rows[0]?.n,
          ) > 0,
        60_000,
      );
      expect((await job(jobId)).finishedOn).toBeUndefined();
      await workers.kill(first);
      release();
      await holding;

      await startWorker();
      await until('the job finished', async () => (await job(jobId)).finishedOn !== undefined, 60_000);
      const done = await job(jobId);
      expect(done.failedReason).toBeUndefined();
      expect(JSON.parse(done.returnvalue ?? 'null')).toMatchObject({ status: 200, pbxAnswer: 'OK' });
      expect(JSON.parse(done.progress ?? '{}')).toMatchObject({ pbxRequest: 'placed' });
      expect(pbx.arrivals).toHaveLength(1);
      expect(await row('(47) 3210-0789')).toMatchObject({ status: 'em andamento', erro: null, conta_id: conta.id });
    } finally {
      release();
      await holding.catch(() => undefined);
    }
  }, 180_000);

  it('a first attempt that could not reach the PBX (connection refused) is retried, and the PBX dials once', async () => {
    const port = await freePort();
    await usePbx(port);
    await startWorker();
    const jobId = await click('(47) 3210-0456');
    await until('the first attempt failed', async () => Number((await job(jobId)).atm ?? 0) >= 1, 60_000);
    const pbx = stubPbx();
    pbxs.push(pbx);
    pbx.state.hold = false;
    await pbx.listen(port);
    await until('the job completed', async () => (await job(jobId)).finishedOn !== undefined, 60_000);
    const done = await job(jobId);
    expect(JSON.parse(done.returnvalue ?? 'null')).toMatchObject({ status: 200 });
    expect(pbx.arrivals).toHaveLength(1);
    expect(await row('(47) 3210-0456')).toMatchObject({ status: 'em andamento', erro: null });
  }, 180_000);
});
