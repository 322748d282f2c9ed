import type { IntegrationRunPayload } from '@integrador/jobs';
import { createLogger } from '@integrador/logging';
import { startTestQueues, type TestQueues } from '@integrador/test-support/test-producer';
import { FlowProducer, Queue, UnrecoverableError, type Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { JobProducer } from '../job-producer';
import { startQueueWorker } from '../queue-worker';
import { countBlockedDependents, readBlocked } from './blocked-index';
import { findBlockingFailure } from './blocked-state';
import { mergeFlowValues } from './flow-values';
import { startWedgeGuard } from './wedge-guard';

const logger = createLogger({ name: 'test', level: 'silent' });
const tenant = { empresaId: 4, filialId: null };

async function waitFor(check: () => Promise<boolean>, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('dependency flows on this BullMQ version (real Redis)', () => {
  let queues: TestQueues;
  let prefix: string;
  let producerRedis: Redis;
  let workerRedis: Redis;
  let producer: JobProducer;
  let worker: Worker | undefined;

  beforeEach(async () => {
    queues = await startTestQueues({ logger, enqueueTimeoutMs: 5000 });
    ({ prefix, redis: producerRedis, workerRedis, producer } = queues);
  });

  afterEach(async () => {
    await worker?.close();
    worker = undefined;
    await queues.close();
  });

  describe('BullMQ itself, without our layer', () => {
    it('keeps a parent waiting on a failed child; retrying the child resumes it; removing the child releases it', async () => {
      const flows = new FlowProducer({ connection: producerRedis, prefix });
      const queue = new Queue('raw', { connection: producerRedis, prefix });
      let failChild = true;
      const ran: string[] = [];
      const { Worker: BullWorker } = await import('bullmq');
      const raw = new BullWorker(
        'raw',
        async (job) => {
          ran.push(job.name);
          if (job.name === 'child' && failChild) throw new UnrecoverableError('child says no');
          return { children: Object.keys(await job.getChildrenValues()).length };
        },
        { connection: workerRedis, prefix },
      );
      try {
        const flow = await flows.add({ name: 'parent', queueName: 'raw', children: [{ name: 'child', queueName: 'raw' }] });
        const childId = flow.children?.[0]?.job.id as string;
        await waitFor(async () => (await queue.getJobState(childId)) === 'failed');
        await new Promise((r) => setTimeout(r, 300));
        expect(await queue.getJobState(flow.job.id as string)).toBe('waiting-children');
        failChild = false;
        await (await queue.getJob(childId))?.retry('failed', { resetAttemptsMade: true });
        await waitFor(async () => (await queue.getJobState(flow.job.id as string)) === 'completed');
        expect((await queue.getJob(flow.job.id as string))?.returnvalue).toEqual({ children: 1 });
        expect(ran).toEqual(['child', 'child', 'parent']);

        // The hazard the flow gate covers: a removed failed child (retention, or by hand) lets its parent run alone.
        failChild = true;
        const second = await flows.add({ name: 'parent', queueName: 'raw', children: [{ name: 'child', queueName: 'raw' }] });
        const secondChild = second.children?.[0]?.job.id as string;
        await waitFor(async () => (await queue.getJobState(secondChild)) === 'failed');
        await (await queue.getJob(secondChild))?.remove();
        await waitFor(async () => (await queue.getJobState(second.job.id as string)) === 'completed');
        expect((await queue.getJob(second.job.id as string))?.returnvalue).toEqual({ children: 0 });
      } finally {
        await raw.close();
        await queue.close();
        await flows.close();
      }
    });
  });

  describe('with the flow layer', () => {
    const failing = new Set<number>();
    const ran: number[] = [];

    function start() {
      worker = startQueueWorker({
        queue: 'set',
        connection: workerRedis,
        prefix,
        concurrency: 3,
        logger,
        handlers: {
          'system.ping': async () => ({}),
          'integration.run': async (payload: IntegrationRunPayload, ctx) => {
            ran.push(payload.integracaoId);
            if (failing.has(payload.integracaoId)) throw new UnrecoverableError(`receptor refused #${payload.integracaoId}`);
            const seen = ctx.upstream?.values ?? {};
            return { seen, flow: mergeFlowValues(ctx.upstream, payload.integracaoId, { values: { last: payload.integracaoId } }) };
          },
        },
      });
    }

    const steps = (ids: number[]) =>
      ids.map((integracaoId) => ({
        queue: 'set' as const,
        integracaoId,
        data: { tenant, integracaoId, parametros: {}, trigger: 'api' as const },
      }));

    beforeEach(() => {
      failing.clear();
      ran.length = 0;
    });

    const stateOf = (id: string) => producer.queue('set').getJobState(id);

    it('runs the chain first to last and hands each step the values of the steps before it', async () => {
      start();
      const nodes = await producer.enqueueFlow('integration.run', steps([1, 2, 3]));
      const root = nodes[2]?.jobId as string;
      await waitFor(async () => (await stateOf(root)) === 'completed');
      expect(ran).toEqual([1, 2, 3]);
      const result = (await producer.getJob('set', root))?.returnvalue;
      expect(result.seen).toEqual({ last: 2 });
      expect(Object.keys(result.flow.integracoes)).toEqual(['1', '2', '3']);
    });

    it('blocks the dependents of a failed step with its reason; a retry resumes the chain', async () => {
      start();
      failing.add(1);
      const nodes = await producer.enqueueFlow('integration.run', steps([1, 2, 3]));
      const [first, , root] = nodes.map((n) => n.jobId) as [string, string, string];
      await waitFor(async () => (await readBlocked(workerRedis, prefix)).length === 1);
      const [entry] = await readBlocked(workerRedis, prefix);
      expect(entry).toMatchObject({ jobId: first, integracaoId: 1, empresaId: 4, reason: 'receptor refused #1' });
      expect(entry?.dependents.map((d) => d.integracaoId)).toEqual([2, 3]);
      expect(countBlockedDependents(await readBlocked(workerRedis, prefix))).toEqual(new Map([[4, 2]]));
      const rootJob = await producer.getJob('set', root);
      expect(await stateOf(root)).toBe('waiting-children');
      const blocking = await findBlockingFailure(rootJob as never, prefix, (q, id) => producer.getJob(q as 'set', id));
      expect(blocking).toMatchObject({ jobId: first, integracaoId: 1, failedReason: 'receptor refused #1' });

      failing.clear();
      await (await producer.getJob('set', first))?.retry('failed', { resetAttemptsMade: true });
      await waitFor(async () => (await stateOf(root)) === 'completed');
      expect(ran).toEqual([1, 1, 2, 3]);
      await waitFor(async () => (await readBlocked(workerRedis, prefix)).length === 0);
    });

    it('the wedge guard ends a flow blocked too long: every dependent fails with the reason', async () => {
      start();
      failing.add(1);
      const nodes = await producer.enqueueFlow('integration.run', steps([1, 2, 3]));
      const [, second, root] = nodes.map((n) => n.jobId) as [string, string, string];
      await waitFor(async () => (await readBlocked(workerRedis, prefix)).length === 1);
      const guard = startWedgeGuard({ redis: workerRedis, prefix, timeoutMs: 0, intervalMs: 60000, logger });
      try {
        expect(await guard.sweep()).toBe(1);
        await waitFor(async () => (await stateOf(root)) === 'failed');
        expect(await stateOf(second)).toBe('failed');
        const failed = await producer.getJob('set', root);
        expect(failed?.failedReason).toContain('receptor refused #1');
        expect(failed?.failedReason).toContain('gave up waiting');
        expect(failed?.attemptsMade).toBe(1);
        expect(ran).toEqual([1]);
        await new Promise((r) => setTimeout(r, 200));
        await guard.sweep();
        expect(countBlockedDependents(await readBlocked(workerRedis, prefix))).toEqual(new Map());
      } finally {
        await guard.stop();
      }
    });

    it('a failed step removed before it is retried fails its dependents instead of letting them run without it', async () => {
      start();
      failing.add(1);
      const nodes = await producer.enqueueFlow('integration.run', steps([1, 2]));
      const [first, root] = nodes.map((n) => n.jobId) as [string, string];
      await waitFor(async () => (await stateOf(first)) === 'failed');
      await (await producer.getJob('set', first))?.remove();
      await waitFor(async () => (await stateOf(root)) === 'failed');
      expect((await producer.getJob('set', root))?.failedReason).toMatch(/blocked by integracao #1 .*receptor refused #1/);
      expect(ran).toEqual([1]);
    });
  });
});
