import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseAddressAllowlist } from '@integrador/connections';
import { WEBHOOK_ENDPOINT_DISABLED_NO_RETRY } from '@integrador/jobs';
import { createLogger } from '@integrador/logging';
import { retryFailedJob } from '@integrador/queue';
import { timestampValue } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { startTestQueues, type TestQueues } from '@integrador/test-support/test-producer';
import { recoverableEntregasSince } from './deliveries.repository';
import { deliveryRetryRefusal } from './delivery-job';
import { ownJobId, requeueOrphanedDeliveries } from './orphan-sweep';
import { DEFAULT_WEBHOOK_SETTINGS, type WebhookSettings } from './settings';
import { endpointWithDeliveries, deliverUntil as runWorkerUntil } from './test/deliveries';
import { patchEndpoint, recoverDeliveries, resendDelivery } from './webhooks.service';

// An operator's resend, by every path (the engine's resendDelivery behind the API, the CLI and the dashboard; an
// operator's retry of a delivery job, alone or in bulk), records its attempt as `manual`, and a resend racing a recover
// of the same delivery makes one attempt. Real Redis, a real delivery worker, real databases and a receiver on loopback.
describe.each(['postgres', 'sqlite'] as const)('resends of webhook deliveries on %s', (dialect) => {
  const logger = createLogger({ name: 'test', level: 'silent' });
  // No retries: a delivery whose attempt fails is given up at once (its job fails), as after its whole schedule.
  const settings: WebhookSettings = {
    ...DEFAULT_WEBHOOK_SETTINGS,
    retryScheduleMs: [],
    allowlist: parseAddressAllowlist(['127.0.0.1/32']),
  };
  let database: TestDatabase;
  let queues: TestQueues;
  let receiver: http.Server;
  let url: string;
  let answer = 200;
  const received: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    queues = await startTestQueues({ logger });
    receiver = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        received.push(String(req.headers['webhook-id']));
        // Answered after a moment: two jobs of one delivery would both be in flight, both POSTing.
        setTimeout(() => res.writeHead(answer).end(), 200);
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => {
    await queues.close();
    await database.drop();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });

  const entrega = (id: number) =>
    database.db.selectFrom('webhook_entregas').select(['status', 'tentativas']).where('id', '=', id).executeTakeFirstOrThrow();
  const origins = async (id: number) =>
    (
      await database.db
        .selectFrom('webhook_tentativas')
        .select(['numero', 'origem'])
        .where('entrega_id', '=', id)
        .orderBy('numero')
        .execute()
    ).map((t) => `${t.numero}:${t.origem}`);

  /** Runs a real delivery worker (as worker-webhook wires it, four at a time) until `done`, then a moment more. */
  const deliverUntil = (done: () => Promise<boolean>) =>
    runWorkerUntil(queues, database.db, settings, done, { concurrency: 4, breakerFailures: 50, producer: true, settleMs: 600 });

  const withDeliveries = (nome: string, count: number, to = url) =>
    endpointWithDeliveries(database.db, {
      nome: `${nome}${dialect}`,
      url: to,
      segredo: 'plain:whsec_x',
      bodies: Array.from({ length: count }, (_, i) => `{"i":${i}}`),
    });

  /** One pending delivery to `to` with its own job queued as the publish queues it (`delay`: waiting for a retry). */
  const pendingWithOwnJob = async (nome: string, to = url, delay = 0) => {
    const { empresaId, endpointId, entregaIds } = await withDeliveries(nome, 1, to);
    const [id] = entregaIds as [number];
    const row = await database.db.selectFrom('webhook_entregas').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const jobId = ownJobId(row);
    await queues.producer.enqueue(
      'webhook',
      'webhook.deliver',
      { tenant: { empresaId, filialId: null }, entregaId: id, endpointId },
      { jobId, delay },
    );
    return { empresaId, endpointId, id, jobId };
  };

  it('a resend of a pending delivery runs its own job now, its attempt recorded manual (it was automatica)', async () => {
    answer = 200;
    // Its own job waits for its next retry, an hour away.
    const { empresaId, endpointId, id, jobId: own } = await pendingWithOwnJob('Pendente', url, 3_600_000);
    const jobId = await resendDelivery(database.db, queues.producer, { empresaId, filialId: null }, endpointId, id);
    expect(jobId).toBe(own);
    await deliverUntil(async () => (await entrega(id)).status === 'entregue');
    expect(await entrega(id)).toEqual({ status: 'entregue', tentativas: 1 });
    expect(await origins(id)).toEqual(['1:manual']);
    expect(received.filter((w) => w === `msg_Pendente${dialect}0`)).toHaveLength(1);
  });

  it('a resend of a pending delivery whose job is mid-attempt gets one more attempt, manual, right after it; never two at once', async () => {
    // A receiver that holds every request until the test answers it, counting the requests in flight at once.
    const held: Array<{ webhookId: string; answer: (status: number) => void }> = [];
    let inFlight = 0;
    let mostInFlight = 0;
    const holding = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        inFlight += 1;
        mostInFlight = Math.max(mostInFlight, inFlight);
        let answered = false;
        held.push({
          webhookId: String(req.headers['webhook-id']),
          answer: (status) => {
            if (answered) return;
            answered = true;
            inFlight -= 1;
            res.writeHead(status).end();
          },
        });
      });
    });
    await new Promise<void>((resolve) => holding.listen(0, '127.0.0.1', resolve));
    const holdingUrl = `http://127.0.0.1:${(holding.address() as AddressInfo).port}/hook`;
    const heldCount = async (n: number) => {
      for (let i = 0; i < 200 && held.length < n; i++) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(held).toHaveLength(n);
    };
    // A failed attempt retries an hour later: a resend honoured "after" that would not be now.
    const hourly: WebhookSettings = { ...settings, retryScheduleMs: [3_600_000] };
    try {
      for (const [nome, first] of [
        ['EmCursoFalha', 500],
        ['EmCursoEntregue', 200],
      ] as const) {
        held.length = 0;
        mostInFlight = 0;
        // Its own job, as the publish adds it, takes the delivery and POSTs: the receiver holds it.
        const { empresaId, endpointId, id, jobId: own } = await pendingWithOwnJob(nome, holdingUrl);
        const done = async () => {
          const now = await entrega(id);
          return now.status === 'entregue' && now.tentativas >= 2;
        };
        const delivering = runWorkerUntil(queues, database.db, hourly, done, {
          concurrency: 4,
          breakerFailures: 50,
          producer: true,
          settleMs: 600,
        });
        await heldCount(1);
        const jobId = await resendDelivery(database.db, queues.producer, { empresaId, filialId: null }, endpointId, id);
        expect(jobId).toBe(own);
        expect(await (await queues.producer.queue('webhook').getJob(jobId))?.getState()).toBe('active');
        // The attempt in flight ends (failed: its retry an hour away; or delivered); the operator's comes right after.
        held[0]?.answer(first);
        await heldCount(2);
        held[1]?.answer(200);
        await delivering;
        expect({ nome, row: await entrega(id) }).toEqual({ nome, row: { status: 'entregue', tentativas: 2 } });
        expect({ nome, origins: await origins(id) }).toEqual({ nome, origins: ['1:automatica', '2:manual'] });
        expect({ nome, ids: held.map((h) => h.webhookId), mostInFlight }).toEqual({
          nome,
          ids: [`msg_${nome}${dialect}0`, `msg_${nome}${dialect}0`],
          mostInFlight: 1,
        });
      }
    } finally {
      for (const request of held) request.answer(200);
      holding.closeAllConnections();
      await new Promise<void>((resolve) => holding.close(() => resolve()));
    }
  });

  it("an operator's retry of a given-up delivery's job resends it: one attempt, manual (it did nothing)", async () => {
    const { entregaIds } = await withDeliveries('Bulk', 2);
    const ids = entregaIds as [number, number];
    // First sent by their own jobs (published as usual): the receiver fails them, no retries left: given up.
    const rows = await database.db.selectFrom('webhook_entregas').selectAll().where('id', 'in', ids).execute();
    for (const row of rows)
      await queues.producer.enqueue(
        'webhook',
        'webhook.deliver',
        { tenant: { empresaId: row.empresa_id, filialId: null }, entregaId: Number(row.id), endpointId: row.endpoint_id },
        { jobId: ownJobId(row) },
      );
    answer = 500;
    await deliverUntil(async () => (await Promise.all(ids.map(entrega))).every((r) => r.status === 'falhou'));
    expect((await Promise.all(ids.map(entrega))).map((r) => r.status)).toEqual(['falhou', 'falhou']);
    // The failures page's bulk retry (retryFailedJob per job), the receiver fixed.
    answer = 200;
    for (const row of rows) {
      const job = await queues.producer.queue('webhook').getJob(ownJobId(row));
      expect(await job?.getState()).toBe('failed');
      expect(await retryFailedJob(job as NonNullable<typeof job>, queues.redis, queues.prefix)).toEqual({ retried: true });
    }
    await deliverUntil(async () => (await Promise.all(ids.map(entrega))).every((r) => r.status === 'entregue'));
    for (const id of ids) {
      expect(await entrega(id)).toEqual({ status: 'entregue', tentativas: 2 });
      expect(await origins(id)).toEqual(['1:automatica', '2:manual']);
    }
  });

  it('a resend racing a recover of the same failed delivery makes one attempt, whichever claims it first', async () => {
    answer = 200;
    const { empresaId, endpointId, entregaIds } = await withDeliveries('Corrida', 6);
    await database.db
      .updateTable('webhook_entregas')
      .set({ status: 'falhou', tentativas: 1, ultimo_erro: 'HTTP 500' })
      .where('id', 'in', entregaIds)
      .execute();
    const caller = { empresaId, filialId: null };
    // Each delivery resent while the endpoint is recovered: two concurrent calls per delivery.
    await Promise.all([
      recoverDeliveries(database.db, queues.producer, caller, endpointId, new Date(0)),
      ...entregaIds.map((id) => resendDelivery(database.db, queues.producer, caller, endpointId, id)),
    ]);
    await deliverUntil(async () => (await Promise.all(entregaIds.map(entrega))).every((r) => r.status === 'entregue'));
    for (const [i, id] of entregaIds.entries()) {
      expect(await entrega(id)).toEqual({ status: 'entregue', tentativas: 2 });
      // One POST each: before, the resend's job and the recover's both sent it.
      expect(received.filter((w) => w === `msg_Corrida${dialect}${i}`)).toHaveLength(1);
      expect(await origins(id)).toHaveLength(1);
    }
  });

  /** Marks the deliveries delivered once (as their first attempt did). */
  const markDelivered = (ids: readonly number[]) =>
    database.db
      .updateTable('webhook_entregas')
      .set({ status: 'entregue', tentativas: 1, entregue_em: timestampValue(database.db, new Date()) } as never)
      .where('id', 'in', ids)
      .execute();
  const jobEnded = (jobId: string) => async () => {
    const state = await (await queues.producer.getJob('webhook', jobId))?.getState();
    return state === 'completed' || state === 'failed';
  };

  it('a delivered delivery whose resend finds its endpoint disabled stays entregue: never cancelled, never recovered', async () => {
    answer = 200;
    const { empresaId, endpointId, entregaIds } = await withDeliveries('Desativado', 1);
    const [id] = entregaIds as [number];
    await markDelivered([id]);
    const caller = { empresaId, filialId: null };
    const jobId = await resendDelivery(database.db, queues.producer, caller, endpointId, id);
    // Disabled before the resend's job runs (it waited on the open breaker, or the queue was backed up).
    await patchEndpoint(database.db, settings, caller, endpointId, { ativo: false });
    await deliverUntil(jobEnded(jobId));
    // Before, the row stayed pendente; the orphan sweep's job then cancelled it, and a recover sent it again.
    expect(await entrega(id)).toEqual({ status: 'entregue', tentativas: 1 });
    await requeueOrphanedDeliveries(database.db, queues.producer, { empresaId, now: new Date(Date.now() + 11 * 60_000) });
    await patchEndpoint(database.db, settings, caller, endpointId, { ativo: true });
    expect(await recoverableEntregasSince(database.db, empresaId, endpointId, new Date(0))).toEqual([]);
    expect(received.filter((w) => w === `msg_Desativado${dialect}0`)).toHaveLength(0);
  });

  it('a failed delivery whose resend finds its endpoint disabled is cancelled for it (a recover sends it), not left pendente', async () => {
    const { empresaId, endpointId, entregaIds } = await withDeliveries('DesativadoFalhou', 1);
    const [id] = entregaIds as [number];
    await database.db
      .updateTable('webhook_entregas')
      .set({ status: 'falhou', tentativas: 1, ultimo_erro: 'HTTP 500' })
      .where('id', '=', id)
      .execute();
    const caller = { empresaId, filialId: null };
    const jobId = await resendDelivery(database.db, queues.producer, caller, endpointId, id);
    await patchEndpoint(database.db, settings, caller, endpointId, { ativo: false });
    await deliverUntil(jobEnded(jobId));
    expect(await entrega(id)).toEqual({ status: 'cancelada', tentativas: 1 });
    await patchEndpoint(database.db, settings, caller, endpointId, { ativo: true });
    expect(await recoverableEntregasSince(database.db, empresaId, endpointId, new Date(0))).toEqual([
      expect.objectContaining({ id, status: 'cancelada' }),
    ]);
  });

  it("an operator's retry of a given-up job whose delivery a resend then cancelled (endpoint disabled, re-enabled since) resends it", async () => {
    const { empresaId, endpointId, entregaIds } = await withDeliveries('RetryCancelada', 1);
    const [id] = entregaIds as [number];
    const row = await database.db.selectFrom('webhook_entregas').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    await queues.producer.enqueue(
      'webhook',
      'webhook.deliver',
      { tenant: { empresaId, filialId: null }, entregaId: id, endpointId },
      { jobId: ownJobId(row) },
    );
    answer = 500;
    await deliverUntil(async () => (await entrega(id)).status === 'falhou');
    // Resent from the Webhooks page; its endpoint disabled before the resend's job ran, re-enabled later.
    const caller = { empresaId, filialId: null };
    const resendJob = await resendDelivery(database.db, queues.producer, caller, endpointId, id);
    await patchEndpoint(database.db, settings, caller, endpointId, { ativo: false });
    await deliverUntil(jobEnded(resendJob));
    // While the endpoint is disabled, the failures page's retry would send nothing: refused, saying so.
    const own = await queues.producer.queue('webhook').getJob(ownJobId(row));
    expect(
      await retryFailedJob(own as NonNullable<typeof own>, queues.redis, queues.prefix, undefined, deliveryRetryRefusal(database.db)),
    ).toMatchObject({ retried: false, notRetryable: WEBHOOK_ENDPOINT_DISABLED_NO_RETRY });
    await patchEndpoint(database.db, settings, caller, endpointId, { ativo: true });
    expect(await entrega(id)).toEqual({ status: 'cancelada', tentativas: 1 });
    // The failures page's retry of the given-up job (the API, the CLI and the dashboard ask deliveryRetryRefusal).
    answer = 200;
    expect(
      await retryFailedJob(own as NonNullable<typeof own>, queues.redis, queues.prefix, undefined, deliveryRetryRefusal(database.db)),
    ).toEqual({
      retried: true,
    });
    // Sent, as a recover sends a disable-cancelled delivery: before, the job ended "already done" and it stayed cancelada.
    await deliverUntil(async () => (await entrega(id)).status === 'entregue');
    expect(await entrega(id)).toEqual({ status: 'entregue', tentativas: 2 });
    expect(await origins(id)).toEqual(['1:automatica', '2:manual']);
    expect(received.filter((w) => w === `msg_RetryCancelada${dialect}0`)).toHaveLength(2);
  });

  it('a delivered delivery whose resend fails stays entregue', async () => {
    const { empresaId, endpointId, entregaIds } = await withDeliveries('ReenvioFalha', 1);
    const [id] = entregaIds as [number];
    await markDelivered([id]);
    answer = 500;
    const jobId = await resendDelivery(database.db, queues.producer, { empresaId, filialId: null }, endpointId, id);
    await deliverUntil(jobEnded(jobId));
    expect(await entrega(id)).toEqual({ status: 'entregue', tentativas: 2 });
    expect(await origins(id)).toEqual(['2:manual']);
  });

  it("an operator's retry of a given-up job whose delivery a resend delivered since sends nothing again", async () => {
    const { empresaId, endpointId, entregaIds } = await withDeliveries('JaEntregue', 2);
    const rows = await database.db.selectFrom('webhook_entregas').selectAll().where('id', 'in', entregaIds).orderBy('id').execute();
    for (const row of rows)
      await queues.producer.enqueue(
        'webhook',
        'webhook.deliver',
        { tenant: { empresaId, filialId: null }, entregaId: Number(row.id), endpointId },
        { jobId: ownJobId(row) },
      );
    answer = 500;
    await deliverUntil(async () => (await Promise.all(entregaIds.map(entrega))).every((r) => r.status === 'falhou'));
    // Resent from the Webhooks page and delivered; their failed jobs stay on the failures page.
    answer = 200;
    for (const id of entregaIds) await resendDelivery(database.db, queues.producer, { empresaId, filialId: null }, endpointId, id);
    await deliverUntil(async () => (await Promise.all(entregaIds.map(entrega))).every((r) => r.status === 'entregue'));
    const [first, second] = await Promise.all(rows.map((row) => queues.producer.queue('webhook').getJob(ownJobId(row))));
    // The API, the CLI and the dashboard ask deliveryRetryRefusal: the retry is refused, the job left failed.
    expect(
      await retryFailedJob(first as NonNullable<typeof first>, queues.redis, queues.prefix, undefined, deliveryRetryRefusal(database.db)),
    ).toEqual({
      retried: false,
      state: 'failed',
      notRetryable: 'webhook-delivered',
    });
    // A retry that does not ask (a raw BullMQ retry, a retry racing the resend): the job runs and sends nothing.
    expect(await retryFailedJob(second as NonNullable<typeof second>, queues.redis, queues.prefix)).toEqual({ retried: true });
    await deliverUntil(async () => (await second?.getState()) === 'completed');
    expect(await second?.getState()).toBe('completed');
    for (const [i, id] of entregaIds.entries()) {
      expect(await entrega(id)).toEqual({ status: 'entregue', tentativas: 2 });
      // The first attempt and the resend's: before, the retry POSTed it a third time.
      expect(received.filter((w) => w === `msg_JaEntregue${dialect}${i}`)).toHaveLength(2);
    }
  });

  it('a resend whose claim finds the endpoint disabled meanwhile answers 409 WEBHOOK_DISABLED, queuing nothing', async () => {
    const { empresaId, endpointId, entregaIds } = await withDeliveries('CorridaDesativar', 1);
    const [id] = entregaIds as [number];
    await markDelivered([id]);
    const caller = { empresaId, filialId: null };
    // The operator disables the endpoint between the resend's check and its claim (the claim's job is added first).
    const producer = Object.create(queues.producer) as typeof queues.producer;
    producer.enqueue = (async (...args: Parameters<typeof queues.producer.enqueue>) => {
      await patchEndpoint(database.db, settings, caller, endpointId, { ativo: false });
      return queues.producer.enqueue(...args);
    }) as typeof queues.producer.enqueue;
    // Before, it answered 202 with an unclaimed whr- job.
    await expect(resendDelivery(database.db, producer, caller, endpointId, id)).rejects.toMatchObject({
      code: 'WEBHOOK_DISABLED',
      status: 409,
    });
    expect(await entrega(id)).toEqual({ status: 'entregue', tentativas: 1 });
    const jobs = await queues.producer.queue('webhook').getJobs(['waiting', 'delayed', 'prioritized']);
    expect(jobs.filter((job) => (job.data as { entregaId?: number }).entregaId === id)).toEqual([]);
  });
});
