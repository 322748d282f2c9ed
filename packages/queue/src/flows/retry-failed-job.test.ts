import net from 'node:net';
import { TEST_REDIS_URL } from '@integrador/test-support/redis-server';
import { useTestRedis } from '@integrador/test-support/test-redis';
import { Queue, Worker } from 'bullmq';
import { QueueUnavailableError } from '../errors';
import { queueOptions } from '../job-producer';
import { createRedis } from '../redis';
import { retryFailedJob } from './retry-failed-job';

/**
 * A TCP link to the machine's Redis that can hold the first retry command (BullMQ's reprocess script, recognised by
 * its `failedReason` argument) for a while: a slow link, as a loaded Redis or network is. Order is kept, so what the
 * client sends after it waits too.
 */
async function slowLink(target: URL) {
  let holdMs = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 6379), target.hostname);
    sockets.add(client).add(upstream);
    upstream.pipe(client);
    let chain = Promise.resolve();
    client.on('data', (chunk: Buffer) => {
      chain = chain.then(async () => {
        if (holdMs > 0 && chunk.includes('failedReason')) {
          const wait = holdMs;
          holdMs = 0;
          await new Promise((r) => setTimeout(r, wait));
        }
        if (!upstream.destroyed) upstream.write(chunk);
      });
    });
    for (const socket of [client, upstream]) {
      socket.on('error', () => undefined);
      socket.on('close', () => {
        client.destroy();
        upstream.destroy();
      });
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `redis://127.0.0.1:${port}`,
    holdNextRetry: (ms: number) => {
      holdMs = ms;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe('retryFailedJob on a real Redis', () => {
  const testRedis = useTestRedis({ role: 'worker' });

  it('a retry past its deadline is this request failing (QueueUnavailableError), never "retried elsewhere"', async () => {
    const { redis, prefix } = testRedis;
    const link = await slowLink(new URL(TEST_REDIS_URL));
    const linked = createRedis(link.url, { role: 'worker' });
    const queue = new Queue('set', queueOptions(linked, prefix));
    const workerConnection = createRedis(TEST_REDIS_URL, { role: 'worker' });
    try {
      await queue.add('integration.run' as never, {} as never, { jobId: 'late-retry', attempts: 1 } as never);
      const worker = new Worker(
        'set',
        async () => {
          throw new Error('recusado');
        },
        { connection: workerConnection, prefix },
      );
      for (let i = 0; i < 200 && (await queue.getJob('late-retry'))?.finishedOn === undefined; i++)
        await new Promise((r) => setTimeout(r, 25));
      await worker.close();
      const job = await queue.getJob('late-retry');
      expect(await job?.getState()).toBe('failed');
      // The retry reaches Redis after its 400 ms deadline but before the state read that follows it would time out:
      // Redis then says "waiting" — this request's own retry landing late, not another request's.
      link.holdNextRetry(600);
      await expect(retryFailedJob(job as never, redis, prefix, 400)).rejects.toBeInstanceOf(QueueUnavailableError);
      for (let i = 0; i < 100 && (await job?.getState()) === 'failed'; i++) await new Promise((r) => setTimeout(r, 25));
      expect(await job?.getState()).toBe('waiting');
    } finally {
      await queue.close();
      linked.disconnect();
      workerConnection.disconnect();
      await link.close();
    }
  });
});

describe('retryFailedJob and a kind without operator retries', () => {
  const testRedis = useTestRedis({ role: 'worker' });

  it('a failed click-to-call is not retried (its click has expired: trial CTI 3, finding 4); a failed call event is', async () => {
    const { redis, prefix } = testRedis;
    const queue = new Queue('cti', queueOptions(redis, prefix));
    const workerConnection = createRedis(TEST_REDIS_URL, { role: 'worker' });
    try {
      await queue.add('cti.click-to-call' as never, {} as never, { jobId: 'c2c-1-clique', attempts: 1 } as never);
      await queue.add('cti.call-event' as never, {} as never, { jobId: 'evento-1', attempts: 1 } as never);
      const worker = new Worker(
        'cti',
        async () => {
          throw new Error('the PBX answered 400');
        },
        { connection: workerConnection, prefix },
      );
      const failed = async (id: string) => (await queue.getJob(id))?.finishedOn !== undefined;
      for (let i = 0; i < 200 && !((await failed('c2c-1-clique')) && (await failed('evento-1'))); i++)
        await new Promise((r) => setTimeout(r, 25));
      await worker.close();
      const click = await queue.getJob('c2c-1-clique');
      expect(await retryFailedJob(click as never, redis, prefix)).toEqual({
        retried: false,
        state: 'failed',
        notRetryable: 'click-to-call',
      });
      expect(await click?.getState()).toBe('failed');
      const event = await queue.getJob('evento-1');
      expect(await retryFailedJob(event as never, redis, prefix)).toEqual({ retried: true });
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
      workerConnection.disconnect();
    }
  });
});
