import type { IntegrationRunPayload } from '@integrador/jobs';
import { createLogger } from '@integrador/logging';
import { startTestQueues, type TestQueues } from '@integrador/test-support/test-producer';
import type { Worker } from 'bullmq';
import { enqueueGetRun, getRunDeduplicationId, oneRunPerIntegration } from './integration-runs';
import type { JobProducer } from './job-producer';
import { startQueueWorker } from './queue-worker';

const logger = createLogger({ name: 'test', level: 'silent' });
const tenant = { empresaId: 7, filialId: null };
const run = (trigger: IntegrationRunPayload['trigger'], integracaoId = 3): IntegrationRunPayload => ({
  tenant,
  integracaoId,
  parametros: {},
  trigger,
});

/** A handler that holds each run until the test releases it, so runs overlap on purpose. */
function gate() {
  const started: string[] = [];
  let open: () => void = () => undefined;
  let opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  let finished = false;
  const gates = {
    started,
    /** Lets every run through from now on (so the worker can close). */
    finish() {
      finished = true;
      open();
    },
    release() {
      open();
      opened = new Promise<void>((resolve) => {
        open = resolve;
      });
    },
    handler: async (_payload: IntegrationRunPayload, ctx: { job: { id?: string } }) => {
      started.push(String(ctx.job.id));
      if (!finished) await opened;
      return { ran: String(ctx.job.id) };
    },
  };
  current = gates;
  return gates;
}

let current: { finish(): void } | undefined;

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('one GET run per integration (real Redis, real BullMQ worker)', () => {
  let queues: TestQueues;
  let prefix: string;
  let redis: TestQueues['redis'];
  let workerRedis: TestQueues['workerRedis'];
  let producer: JobProducer;
  let worker: Worker | undefined;

  beforeEach(async () => {
    queues = await startTestQueues({ logger });
    ({ prefix, redis, workerRedis, producer } = queues);
  });

  afterEach(async () => {
    current?.finish();
    await worker?.close();
    worker = undefined;
    await queues.close();
  });

  function startWorker(handler: ReturnType<typeof gate>['handler']): void {
    worker = startQueueWorker({
      queue: 'get',
      connection: workerRedis,
      prefix,
      concurrency: 4,
      logger,
      handlers: {
        'system.ping': async () => ({}),
        'integration.run': oneRunPerIntegration(workerRedis, prefix, handler as never),
        'endpoint.sync': async () => ({}),
      },
    });
  }

  it('answers concurrent requests for the same integration with one job, and releases it when the run ends', async () => {
    const runs = gate();
    const [first, second, third] = await Promise.all([
      enqueueGetRun(producer, run('api')),
      enqueueGetRun(producer, run('cli')),
      enqueueGetRun(producer, run('api')),
    ]);
    const ids = [first, second, third].map((r) => String(r.job.id));
    expect(new Set(ids).size).toBe(1);
    expect([first, second, third].filter((r) => !r.deduplicated)).toHaveLength(1);
    expect(await producer.queue('get').getJobCountByTypes('waiting', 'prioritized')).toBe(1);
    // Another integration of the same tenant is not held back.
    const other = await enqueueGetRun(producer, run('api', 4));
    expect(other.deduplicated).toBe(false);

    startWorker(runs.handler);
    await until('both runs to start', () => runs.started.length === 2);
    // While it runs, a new request still gets the running job.
    const during = await enqueueGetRun(producer, run('api'));
    expect(during).toMatchObject({ deduplicated: true });
    expect(String(during.job.id)).toBe(ids[0]);
    runs.release();
    await until('the run to complete', async () => (await producer.queue('get').getJobState(ids[0] as string)) === 'completed');

    const after = await enqueueGetRun(producer, run('api'));
    expect(after.deduplicated).toBe(false);
    expect(String(after.job.id)).not.toBe(ids[0]);
  });

  it('answers a replay of the same Idempotency-Key with its first job, deduplicated, while it waits and after it ran', async () => {
    const runs = gate();
    const first = await enqueueGetRun(producer, run('api'), { idempotencyKey: 'k-1' });
    expect(first.deduplicated).toBe(false);
    const waiting = await enqueueGetRun(producer, run('api'), { idempotencyKey: 'k-1' });
    expect(waiting).toMatchObject({ deduplicated: true });
    expect(String(waiting.job.id)).toBe(String(first.job.id));
    runs.finish();
    startWorker(runs.handler);
    await until('the run to complete', async () => (await producer.queue('get').getJobState(String(first.job.id))) === 'completed');
    const replay = await enqueueGetRun(producer, run('api'), { idempotencyKey: 'k-1' });
    expect(replay).toMatchObject({ deduplicated: true });
    expect(String(replay.job.id)).toBe(String(first.job.id));
    // Nothing was added for either replay, and another key is a new run.
    expect(await producer.queue('get').getJobCountByTypes('waiting', 'prioritized', 'active')).toBe(0);
    expect((await enqueueGetRun(producer, run('api'), { idempotencyKey: 'k-2' })).deduplicated).toBe(false);
  });

  it('a scheduled job finding a run in progress completes as skipped; a request during a scheduled run gets that job', async () => {
    const runs = gate();
    startWorker(runs.handler);
    const queue = producer.queue('get');
    const api = await enqueueGetRun(producer, run('api'));
    await until('the API run to start', () => runs.started.length === 1);

    // A job without the deduplication option, as a scheduler produces it.
    const scheduled = await queue.add('integration.run', run('schedule'), { jobId: 'repeat-like-1' });
    await until('the scheduled job to finish', async () => (await queue.getJobState('repeat-like-1')) === 'completed');
    expect((await queue.getJob('repeat-like-1'))?.returnvalue).toEqual({
      skipped: true,
      reason: 'already-running',
      runningJobId: String(api.job.id),
    });
    expect(runs.started).toEqual([String(api.job.id)]);
    runs.release();
    await until('the API run to complete', async () => (await queue.getJobState(String(api.job.id))) === 'completed');

    // Now the scheduled run holds the key while it runs, and requests are answered with it.
    await queue.add('integration.run', run('schedule'), { jobId: 'repeat-like-2' });
    await until('the scheduled run to start', () => runs.started.includes('repeat-like-2'));
    const during = await enqueueGetRun(producer, run('api'));
    expect(during).toMatchObject({ deduplicated: true });
    expect(String(during.job.id)).toBe('repeat-like-2');
    runs.release();
    await until('the scheduled run to complete', async () => (await queue.getJobState('repeat-like-2')) === 'completed');
    expect(await queue.getDeduplicationJobId(getRunDeduplicationId(tenant.empresaId, 3))).toBeNull();
    expect(scheduled.id).toBe('repeat-like-1');
  });

  it('leaves jobs of other triggers that bypass deduplication (a dependency flow) to the engine, which makes them wait', async () => {
    const runs = gate();
    startWorker(runs.handler);
    const queue = producer.queue('get');
    const api = await enqueueGetRun(producer, run('api'));
    await until('the API run to start', () => runs.started.length === 1);
    await queue.add('integration.run', run('dependency'), { jobId: 'from-a-flow' });
    // Not skipped by the key: the handler (whose lease in the CRM database would delay it) is reached.
    await until('the flow job to reach the handler', () => runs.started.includes('from-a-flow'));
    runs.release();
    await until('both to complete', async () => (await queue.getJobState('from-a-flow')) === 'completed');
    expect((await queue.getJob('from-a-flow'))?.returnvalue).toEqual({ ran: 'from-a-flow' });
    expect(String(api.job.id)).not.toBe('from-a-flow');
  });

  it('clears a key left behind by a run that finished without releasing it (a worker killed mid-run)', async () => {
    const queue = producer.queue('get');
    await queue.add('integration.run', run('schedule'), { jobId: 'crashed-run' });
    // The key as a scheduled run that failed for good after its worker was killed leaves it: naming a finished job.
    await redis.set(`${prefix}:get:de:${getRunDeduplicationId(tenant.empresaId, 3)}`, 'crashed-run');
    await redis.hset(`${prefix}:get:crashed-run`, 'finishedOn', String(Date.now()));

    const fresh = await enqueueGetRun(producer, run('api'));
    expect(fresh.deduplicated).toBe(false);
    expect(String(fresh.job.id)).not.toBe('crashed-run');
  });
});
