import { useTestRedis } from '@integrador/test-support/test-redis';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { JobLogWriter } from './job-log-writer';
import { queueOptions } from './job-producer';

describe('JobLogWriter on a real Redis', () => {
  const testRedis = useTestRedis({ role: 'worker' });
  let prefix: string;
  let redis: Redis;
  let queue: Queue;
  let other: Queue;

  beforeEach(async () => {
    ({ redis, prefix } = testRedis);
    queue = new Queue('cti', queueOptions(redis, prefix));
    other = new Queue('webhook', queueOptions(redis, prefix));
  });

  afterEach(async () => {
    await queue.close();
    await other.close();
  });

  it('appends each job its own lines, in order, where getJobLogs reads them, and none to a job that is gone', async () => {
    const errors: unknown[] = [];
    const writer = new JobLogWriter(redis, (err) => errors.push(err));
    const [a, b, gone] = await Promise.all([1, 2, 3].map(() => queue.add('system.ping', { sleepMs: 0 })));
    await gone?.remove();
    writer.append(a as never, 'a1');
    writer.append(b as never, 'b1');
    writer.append(a as never, 'a2');
    writer.append(gone as never, 'lost');
    const elsewhere = await other.add('system.ping', { sleepMs: 0 });
    writer.append(elsewhere as never, 'w1');
    writer.append(a as never, 'a3');
    await writer.flush();
    expect((await queue.getJobLogs(a?.id as string)).logs).toEqual(['a1', 'a2', 'a3']);
    expect((await queue.getJobLogs(b?.id as string)).logs).toEqual(['b1']);
    expect((await other.getJobLogs(elsewhere.id as string)).logs).toEqual(['w1']);
    expect(await redis.exists(`${prefix}:cti:${gone?.id}:logs`)).toBe(0);
    expect(errors).toEqual([]);
  });

  it('writes the lines after one Redis refuses, and reports the refused one', async () => {
    const errors: unknown[] = [];
    const writer = new JobLogWriter(redis, (err) => errors.push(err));
    const [a, broken, b] = await Promise.all([1, 2, 3].map(() => queue.add('system.ping', { sleepMs: 0 })));
    // A log key holding another type: its RPUSH fails with WRONGTYPE inside the batch's script.
    await redis.set(`${prefix}:cti:${broken?.id}:logs`, 'not a list');
    writer.append(a as never, 'a1');
    writer.append(broken as never, 'refused');
    writer.append(b as never, 'b1');
    await writer.flush();
    expect((await queue.getJobLogs(a?.id as string)).logs).toEqual(['a1']);
    expect((await queue.getJobLogs(b?.id as string)).logs).toEqual(['b1']);
    expect(errors.map((err) => (err as Error).message)).toEqual(['1 of 3 job log lines could not be written']);
  });
});
