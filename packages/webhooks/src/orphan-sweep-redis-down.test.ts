import { Writable } from 'node:stream';
import { createLogger } from '@integrador/logging';
import { QueueUnavailableError } from '@integrador/queue';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { type PrivateRedis, startPrivateRedis } from '@integrador/test-support/redis-server';
import { startTestProducer, type TestProducer } from '@integrador/test-support/test-producer';
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import { requeueOrphanedDeliveries, startOrphanSweep } from './orphan-sweep';
import { endpointWithDeliveries } from './test/deliveries';

// The orphan sweep on a Redis it cannot use (frozen: the connection stays "ready" and nothing answers; stopped): that
// is no row's problem. The sweep stops at the first such error, with it, instead of waiting out the deadline on every
// row, logging each and answering "nothing to requeue"; and a process never runs two sweeps at once.
describe('the orphan sweep when Redis is frozen or down', () => {
  let database: TestDatabase;
  let server: PrivateRedis;
  let queues: TestProducer;
  const lines: string[] = [];
  const logger = createLogger({
    name: 'test',
    level: 'info',
    destination: new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  });
  const later = () => new Date(Date.now() + 60 * 60_000);
  let entregaIds: number[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    server = await startPrivateRedis();
    // The producer's deadline on every Redis call (REDIS_COMMAND_TIMEOUT_MS in the apps).
    queues = await startTestProducer({ redisUrl: server.url, enqueueTimeoutMs: 300 });
    const bodies = Array.from({ length: 20 }, (_, i) => `{"i":${i}}`);
    ({ entregaIds } = await endpointWithDeliveries(database.db, {
      nome: 'congelado',
      url: 'https://erp.example/hook',
      segredo: 'plain:whsec_f',
      bodies,
    }));
    // Written long ago, as a restore leaves them (the worker's sweep judges rows older than ORPHAN_MIN_AGE_MS).
    await database.db.updateTable('webhook_entregas').set({ atualizado_em: '2020-01-01 00:00:00' }).execute();
  });
  afterAll(async () => {
    server.signal('SIGCONT');
    await queues.close();
    await server.stop();
    await database.drop();
  });
  beforeEach(() => {
    lines.length = 0;
  });

  it('a frozen Redis stops the sweep at the first row with its error, and the next sweep judges every row', async () => {
    server.signal('SIGSTOP');
    try {
      const swept = requeueOrphanedDeliveries(database.db, queues.producer, { now: later(), logger });
      await expect(swept).rejects.toBeInstanceOf(QueueUnavailableError);
      // No row was "skipped": none was judged.
      expect(lines.filter((line) => line.includes('skipped a delivery'))).toEqual([]);
    } finally {
      server.signal('SIGCONT');
    }
    const again = await requeueOrphanedDeliveries(database.db, queues.producer, { now: later(), logger });
    expect(again).toEqual({ checked: 20, requeued: entregaIds, skipped: [], resumeAfter: 0 });
  });

  it('runs one sweep at a time in a process: ticks while a sweep waits on a frozen Redis start none', async () => {
    // Each sweep reads its batch of pending rows first: the reads counted are the sweeps started.
    let batchReads = 0;
    const counting: KyselyPlugin = {
      transformQuery({ node }: PluginTransformQueryArgs): RootOperationNode {
        if (node.kind === 'SelectQueryNode') batchReads += 1;
        return node;
      },
      transformResult({ result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
        return Promise.resolve(result);
      },
    };
    // A deadline long enough for many ticks to come while the first sweep waits.
    const slow = await startTestProducer({ redisUrl: server.url, enqueueTimeoutMs: 1500 });
    server.signal('SIGSTOP');
    try {
      const sweep = startOrphanSweep(database.db.withPlugin(counting), slow.producer, logger, { firstMs: 0, intervalMs: 20 });
      await new Promise((resolve) => setTimeout(resolve, 800));
      expect(batchReads).toBe(1);
      await sweep.stop();
    } finally {
      server.signal('SIGCONT');
      await slow.close();
    }
    // The one sweep failed once, on Redis, and logged no row.
    expect(lines.filter((line) => line.includes('webhook orphan sweep failed'))).toHaveLength(1);
    expect(lines.filter((line) => line.includes('skipped a delivery'))).toEqual([]);
  });

  it('a stopped Redis stops the sweep at once with QueueUnavailableError, logging no row', async () => {
    await database.db.updateTable('webhook_entregas').set({ status: 'pendente' }).execute();
    await server.stop();
    for (let i = 0; i < 100 && queues.redis.status === 'ready'; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    await expect(requeueOrphanedDeliveries(database.db, queues.producer, { now: later(), logger })).rejects.toBeInstanceOf(
      QueueUnavailableError,
    );
    expect(lines.filter((line) => line.includes('skipped a delivery'))).toEqual([]);
  });
});
