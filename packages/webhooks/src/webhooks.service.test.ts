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

  /**
   * A producer whose enqueues go through `queue`, with `before` run before each one and `between` after each one that
   * succeeded; its reads (a job's removal or promotion) go through `queue` too.
   */
  const producerWith = (
    queue: TestProducer,
    between: (done: number) => Promise<void> | void,
    before: () => Promise<void> | void = () => undefined,
  ) => {
    let done = 0;
    return {
      enqueue: async (...args: Parameters<JobProducer['enqueue']>) => {
        await before();
        const job = await queue.producer.enqueue(...args);
        done += 1;
        await between(done);
        return job;
      },
      read: (...args: Parameters<JobProducer['read']>) => queue.producer.read(...args),
    } as unknown as JobProducer;
  };

  /** The CRM's deliveries table out of the way (the database failing on it) until `back` is called. */
  const entregasGone = async () => {
    await database.db.schema.alterTable('webhook_entregas').renameTo('webhook_entregas_fora').execute();
    return { back: () => database.db.schema.alterTable('webhook_entregas_fora').renameTo('webhook_entregas').execute() };
  };

  /** A job ready to run now (a tenant's fair-share priority puts it in BullMQ's prioritized set). */
  const READY = expect.stringMatching(/^(waiting|prioritized)$/);

  /** The ids of the recover jobs of the test's queue for a delivery. */
  const recoverJobIds = async (queue: TestProducer, entregaId: number) => {
    const keys = await queue.redis.keys(`${queue.prefix}:webhook:whv-${entregaId}-*`);
    return keys.filter((k) => /:whv-\d+-[0-9a-f]+$/.test(k)).map((k) => k.replace(/^.*:/, ''));
  };

  /** The recover ids the recover jobs of the test's queue for a delivery carry. */
  const recoverIds = async (queue: TestProducer, entregaId: number) => {
    const jobs = await Promise.all((await recoverJobIds(queue, entregaId)).map((id) => queue.producer.queue('webhook').getJob(id)));
    return jobs.map((job) => (job?.data as { recuperacao?: string } | undefined)?.recuperacao);
  };

  /** The states of the recover jobs of the test's queue for a delivery. */
  const recoverJobs = async (queue: TestProducer, entregaId: number) =>
    Promise.all((await recoverJobIds(queue, entregaId)).map((id) => queue.producer.queue('webhook').getJobState(id)));

  /**
   * A new empresa (the caller) whose endpoint has `count` deliveries, all failed (HTTP 500) or all cancelled by the
   * endpoint's disabling: what a recover sends again.
   */
  const recoverable = async (nome: string, count: number, status: 'falhou' | 'cancelada') => {
    const { empresaId, endpointId, entregaIds } = await endpointWithDeliveries(database.db, {
      nome: `${nome}${dialect}`,
      url: 'https://example.com/hook',
      segredo: 'plain:whsec_x',
      bodies: Array.from({ length: count }, () => '{}'),
    });
    await database.db
      .updateTable('webhook_entregas')
      .set(status === 'falhou' ? { status, ultimo_erro: 'HTTP 500' } : { status, ultimo_erro: 'ENDPOINT_DISABLED' })
      .where('id', 'in', entregaIds)
      .execute();
    return { caller: { empresaId, filialId: null }, endpointId, entregaIds };
  };

  /** Runs `use` with a producer on the machine's Redis (a queue of the test's own), closed after. */
  const withQueue = async (use: (queue: TestProducer) => Promise<void>) => {
    const queue = await startTestProducer();
    try {
      await use(queue);
    } finally {
      await queue.close();
    }
  };

  /** A producer whose Redis is reached through a relay the test closes (the queue gone), adds timing out at 1 s. */
  const behindRelay = async () => {
    const relay = await startTcpRelay(TEST_REDIS_URL, { defaultPort: 6379 });
    return { relay, broken: await startTestProducer({ redisUrl: relay.url, enqueueTimeoutMs: 1000 }) };
  };

  /** What a recover that met the refused queue rejects with. */
  const QUEUE_REFUSED = { name: expect.stringMatching(/QueueUnavailableError|EnqueueOutcomeUnknownError/) };

  it('the queue lost after the first job: the second delivery is put back cancelled with its reason, and the next recover sends it', async () => {
    const { caller, endpointId, entregaIds } = await recoverable('Perdida', 2, 'cancelada');
    // Redis through a relay that goes away after the first job is queued: the second add is refused.
    const { relay, broken } = await behindRelay();
    try {
      const failing = producerWith(broken, () => relay.close());
      await expect(recoverDeliveries(database.db, failing, caller, endpointId, new Date(0))).rejects.toMatchObject(QUEUE_REFUSED);
      // Before the fix the second row stayed pending with its reason erased, and no recover ever took it again.
      expect((await rows(entregaIds)).map((r) => [r.status, r.ultimo_erro])).toEqual([
        ['pendente', null],
        ['cancelada', 'ENDPOINT_DISABLED'],
      ]);
    } finally {
      await broken.close().catch(() => undefined);
      await relay.close();
    }
    await withQueue(async (queue) => {
      expect(await recoverDeliveries(database.db, queue.producer, caller, endpointId, new Date(0))).toEqual({
        recovered: 1,
        falhou: 0,
        cancelada: 1,
      });
      expect((await rows(entregaIds)).map((r) => r.status)).toEqual(['pendente', 'pendente']);
    });
  });

  it('a delivery a resend delivered while the recover ran is neither restarted nor queued again', async () => {
    const { caller, endpointId, entregaIds } = await recoverable('Entregue', 2, 'falhou');
    await withQueue(async (queue) => {
      // While the first job is queued, a resend's job delivers the second delivery.
      const resent = producerWith(queue, async (done) => {
        if (done === 1)
          await database.db
            .updateTable('webhook_entregas')
            .set({ status: 'entregue', ultimo_erro: null })
            .where('id', '=', entregaIds[1] as number)
            .execute();
      });
      expect(await recoverDeliveries(database.db, resent, caller, endpointId, new Date(0))).toEqual({
        recovered: 1,
        falhou: 1,
        cancelada: 0,
      });
      expect((await rows(entregaIds)).map((r) => r.status)).toEqual(['pendente', 'entregue']);
      // The second delivery's held job was removed; the first one's was promoted to run now.
      expect(await recoverJobs(queue, entregaIds[0] as number)).toEqual([READY]);
      expect(await recoverJobs(queue, entregaIds[1] as number)).toEqual([]);
    });
  });

  it('the queue refuses and the database fails right after: the delivery is not left pending without a job', async () => {
    const { caller, endpointId, entregaIds } = await recoverable('SemFila', 1, 'falhou');
    // Redis through a relay already gone (the add is refused); the deliveries table goes as the add is tried.
    const { relay, broken } = await behindRelay();
    await relay.close();
    let gone: { back(): Promise<unknown> } | undefined;
    try {
      const failing = producerWith(
        broken,
        () => undefined,
        async () => {
          gone ??= await entregasGone();
        },
      );
      await expect(recoverDeliveries(database.db, failing, caller, endpointId, new Date(0))).rejects.toMatchObject(QUEUE_REFUSED);
    } finally {
      await gone?.back();
      await broken.close().catch(() => undefined);
    }
    // Before the fix the row was restarted first, and putting it back failed with the database: pending, no job.
    expect((await rows(entregaIds)).map((r) => [r.status, r.ultimo_erro])).toEqual([['falhou', 'HTTP 500']]);
    await withQueue(async (queue) => {
      expect(await recoverDeliveries(database.db, queue.producer, caller, endpointId, new Date(0))).toEqual({
        recovered: 1,
        falhou: 1,
        cancelada: 0,
      });
      expect(await recoverJobs(queue, entregaIds[0] as number)).toEqual([READY]);
    });
  });

  it('the database fails on the restart: the job stays held, and the row stays recoverable', async () => {
    const { caller, endpointId, entregaIds } = await recoverable('SemBanco', 2, 'falhou');
    const queue = await startTestProducer();
    let gone: { back(): Promise<unknown> } | undefined;
    try {
      const failing = producerWith(queue, async () => {
        gone ??= await entregasGone();
      });
      // The database's error, naming the table (a raw SqliteError on SQLite: toThrow() knows it as an Error in any test
      // file thanks to Jest's setup, packages/test-support/src/jest-sqlite-realm.ts).
      await expect(recoverDeliveries(database.db, failing, caller, endpointId, new Date(0))).rejects.toThrow('webhook_entregas');
      await gone?.back();
      gone = undefined;
      // Not restarted: still failed, for the next recover. Its job is held (not run now): when it runs, it finds the
      // row not pending and does nothing. The second row was not reached: no job.
      expect((await rows(entregaIds)).map((r) => r.status)).toEqual(['falhou', 'falhou']);
      expect(await recoverJobs(queue, entregaIds[0] as number)).toEqual(['delayed']);
      expect(await recoverJobs(queue, entregaIds[1] as number)).toEqual([]);
      const [held] = await recoverIds(queue, entregaIds[0] as number);

      // The operator runs the recover again: the row now names the new recover, which the held job does not carry, so
      // when its hold ends it does nothing (deliverOnce: other_recover); the new recover's job owns the retry chain.
      await recoverDeliveries(database.db, queue.producer, caller, endpointId, new Date(0));
      const owner = await database.db
        .selectFrom('webhook_entregas')
        .select(['status', 'recuperacao'])
        .where('id', '=', entregaIds[0] as number)
        .executeTakeFirst();
      const ids = await recoverIds(queue, entregaIds[0] as number);
      expect(owner?.status).toBe('pendente');
      expect(ids).toHaveLength(2);
      expect(held).toMatch(/^[0-9a-f]{32}$/);
      expect(owner?.recuperacao).not.toBe(held);
      expect(ids).toContain(owner?.recuperacao);
    } finally {
      await gone?.back();
      await queue.close();
    }
  });
});
