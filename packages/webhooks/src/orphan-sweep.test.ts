import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseAddressAllowlist } from '@integrador/connections';
import type { JobPayload } from '@integrador/jobs';
import { createLogger } from '@integrador/logging';
import { type JobHandler, type QueueHandlers, startQueueWorker } from '@integrador/queue';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { startTestQueues, type TestQueues } from '@integrador/test-support/test-producer';
import type { Worker } from 'bullmq';
import { runDeliveryJob } from './delivery-job';
import { createDeliveryStore } from './delivery-store';
import { EndpointFlowControl } from './flow-control';
import { createWebhookHttpClient } from './http-client';
import { requeueOrphanedDeliveries } from './orphan-sweep';
import { deliveryJobId } from './publish-change';
import { DEFAULT_WEBHOOK_SETTINGS } from './settings';
import { endpointWithDeliveries } from './test/deliveries';

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
        res.writeHead(200).end();
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

    const http = createWebhookHttpClient(settings);
    const flow = new EndpointFlowControl(queues.redis, queues.prefix, {
      breakerFailures: 5,
      breakerCooldownMs: 30_000,
      endpointConcurrency: 2,
      leaseMs: 20_000,
    });
    const deps = { db: database.db, store: createDeliveryStore(database.db), http, flow, settings, logger };
    let worker: Worker | undefined;
    try {
      worker = startQueueWorker({
        queue: 'webhook',
        connection: queues.workerRedis,
        prefix: queues.prefix,
        concurrency: 2,
        logger,
        handlers: {
          'webhook.deliver': ((payload, ctx) => runDeliveryJob(deps, payload, ctx.job, ctx.token)) as JobHandler<
            JobPayload<'webhook', 'webhook.deliver'>
          >,
        } as unknown as QueueHandlers<'webhook'>,
      });
      for (let i = 0; i < 400 && ((await status(entregaA)) !== 'entregue' || (await status(entregaB)) !== 'entregue'); i++)
        await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      await worker?.close();
      await http.close();
    }
    expect([await status(entregaA), await status(entregaB)]).toEqual(['entregue', 'entregue']);
    // Each delivered once, under its message's webhook-id (a receiver that had it before a restore deduplicates).
    expect(received.sort()).toEqual(['msg_orfa0', 'msg_orfb0']);
    // Delivered rows are not pending: the sweep finds nothing more.
    expect((await requeueOrphanedDeliveries(database.db, queues.producer, { now: later })).checked).toBe(0);
  });
});
