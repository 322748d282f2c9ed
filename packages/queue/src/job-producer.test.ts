import { createLogger } from '@integrador/logging';
import { useTestRedis } from '@integrador/test-support/test-redis';
import { JobProducer } from './job-producer';

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

  it('still gives the jobs of a fair queue their tenant priority', async () => {
    const job = await producer.enqueue('set', 'system.ping', { tenant, sleepMs: 0 });
    expect(job.opts.priority).toBeGreaterThanOrEqual(1);
    expect(await producer.queue('set').getJobState(String(job.id))).toBe('prioritized');
  });
});
