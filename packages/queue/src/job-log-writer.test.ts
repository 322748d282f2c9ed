import { openRedisMonitor } from '@integrador/test-support/redis-monitor';
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

  it("writes a job's lines of one batch with one EXISTS and one RPUSH, whatever their number", async () => {
    const errors: unknown[] = [];
    const writer = new JobLogWriter(redis, (err) => errors.push(err));
    const [a, b] = await Promise.all([1, 2].map(() => queue.add('system.ping', { sleepMs: 0 })));
    const monitor = (await openRedisMonitor(redis)).connection;
    const inside: string[][] = [];
    const logKeys = [`${prefix}:cti:${a?.id}:logs`, `${prefix}:cti:${b?.id}:logs`];
    const jobKeys = [`${prefix}:cti:${a?.id}`, `${prefix}:cti:${b?.id}`];
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      const [command, key] = args;
      if (source === 'lua' && key !== undefined && (logKeys.includes(key) || jobKeys.includes(key)))
        inside.push([String(command).toLowerCase(), key, ...args.slice(2)]);
    });
    try {
      // A job of several records logs a line per record: here 50 for one job, 1 for the other, in one batch.
      for (let i = 1; i <= 50; i++) writer.append(a as never, `a${i}`);
      writer.append(b as never, 'b1');
      await writer.flush();
      const marker = `${prefix}:marker-${Math.random()}`;
      let seen = false;
      monitor.on('monitor', (_time: string, args: string[]) => {
        if (args.includes(marker)) seen = true;
      });
      await redis.exists(marker);
      for (const deadline = Date.now() + 10000; !seen; await new Promise((resolve) => setTimeout(resolve, 10)))
        if (Date.now() > deadline) throw new Error('MONITOR never showed the marker');
    } finally {
      monitor.disconnect();
    }
    const lines = Array.from({ length: 50 }, (_, i) => `a${i + 1}`);
    expect(inside).toEqual([
      ['exists', jobKeys[0]],
      ['rpush', logKeys[0], ...lines],
      ['exists', jobKeys[1]],
      ['rpush', logKeys[1], 'b1'],
    ]);
    expect((await queue.getJobLogs(a?.id as string)).logs).toEqual(lines);
    expect((await queue.getJobLogs(b?.id as string)).logs).toEqual(['b1']);
    expect(errors).toEqual([]);
  });
});
