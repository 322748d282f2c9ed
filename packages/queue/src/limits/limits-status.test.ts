import { createLogger } from '@integrador/logging';
import { type LimitedWorker, startLimitedWorker } from '@integrador/test-support/limited-worker';
import { startTestQueues, type TestQueues } from '@integrador/test-support/test-producer';
import type { Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { JobProducer } from '../job-producer';
import { pingProcessor } from '../ping.processor';
import type { QueueHandlers } from '../queue-worker';
import { limitKeys } from './limit-keys';
import { writeLimitsMirror } from './limits-mirror';
import { readDelayedNow } from './limits-status';

const logger = createLogger({ name: 'test', level: 'silent' });
const limited = { empresaId: 5, filialId: null };

describe('readDelayedNow with a real worker', () => {
  let queues: TestQueues;
  let limitedWorker: LimitedWorker;
  let prefix: string;
  let producerRedis: Redis;
  let producer: JobProducer;
  let worker: Worker;

  beforeEach(async () => {
    queues = await startTestQueues({ logger });
    ({ prefix, redis: producerRedis, producer } = queues);
    // Empresa 5 runs one job at a time; empresa 6 has no limit.
    await writeLimitsMirror(producerRedis, prefix, [
      { empresaId: 5, filialId: null, connection: null, ratePerSecond: 0, burst: 1, maxConcurrency: 1 },
    ]);
    limitedWorker = await startLimitedWorker({
      redis: queues.workerRedis,
      prefix,
      queue: 'cti',
      concurrency: 2,
      pollMs: 200,
      logger,
      // Only pings are enqueued here; the cti queue's other job kinds are not under test.
      handlers: { 'system.ping': pingProcessor } as QueueHandlers<'cti'>,
    });
    ({ worker } = limitedWorker);
  });

  afterEach(async () => {
    await limitedWorker.close();
    await queues.close();
  });

  const state = (job: Job) => producer.queue('cti').getJobState(job.id as string);
  /** True once the member's return time is `ms` past (a fetch under way as the worker paused may refuse it once more). */
  const dueFor = async (member: string, ms: number) => {
    const until = await producerRedis.zscore(limitKeys.slotWaits(prefix, 5), member);
    return until !== null && Number(until) < Date.now() - ms;
  };
  const waiting = async () => (await readDelayedNow(producerRedis, prefix, 5)).concurrency;

  it('counts a job refused a concurrency slot until it is admitted, also once due with no worker taking it', async () => {
    const holder = await producer.enqueue('cti', 'system.ping', { tenant: limited, sleepMs: 2500 });
    await waitFor(async () => (await state(holder)) === 'active');
    const waiter = await producer.enqueue('cti', 'system.ping', { tenant: limited, sleepMs: 1500 });
    await waitFor(async () => (await waiting()) === 1);
    // The refusal delays it 100–300 ms. With the worker paused nothing takes it: past its time (and the old 1 s grace)
    // it is due, not taken, and still waiting for its slot.
    await worker.pause(true);
    const member = `cti|${waiter.id}`;
    await waitFor(() => dueFor(member, 1500));
    expect(['delayed', 'waiting', 'prioritized']).toContain(await state(waiter));
    expect(await readDelayedNow(producerRedis, prefix, 5)).toEqual({ rate: 0, concurrency: 1 });
    // Another tenant's readout does not see it.
    expect(await readDelayedNow(producerRedis, prefix, 6)).toEqual({ rate: 0, concurrency: 0 });

    worker.resume();
    // Admitted once the holder's slot is free: it leaves the slot waits as it starts, not when it ends.
    await waitFor(async () => (await producerRedis.zscore(limitKeys.slotWaits(prefix, 5), member)) === null);
    expect(await state(waiter)).toBe('active'); // it sleeps 1.5 s
    expect(await waiting()).toBe(0);
    await waitFor(async () => (await state(waiter)) === 'completed');
    expect(await waiting()).toBe(0);
  }, 20000);

  it('does not count a job removed while it waited for a slot', async () => {
    const holder = await producer.enqueue('cti', 'system.ping', { tenant: limited, sleepMs: 2000 });
    await waitFor(async () => (await state(holder)) === 'active');
    const waiter = await producer.enqueue('cti', 'system.ping', { tenant: limited, sleepMs: 0 });
    await waitFor(async () => (await waiting()) === 1);
    await worker.pause(true);
    await waitFor(() => dueFor(`cti|${waiter.id}`, 100));
    expect(await waiting()).toBe(1);
    expect(await producer.queue('cti').remove(waiter.id as string)).toBe(1);
    expect(await waiting()).toBe(0);
  }, 20000);

  it('does not count a job admitted after its tenant’s limits were removed, while it runs', async () => {
    const holder = await producer.enqueue('cti', 'system.ping', { tenant: limited, sleepMs: 6000 });
    await waitFor(async () => (await state(holder)) === 'active');
    const waiter = await producer.enqueue('cti', 'system.ping', { tenant: limited, sleepMs: 4000 });
    await waitFor(async () => (await waiting()) === 1);
    // No limit left: the worker admits it without the take script (the holder still runs), its slot wait stays behind.
    await writeLimitsMirror(producerRedis, prefix, []);
    await waitFor(async () => (await state(waiter)) === 'active');
    expect(await state(holder)).toBe('active');
    const member = `cti|${waiter.id}`;
    await waitFor(() => dueFor(member, 0));
    expect(await state(waiter)).toBe('active');
    expect(await readDelayedNow(producerRedis, prefix, 5)).toEqual({ rate: 0, concurrency: 0 });
  }, 30000);
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
