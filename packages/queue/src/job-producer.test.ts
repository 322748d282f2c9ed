import { createLogger } from '@integrador/logging';
import { deletePrefix, TEST_REDIS_URL, testPrefix } from '@integrador/test-support/redis-server';
import { startTcpRelay, type TcpRelay } from '@integrador/test-support/tcp-relay';
import { useTestRedis } from '@integrador/test-support/test-redis';
import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { JobProducer } from './job-producer';
import { createRedis, waitUntilReady } from './redis';

// Fairness orders a tenant's counted jobs; a job with its own jobId is never counted. Every cti job has one (a PBX
// event, a click-to-call), so on that queue a priority would be 1 for all: the job goes to the plain wait list
// instead, and what the jobId is for (an add of the same id adds nothing) still holds.
describe('JobProducer on the cti queue', () => {
  const testRedis = useTestRedis();
  let producer: JobProducer;
  const tenant = { empresaId: 7, filialId: null };
  const receivedAt = new Date().toISOString();

  beforeEach(() => {
    const { redis, prefix } = testRedis;
    producer = new JobProducer({ connection: redis, prefix, timeoutMs: 5000, logger: createLogger({ name: 'test', level: 'silent' }) });
  });

  afterEach(async () => {
    await producer.close();
  });

  it('adds a click-to-call to the wait list with no priority, once per jobId', async () => {
    const data = { tenant, callId: 'call-0001', ramal: '201', numero: '11 5555-0101', requestedAt: receivedAt };
    const first = await producer.enqueue('cti', 'cti.click-to-call', data, { jobId: 'c2c-7-call-0001' });
    const again = await producer.enqueue('cti', 'cti.click-to-call', data, { jobId: 'c2c-7-call-0001' });
    expect(again.id).toBe(first.id);
    expect(first.opts.priority ?? 0).toBe(0);
    expect(await producer.queue('cti').getJobState('c2c-7-call-0001')).toBe('waiting');
    expect(await producer.queue('cti').getJobCounts('waiting', 'prioritized')).toEqual({ waiting: 1, prioritized: 0 });
  });

  it('keeps the deduplication of a call event repeated within its window', async () => {
    const event = (eventId: string) => ({ tenant, eventId, kind: 'inicio' as const, ramal: '201', telefone: '1155550101', receivedAt });
    const deduplication = { id: '7:inicio:201:1155550101', ttl: 60_000 };
    const first = await producer.enqueue('cti', 'cti.call-event', event('evt-00001'), { jobId: 'cti-7-evt-00001', deduplication });
    const repeat = await producer.enqueue('cti', 'cti.call-event', event('evt-00002'), { jobId: 'cti-7-evt-00002', deduplication });
    expect(repeat.id).toBe('cti-7-evt-00001');
    expect(first.opts.priority ?? 0).toBe(0);
    expect(await producer.queue('cti').getJobCounts('waiting', 'prioritized')).toEqual({ waiting: 1, prioritized: 0 });
  });

  it('tells when a delayed job runs next, and nothing for a job that is not delayed', async () => {
    const before = Date.now();
    const delayed = await producer.enqueue('set', 'system.ping', { tenant, sleepMs: 0 }, { delay: 60_000 });
    const after = Date.now();
    const at = (await producer.nextRunAt('set', String(delayed.id)))?.getTime();
    expect(at).toBeGreaterThanOrEqual(before + 60_000);
    expect(at).toBeLessThanOrEqual(after + 60_000);
    const waiting = await producer.enqueue('set', 'system.ping', { tenant, sleepMs: 0 });
    expect(await producer.nextRunAt('set', String(waiting.id))).toBeUndefined();
  });

  it('still gives the jobs of a fair queue their tenant priority', async () => {
    const job = await producer.enqueue('set', 'system.ping', { tenant, sleepMs: 0 });
    expect(job.opts.priority).toBeGreaterThanOrEqual(1);
    expect(await producer.queue('set').getJobState(String(job.id))).toBe('prioritized');
  });
});

// run --wait printed "em execução (tentativa 2)" for a job done on its first attempt: its state was read while it ran,
// the job itself after it finished. A relay holding Redis's answers makes that window wide enough to finish it in.
describe('JobProducer.getJobWithState of a job that finishes between its two reads', () => {
  const prefix = testPrefix();
  let relay: TcpRelay;
  let producerRedis: Redis;
  let workerRedis: Redis;
  let producer: JobProducer;
  let worker: Worker;

  beforeAll(async () => {
    relay = await startTcpRelay(TEST_REDIS_URL, { delayMs: 300, defaultPort: 6379 });
    producerRedis = createRedis(relay.url, { role: 'producer', commandTimeoutMs: 5000 });
    workerRedis = createRedis(TEST_REDIS_URL, { role: 'worker' });
    await Promise.all([waitUntilReady(producerRedis), waitUntilReady(workerRedis)]);
    producer = new JobProducer({
      connection: producerRedis,
      prefix,
      timeoutMs: 5000,
      logger: createLogger({ name: 'test', level: 'silent' }),
    });
    worker = new Worker(producer.queue('set').name, null, { connection: workerRedis, prefix });
  });

  afterAll(async () => {
    await worker.close();
    await producer.close();
    producerRedis.disconnect();
    workerRedis.disconnect();
    await relay.close();
    await deletePrefix(TEST_REDIS_URL, prefix);
  });

  it('shows it completed, not active', async () => {
    const added = await producer.enqueue('set', 'system.ping', { tenant: { empresaId: 7, filialId: null }, sleepMs: 0 });
    const id = String(added.id);
    await producer.getJobWithState('set', id); // loads the state script, so the next state read is one round trip
    const token = 'test-token';
    const job = await worker.getNextJob(token);
    expect(job?.id).toBe(id);
    const sent = relay.clientChunks();
    const reading = producer.getJobWithState('set', id);
    // The state read has reached Redis (its answer, "active", is held by the relay): the job finishes now.
    while (relay.clientChunks() === sent) await new Promise((resolve) => setTimeout(resolve, 5));
    await job?.moveToCompleted('pong', token, false);
    const found = await reading;
    expect(found?.job.finishedOn).toBeDefined();
    expect(found?.state).toBe('completed');
  });
});
