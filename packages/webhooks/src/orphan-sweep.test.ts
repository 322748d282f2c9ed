import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseAddressAllowlist } from '@integrador/connections';
import { createLogger } from '@integrador/logging';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { startTestQueues, type TestQueues } from '@integrador/test-support/test-producer';
import { Worker } from 'bullmq';
import { enqueueOwnJob, ownJobId, requeueOrphanedDeliveries } from './orphan-sweep';
import { deliveryJobId } from './publish-change';
import { DEFAULT_WEBHOOK_SETTINGS } from './settings';
import { endpointWithDeliveries, deliverUntil as runWorkerUntil } from './test/deliveries';
import { resendDelivery } from './webhooks.service';

// F20: a Redis restored from a snapshot older than a delivery (its job gone) leaves the row `pendente` with no job.
// Real Redis, a real delivery worker and a receiver on loopback (the operator's allowlist opens it).
describe('the sweep of pending deliveries no job owns', () => {
  const logger = createLogger({ name: 'test', level: 'silent' });
  const settings = { ...DEFAULT_WEBHOOK_SETTINGS, allowlist: parseAddressAllowlist(['127.0.0.1/32']) };
  let database: TestDatabase;
  let queues: TestQueues;
  let receiver: http.Server;
  let url: string;
  const received: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    queues = await startTestQueues({ logger });
    receiver = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        received.push(String(req.headers['webhook-id']));
        // Answered after a moment: two jobs of one delivery would both be in flight, both POSTing.
        setTimeout(() => res.writeHead(200).end(), 200);
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

  const status = async (id: number) =>
    (await database.db.selectFrom('webhook_entregas').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;
  /** Every job id of the test's webhook queue that holds a delivery (first send or recover). */
  const deliveryJobs = async () =>
    (await queues.redis.keys(`${queues.prefix}:webhook:wh*`)).map((key) => key.slice(`${queues.prefix}:webhook:`.length)).sort();

  /** Runs a real delivery worker (two at a time per endpoint) until `done`, then a moment more for any second job. */
  const deliverUntil = (done: () => Promise<boolean>) =>
    runWorkerUntil(queues, database.db, settings, done, { concurrency: 2, breakerFailures: 5 });

  it('re-enqueues an orphaned delivery once under its own job id, per tenant, and it is delivered once with its webhook-id', async () => {
    const a = await endpointWithDeliveries(database.db, { nome: 'orfa', url, segredo: 'plain:whsec_a', bodies: ['{"a":1}'] });
    const b = await endpointWithDeliveries(database.db, { nome: 'orfb', url, segredo: 'plain:whsec_b', bodies: ['{"b":1}'] });
    const [entregaA] = a.entregaIds as [number];
    const [entregaB] = b.entregaIds as [number];
    // The rows as a restore leaves them: pending, written long ago, no job in Redis for either.
    const later = new Date(Date.now() + 60 * 60_000);
    expect(await deliveryJobs()).toEqual([]);

    // Bound to tenant A: B's orphan is not touched.
    const first = await requeueOrphanedDeliveries(database.db, queues.producer, { empresaId: a.empresaId, now: later });
    expect(first.requeued).toEqual([entregaA]);
    const mensagemA = (
      await database.db.selectFrom('webhook_entregas').select('mensagem_id').where('id', '=', entregaA).executeTakeFirstOrThrow()
    ).mensagem_id;
    expect(await deliveryJobs()).toEqual([deliveryJobId(Number(mensagemA), a.endpointId)]);
    // Idempotent: the job is live (waiting), so a second sweep (and the unbound one) adds nothing for A.
    const second = await requeueOrphanedDeliveries(database.db, queues.producer, { now: later });
    expect(second.requeued).toEqual([entregaB]);
    expect(await deliveryJobs()).toHaveLength(2);
    expect((await requeueOrphanedDeliveries(database.db, queues.producer, { now: later })).requeued).toEqual([]);
    // Not old enough yet (the publish adds its job right after the row): left alone.
    expect((await requeueOrphanedDeliveries(database.db, queues.producer, { empresaId: a.empresaId })).checked).toBe(0);

    await deliverUntil(async () => (await status(entregaA)) === 'entregue' && (await status(entregaB)) === 'entregue');
    expect([await status(entregaA), await status(entregaB)]).toEqual(['entregue', 'entregue']);
    // Each delivered once, under its message's webhook-id (a receiver that had it before a restore deduplicates).
    expect(received.sort()).toEqual(['msg_orfa0', 'msg_orfb0']);
    // Delivered rows are not pending: the sweep finds nothing more.
    expect((await requeueOrphanedDeliveries(database.db, queues.producer, { now: later })).checked).toBe(0);
  });

  it('reaches an old orphan behind more than a batch of young pending rows, and pages through old ones by id', async () => {
    const young = await endpointWithDeliveries(database.db, {
      nome: 'jovem',
      url,
      segredo: 'plain:whsec_j',
      bodies: Array(2001).fill('{}'),
    });
    const old = await endpointWithDeliveries(database.db, { nome: 'velha', url, segredo: 'plain:whsec_v', bodies: ['{}'] });
    const [entregaOld] = old.entregaIds as [number];
    await database.db.updateTable('webhook_entregas').set({ atualizado_em: '2020-01-01 00:00:00' }).where('id', '=', entregaOld).execute();
    const swept = await requeueOrphanedDeliveries(database.db, queues.producer);
    expect(swept).toEqual({ checked: 1, requeued: [entregaOld], skipped: [], resumeAfter: 0 });
    // All of them old: one batch per call, the next call going on after it, then the set is read through (0).
    const youngIds = young.entregaIds;
    await database.db
      .updateTable('webhook_entregas')
      .set({ atualizado_em: '2020-01-01 00:00:00' })
      .where('empresa_id', '=', young.empresaId)
      .execute();
    const firstBatch = await requeueOrphanedDeliveries(database.db, queues.producer);
    expect([firstBatch.checked, firstBatch.requeued.length, firstBatch.resumeAfter]).toEqual([2000, 2000, youngIds[1999]]);
    const rest = await requeueOrphanedDeliveries(database.db, queues.producer, { afterId: firstBatch.resumeAfter });
    expect(rest).toEqual({ checked: 2, requeued: [youngIds[2000]], skipped: [], resumeAfter: 0 });
    // Out of the way of the next test: nothing left pending, no job.
    await queues.redis.del(...(await queues.redis.keys(`${queues.prefix}:webhook:*`)));
    await database.db
      .updateTable('webhook_entregas')
      .set({ status: 'cancelada' })
      .where('empresa_id', 'in', [young.empresaId, old.empresaId])
      .execute();
  });

  it('a manual resend of a pending delivery and the sweep send it once, in either order', async () => {
    const c = await endpointWithDeliveries(database.db, { nome: 'orfc', url, segredo: 'plain:whsec_c', bodies: ['{"c":1}', '{"c":2}'] });
    const [sweptFirst, resentFirst] = c.entregaIds as [number, number];
    const caller = { empresaId: c.empresaId, filialId: null };
    const later = new Date(Date.now() + 60 * 60_000);
    // The second is resent, then swept; the first is swept, then resent. Both pending, neither's job run yet.
    await resendDelivery(database.db, queues.producer, caller, c.endpointId, resentFirst);
    await requeueOrphanedDeliveries(database.db, queues.producer, { empresaId: c.empresaId, now: later });
    await resendDelivery(database.db, queues.producer, caller, c.endpointId, sweptFirst);
    await deliverUntil(async () => (await status(sweptFirst)) === 'entregue' && (await status(resentFirst)) === 'entregue');
    // One POST each: the resend ran the row's own job rather than a second one alongside it.
    expect(received.filter((id) => id.startsWith('msg_orfc')).sort()).toEqual(['msg_orfc0', 'msg_orfc1']);
  });

  it('goes on past a row whose settled job another replica holds (its remove refused)', async () => {
    const d = await endpointWithDeliveries(database.db, { nome: 'orfd', url, segredo: 'plain:whsec_d', bodies: ['{"d":1}', '{"d":2}'] });
    const [held, free] = d.entregaIds as [number, number];
    const row = await database.db.selectFrom('webhook_entregas').selectAll().where('id', '=', held).executeTakeFirstOrThrow();
    // The held row's job ran and completed, and another replica's worker holds a lock on its id (it re-added and took it
    // between this sweep's state read and its remove): BullMQ refuses the remove.
    const jobId = ownJobId(row);
    await enqueueOwnJob(queues.producer, row);
    const taker = new Worker('webhook', null, { connection: queues.workerRedis, prefix: queues.prefix, autorun: false });
    try {
      const job = await taker.getNextJob('taker');
      expect(job?.id).toBe(jobId);
      await job?.moveToCompleted('done', 'taker', false);
      await queues.redis.set(`${queues.prefix}:webhook:${jobId}:lock`, 'another-replica');
      const later = new Date(Date.now() + 60 * 60_000);
      const swept = await requeueOrphanedDeliveries(database.db, queues.producer, { empresaId: d.empresaId, now: later });
      // The held row is named as left to the next sweep (the CLI reports it), not silently dropped.
      expect(swept).toEqual({ checked: 2, requeued: [free], skipped: [held], resumeAfter: 0 });
    } finally {
      await queues.redis.del(`${queues.prefix}:webhook:${jobId}:lock`);
      await taker.close();
    }
  });
});
