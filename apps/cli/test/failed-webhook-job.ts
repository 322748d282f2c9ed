import { createRedis, queueOptions } from '@integrador/queue';
import { TEST_REDIS_URL } from '@integrador/test-support/redis-server';
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';

/**
 * Runs `check` with the delivery's job (`whd-<entrega>`) failed for good, as its worker left it (a worker failing it at
 * once with `error`, then closed); the job is removed after.
 */
export async function withFailedDeliveryJob(
  redis: Redis,
  prefix: string,
  delivery: { empresaId: number; entregaId: number; error?: string },
  check: (jobId: string, queue: Queue) => Promise<void>,
): Promise<void> {
  const workerRedis = createRedis(TEST_REDIS_URL, { role: 'worker' });
  const queue = new Queue('webhook', queueOptions(redis, prefix));
  const jobId = `whd-${delivery.entregaId}`;
  try {
    await queue.add(
      'webhook.deliver' as never,
      { tenant: { empresaId: delivery.empresaId, filialId: null }, entregaId: delivery.entregaId } as never,
      { jobId, attempts: 1 } as never,
    );
    const worker = new Worker(
      'webhook',
      async () => {
        throw new Error(delivery.error ?? 'HTTP 500');
      },
      { connection: workerRedis, prefix },
    );
    for (let i = 0; i < 200 && (await queue.getJobState(jobId)) !== 'failed'; i++) await new Promise((r) => setTimeout(r, 25));
    await worker.close();
    await check(jobId, queue);
  } finally {
    await queue.remove(jobId);
    await queue.close();
    workerRedis.disconnect();
  }
}
