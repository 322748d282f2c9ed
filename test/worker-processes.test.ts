import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PingResult } from '@integrador/jobs';
import { createLogger } from '@integrador/logging';
import type { JobProducer } from '@integrador/queue';
import { freePort } from '@integrador/test-support/ports';
import { type AppProcess, type SpawnOptions, spawnCompiledApp } from '@integrador/test-support/processes';
import { TEST_REDIS_URL } from '@integrador/test-support/redis-server';
import { startTestProducer, type TestProducer } from '@integrador/test-support/test-producer';
import type { Job, Queue } from 'bullmq';

// WORKER_PROCESSES=2: one worker app, a node:cluster primary and two full worker processes (real processes, real Redis).
const logger = createLogger({ name: 'test', level: 'silent' });
const tenant = { empresaId: 1, filialId: null };

describe('a worker app with WORKER_PROCESSES=2', () => {
  let queues: TestProducer;
  let prefix: string;
  let producer: JobProducer;
  let queue: Queue;
  let dataDir: string;
  let app: AppProcess | undefined;
  // A port free at each test's start, not a fixed one another suite or session may hold.
  let metricsPort: number;

  beforeEach(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'itest-procs-'));
    metricsPort = await freePort();
    queues = await startTestProducer({ logger });
    ({ prefix, producer } = queues);
    queue = producer.queue('cti');
  });

  afterEach(async () => {
    if (app && app.child.exitCode === null && app.child.signalCode === null) app.child.kill('SIGTERM');
    await app?.exited;
    app = undefined;
    await queues.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** Spawns worker-cti with two processes on this suite's Redis prefix, data folder and metrics port (not waited for). */
  function spawnPair(env: Record<string, string> = {}, options: SpawnOptions = {}): AppProcess {
    app = spawnCompiledApp(
      'worker-cti',
      {
        REDIS_URL: TEST_REDIS_URL,
        KEY_PREFIX: prefix,
        DATA_DIR: dataDir,
        WORKER_PROCESSES: '2',
        METRICS_PORT: String(metricsPort),
        LOG_LEVEL: 'info',
        ...env,
      },
      [],
      [],
      options,
    );
    return app;
  }

  /** Starts worker-cti with two processes of one job each (so two jobs in flight sit in different processes). */
  async function start(env: Record<string, string> = {}, options: SpawnOptions = {}): Promise<AppProcess> {
    const started = spawnPair({ WORKER_CONCURRENCY: '1', ...env }, options);
    await until(() => workerPids(started).length === 2, 60_000, 'two worker processes started');
    return started;
  }

  /** The pids of the processes that logged "worker started", in order. */
  function workerPids(process: AppProcess): number[] {
    return process.lines.filter((line) => line.msg === 'worker started').map((line) => Number(line.pid));
  }

  async function finished(job: Job): Promise<Job> {
    // The state first, then the job: read the other way round, a job completing in between has no returnvalue yet.
    await until(async () => (await queue.getJobState(job.id as string)) === 'completed', 30_000, `job ${job.id} completed`);
    return (await queue.getJob(job.id as string)) as Job;
  }

  it('runs jobs in both processes and reports them together on /metrics and /healthz', async () => {
    const primary = await start();
    const children = workerPids(primary);
    expect(new Set(children).size).toBe(2);
    expect(children).not.toContain(primary.child.pid);

    const jobs = await Promise.all([1, 2, 3, 4, 5, 6].map(() => producer.enqueue('cti', 'system.ping', { tenant, sleepMs: 300 })));
    const pids = new Set<number>();
    for (const job of jobs) pids.add(((await finished(job)).returnvalue as PingResult).pid);
    expect([...pids].sort()).toEqual([...children].sort());

    await until(async () => (await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).status === 200, 10_000, '/readyz 200');
    const scraped = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    // Six jobs over two processes add up to one series: the primary aggregates every process's registry.
    expect(scraped).toContain('integrador_worker_jobs_total{queue="cti",job="system.ping",outcome="completed"} 6');
    expect(scraped).toMatch(/^process_cpu_seconds_total \d/m);
  });

  it('replaces a killed process, and the job it held runs again elsewhere', async () => {
    const primary = await start({ JOB_LOCK_MS: '1000' });
    const [first, second] = workerPids(primary) as [number, number];
    const jobs = await Promise.all([1, 2].map(() => producer.enqueue('cti', 'system.ping', { tenant, sleepMs: 3000 })));
    await until(async () => (await queue.getJobCounts('active')).active === 2, 20_000, 'both jobs active');

    process.kill(first, 'SIGKILL');
    await primary.waitForLog('worker process exited, restarting');
    // One process respawning: the pod is alive (liveness 200, no restart of its healthy sibling), not ready until it is back.
    expect((await fetch(`http://127.0.0.1:${metricsPort}/healthz`)).status).toBe(200);
    await until(() => workerPids(primary).length === 3, 60_000, 'a third worker process started');
    const replacement = workerPids(primary)[2];
    expect([first, second]).not.toContain(replacement);

    // Nothing lost: both jobs complete, the interrupted one after the stalled-job check gave it to a live process.
    const done = await Promise.all(jobs.map(finished));
    expect(done.map((job) => (job.returnvalue as PingResult).pid)).not.toContain(first);
    expect(done.some((job) => job.attemptsStarted > 1 || job.stalledCounter > 0)).toBe(true);
    await until(async () => (await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).status === 200, 30_000, '/readyz 200 again');
  });

  it('drains both processes on SIGTERM and exits 0', async () => {
    const primary = await start();
    const jobs = await Promise.all([1, 2].map(() => producer.enqueue('cti', 'system.ping', { tenant, sleepMs: 1500 })));
    await until(async () => (await queue.getJobCounts('active')).active === 2, 20_000, 'both jobs active');

    primary.child.kill('SIGTERM');
    expect(await primary.exited).toBe(0);
    const children = workerPids(primary);
    // Each process logged its own drain, and each in-flight job finished in the process that held it.
    const drained = primary.lines.filter((line) => line.msg === 'shutting down').map((line) => Number(line.pid));
    expect(drained.sort()).toEqual([primary.child.pid, ...children].sort());
    const pids = await Promise.all(jobs.map(async (job) => ((await finished(job)).returnvalue as PingResult).pid));
    expect(pids.sort()).toEqual([...children].sort());
  });

  it('drains both processes when SIGTERM reaches the whole process group, twice', async () => {
    const primary = await start({}, { detached: true });
    const jobs = await Promise.all([1, 2].map(() => producer.enqueue('cti', 'system.ping', { tenant, sleepMs: 1500 })));
    await until(async () => (await queue.getJobCounts('active')).active === 2, 20_000, 'both jobs active');

    // systemd's default KillMode, supervisord's stopasgroup, `tini -g` and Ctrl-C signal the group: each child gets
    // the group's SIGTERM and the primary's own, and here a second group SIGTERM mid-drain on top.
    const group = -(primary.child.pid as number);
    process.kill(group, 'SIGTERM');
    await until(() => primary.lines.filter((line) => line.msg === 'shutting down').length === 3, 10_000, 'three drains');
    process.kill(group, 'SIGTERM');
    expect(await primary.exited).toBe(0);
    const children = workerPids(primary);
    const pids = await Promise.all(jobs.map(async (job) => ((await finished(job)).returnvalue as PingResult).pid));
    expect(pids.sort()).toEqual([...children].sort());
    expect(primary.lines.filter((line) => line.msg === 'worker process exited, restarting')).toEqual([]);
    // Every process got a repeat mid-drain and said so once.
    const ignored = primary.lines
      .filter((line) => line.msg === 'shutdown already under way, signal ignored')
      .map((line) => Number(line.pid));
    expect(ignored.sort()).toEqual([primary.child.pid, ...children].sort());
  });

  it('passes SIGHUP on to its loaded processes only: one sent while they load kills none and reaches each once loaded, a later one reaches both', async () => {
    app = spawnPair();
    const primary = app;
    const reread = () => primary.lines.filter((line) => line.msg === 'SIGHUP: no connections file to read again');
    const rereadBy = () =>
      reread()
        .map((line) => Number(line.pid))
        .sort();
    // Just forked, both still loading: without a handler of their own yet, Node's default for SIGHUP would end them.
    // They may have read CONNECTIONS_FILE before the edit the SIGHUP announces: each gets it once loaded.
    await primary.waitForLog('worker processes started', 30_000);
    primary.child.kill('SIGHUP');
    await until(() => workerPids(primary).length === 2, 60_000, 'two worker processes started');
    await until(async () => (await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).status === 200, 30_000, '/readyz 200');
    await until(() => reread().length === 2, 10_000, 'both processes acting on the SIGHUP sent while they loaded');
    expect(rereadBy()).toEqual([...workerPids(primary)].sort());
    expect(primary.lines.filter((line) => line.msg === 'worker process exited, restarting')).toEqual([]);

    // Loaded: each reads CONNECTIONS_FILE again (none set here, and each says so).
    primary.child.kill('SIGHUP');
    await until(() => reread().length === 4, 10_000, 'both processes acting on SIGHUP');
    expect(rereadBy()).toEqual([...workerPids(primary), ...workerPids(primary)].sort());
  }, 180_000);

  it('exits 0 on SIGTERM while its processes are still starting (nothing was taken yet)', async () => {
    app = spawnPair();
    await app.waitForLog('worker processes started', 30_000);
    app.child.kill('SIGTERM');
    expect(await app.exited).toBe(0);
  });
});

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
    if (await check()) return;
  }
  throw new Error(`timed out waiting for ${what}`);
}
