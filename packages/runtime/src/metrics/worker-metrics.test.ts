import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createLogger } from '@integrador/logging';
import { type QueueHandlers, startQueueWorker } from '@integrador/queue';
import { optionalParts } from '@integrador/test-support/optional-parts';
import { startTestQueues, type TestQueues } from '@integrador/test-support/test-producer';
import { Worker } from 'bullmq';
import { Registry } from 'prom-client';
import { listenMetrics, type MetricsServer } from './metrics-server';
import { createWorkerMetrics } from './worker-metrics';

// A worker's own /metrics and /healthz (METRICS_PORT), fed by real jobs on a real Redis.
const parts = optionalParts(['promtool']);
const logger = createLogger({ name: 'test', level: 'silent' });
const TOKEN = 'worker-metrics-token-0123456789';

describe('worker metrics server', () => {
  let queues: TestQueues;
  let worker: Worker;
  let server: MetricsServer;
  let base: string;

  beforeAll(async () => {
    queues = await startTestQueues({ logger });
    const { workerRedis, prefix } = queues;
    server = await listenMetrics({
      port: 17200,
      host: '127.0.0.1',
      token: TOKEN,
      ready: () => workerRedis.status === 'ready',
      logger,
    });
    base = `http://127.0.0.1:${server.port}`;
    let attempts = 0;
    worker = startQueueWorker({
      queue: 'cti',
      connection: workerRedis,
      prefix,
      concurrency: 2,
      logger,
      observer: createWorkerMetrics(server.registry),
      handlers: {
        'system.ping': async (payload) => {
          // sleepMs 1 fails once, then succeeds: one retried attempt; sleepMs 2 always fails.
          if (payload.sleepMs === 1 && attempts++ === 0) throw new Error('first attempt fails');
          if (payload.sleepMs === 2) throw Object.assign(new Error('always fails'), { permanent: true });
          return { pong: true, pid: process.pid, sleptMs: 0, at: new Date().toISOString() };
        },
      } satisfies Pick<QueueHandlers<'cti'>, 'system.ping'> as unknown as QueueHandlers<'cti'>,
    });
    await worker.waitUntilReady();
  });

  afterAll(async () => {
    await worker.close();
    await server.close();
    await queues.close();
  });

  const scrape = async () => (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();

  it('counts each attempt by queue, job name and outcome, with its duration and the jobs running now', async () => {
    const tenant = { empresaId: 7, filialId: null };
    for (const sleepMs of [0, 1, 2]) {
      // Added directly: the catalogue's backoff for pings is longer than a test should wait.
      await queues.producer.queue('cti').add('system.ping', { tenant, sleepMs }, { attempts: 2, backoff: { type: 'fixed', delay: 10 } });
    }
    // Every job settled: two completed (one after a retry) and one failed for good.
    const settled = (text: string) => text.includes('outcome="completed"} 2') && text.includes('outcome="failed"} 1');
    let text = '';
    for (const deadline = Date.now() + 50_000; !settled(text) && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      text = await scrape();
    }
    expect(text).toContain('integrador_worker_jobs_total{queue="cti",job="system.ping",outcome="completed"} 2');
    expect(text).toContain('integrador_worker_jobs_total{queue="cti",job="system.ping",outcome="retried"} 1');
    expect(text).toContain('integrador_worker_jobs_total{queue="cti",job="system.ping",outcome="failed"} 1');
    expect(text).toContain('integrador_worker_job_duration_seconds_count{queue="cti",job="system.ping",outcome="completed"} 2');
    expect(text).toContain('integrador_worker_active_jobs{queue="cti"} 0');
    expect(text).toMatch(/^process_cpu_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d/m);
  });

  it('asks for METRICS_TOKEN and answers /readyz by the Redis connection', async () => {
    const anonymous = await fetch(`${base}/metrics`);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe('METRICS_UNAUTHORIZED');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ status: 'ready' });
    expect((await fetch(`${base}/nothing`)).status).toBe(404);
  });

  it('says which release runs: /healthz names the root package.json version, /metrics has integrador_build_info{version}', async () => {
    const version = (JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../../package.json'), 'utf8')) as { version: string })
      .version;
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok', version });
    expect(await scrape()).toContain(`integrador_build_info{version="${version}"} 1`);
  });

  (parts.has('promtool') ? it : it.skip)('passes promtool check metrics with no problem', async () => {
    const checked = spawnSync('promtool', ['check', 'metrics'], { input: await scrape(), encoding: 'utf8' });
    expect(`${checked.stdout}${checked.stderr}`.trim()).toBe('');
    expect(checked.status).toBe(0);
  });
});

describe('worker probes while Redis is not ready', () => {
  it('/healthz (liveness) stays 200, so a Redis outage restarts no pod; /readyz answers 503', async () => {
    const server = await listenMetrics({ port: 17201, host: '127.0.0.1', token: undefined, ready: () => false, logger });
    try {
      expect((await fetch(`http://127.0.0.1:${server.port}/healthz`)).status).toBe(200);
      const response = await fetch(`http://127.0.0.1:${server.port}/readyz`);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ status: 'unavailable' });
    } finally {
      await server.close();
    }
  });

  it('names METRICS_PORT when the port is taken', async () => {
    const first = await listenMetrics({ port: 17202, host: '127.0.0.1', token: undefined, ready: () => true, logger });
    try {
      await expect(listenMetrics({ port: 17202, host: '127.0.0.1', token: undefined, ready: () => true, logger })).rejects.toThrow(
        /METRICS_PORT 17202: cannot listen/,
      );
    } finally {
      await first.close();
    }
  });
});

// A job whose workers keep dying under it (an OOM, a crash) is failed for good by BullMQ once it stalled more than
// maxStalledCount times: the stalled check marks it, and the worker that takes it next fails it without running it —
// no start of it was seen in that process. It still counts as failed for good (IntegradorJobsFailingForGood).
describe('worker metrics of a job failed for stalling too often', () => {
  let queues: TestQueues;
  afterAll(async () => queues?.close());

  it('counts it as failed for good, though this worker never started it', async () => {
    queues = await startTestQueues({ logger });
    const { workerRedis, prefix } = queues;
    const job = await queues.producer
      .queue('cti')
      .add('system.ping', { tenant: { empresaId: 7, filialId: null }, sleepMs: 0 }, { attempts: 3 });
    // A worker takes it and dies: its lock expires (deleted here), and BullMQ's stalled check — two passes, the first
    // marks the active job, the second moves it — finds it stalled once more than allowed (0 here).
    const dying = new Worker('cti', null, { connection: workerRedis, prefix, autorun: false, maxStalledCount: 0, stalledInterval: 10 });
    const stalledCheck = () => (dying as unknown as { moveStalledJobsToWait(): Promise<void> }).moveStalledJobsToWait();
    let ran = 0;
    let worker: Worker | undefined;
    const registry = new Registry();
    try {
      expect((await dying.getNextJob('dead-worker'))?.id).toBe(job.id);
      await queues.redis.del(`${prefix}:cti:${job.id}:lock`);
      await stalledCheck();
      await new Promise((resolve) => setTimeout(resolve, 30));
      await stalledCheck();
      expect(await queues.producer.queue('cti').getJobState(String(job.id))).toBe('waiting');

      worker = startQueueWorker({
        queue: 'cti',
        connection: workerRedis,
        prefix,
        concurrency: 1,
        logger,
        observer: createWorkerMetrics(registry),
        handlers: {
          'system.ping': async () => {
            ran += 1;
            return { pong: true, pid: process.pid, sleptMs: 0, at: new Date().toISOString() };
          },
        } satisfies Pick<QueueHandlers<'cti'>, 'system.ping'> as unknown as QueueHandlers<'cti'>,
      });
      for (let i = 0; i < 200 && (await queues.producer.queue('cti').getJobState(String(job.id))) !== 'failed'; i++)
        await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await queues.producer.queue('cti').getJobState(String(job.id))).toBe('failed');
      // The 'failed' event comes right after the state is written.
      await new Promise((resolve) => setTimeout(resolve, 100));
      const text = await registry.metrics();
      expect(text).toContain('integrador_worker_jobs_total{queue="cti",job="system.ping",outcome="failed"} 1');
      // No attempt ran here: no duration, and the running-jobs gauge never went negative.
      expect(text).not.toMatch(/integrador_worker_job_duration_seconds_count\{[^}]*outcome="failed"\}/);
      expect(text).not.toContain('integrador_worker_active_jobs{queue="cti"} -1');
      expect(ran).toBe(0);
    } finally {
      await worker?.close();
      await dying.close();
    }
  });
});
