import type { JobProducer } from '@integrador/queue';
import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { TEST_REDIS_URL } from '@integrador/test-support/redis-server';
import { startTcpRelay } from '@integrador/test-support/tcp-relay';
import { startTestProducer, type TestProducer } from '@integrador/test-support/test-producer';
import { endpointWithDeliveries } from './test/deliveries';
import { recoverDeliveries } from './webhooks.service';

// Recover against real databases and a real Redis: what it restarts is what it queues, and a queue that fails midway
// leaves no delivery pending without a job.
describe.each(ALL_DIALECTS)('recover of a webhook endpoint on %s (real Redis)', (dialect) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await database.drop();
  });

  const rows = (ids: number[]) =>
    database.db.selectFrom('webhook_entregas').select(['id', 'status', 'ultimo_erro']).where('id', 'in', ids).orderBy('id').execute();

  /** A producer whose enqueues go through `queue`, with `between` run after each one that succeeded. */
  const producerWith = (queue: TestProducer, between: (done: number) => Promise<void> | void) => {
    let done = 0;
    return {
      enqueue: async (...args: Parameters<JobProducer['enqueue']>) => {
        const job = await queue.producer.enqueue(...args);
        done += 1;
        await between(done);
        return job;
      },
    } as unknown as JobProducer;
  };

  it('the queue lost after the first job: the second delivery is put back cancelled with its reason, and the next recover sends it', async () => {
    const { empresaId, endpointId, entregaIds } = await endpointWithDeliveries(database.db, {
      nome: `Perdida${dialect}`,
      url: 'https://example.com/hook',
      segredo: 'plain:whsec_x',
      bodies: ['{}', '{}'],
    });
    await database.db
      .updateTable('webhook_entregas')
      .set({ status: 'cancelada', ultimo_erro: 'ENDPOINT_DISABLED' })
      .where('id', 'in', entregaIds)
      .execute();
    const caller = { empresaId, filialId: null };
    // Redis through a relay that goes away after the first job is queued: the second add is refused.
    const relay = await startTcpRelay(TEST_REDIS_URL, { defaultPort: 6379 });
    const broken = await startTestProducer({ redisUrl: relay.url, enqueueTimeoutMs: 1000 });
    try {
      const failing = producerWith(broken, () => relay.close());
      await expect(recoverDeliveries(database.db, failing, caller, endpointId, new Date(0))).rejects.toMatchObject({
        name: expect.stringMatching(/QueueUnavailableError|EnqueueOutcomeUnknownError/),
      });
      // Before the fix the second row stayed pending with its reason erased, and no recover ever took it again.
      expect((await rows(entregaIds)).map((r) => [r.status, r.ultimo_erro])).toEqual([
        ['pendente', null],
        ['cancelada', 'ENDPOINT_DISABLED'],
      ]);
    } finally {
      await broken.close().catch(() => undefined);
      await relay.close();
    }
    const queue = await startTestProducer();
    try {
      expect(await recoverDeliveries(database.db, queue.producer, caller, endpointId, new Date(0))).toEqual({
        recovered: 1,
        falhou: 0,
        cancelada: 1,
      });
      expect((await rows(entregaIds)).map((r) => r.status)).toEqual(['pendente', 'pendente']);
    } finally {
      await queue.close();
    }
  });

  it('a delivery a resend delivered while the recover ran is neither restarted nor queued again', async () => {
    const { empresaId, endpointId, entregaIds } = await endpointWithDeliveries(database.db, {
      nome: `Entregue${dialect}`,
      url: 'https://example.com/hook',
      segredo: 'plain:whsec_x',
      bodies: ['{}', '{}'],
    });
    await database.db
      .updateTable('webhook_entregas')
      .set({ status: 'falhou', ultimo_erro: 'HTTP 500' })
      .where('id', 'in', entregaIds)
      .execute();
    const queue = await startTestProducer();
    try {
      // While the first job is queued, a resend's job delivers the second delivery.
      const resent = producerWith(queue, async (done) => {
        if (done === 1)
          await database.db
            .updateTable('webhook_entregas')
            .set({ status: 'entregue', ultimo_erro: null })
            .where('id', '=', entregaIds[1] as number)
            .execute();
      });
      expect(await recoverDeliveries(database.db, resent, { empresaId, filialId: null }, endpointId, new Date(0))).toEqual({
        recovered: 1,
        falhou: 1,
        cancelada: 0,
      });
      expect((await rows(entregaIds)).map((r) => r.status)).toEqual(['pendente', 'entregue']);
      const keys = await queue.redis.keys(`${queue.prefix}:*:whv-*`);
      expect(keys.filter((k) => /:whv-\d+-\d+$/.test(k)).map((k) => k.replace(/^.*:whv-(\d+)-\d+$/, '$1'))).toEqual([
        String(entregaIds[0]),
      ]);
    } finally {
      await queue.close();
    }
  });
});
