import path from 'node:path';
import { jobDefinition, RETENTION, validatePayload } from '@integrador/jobs';
import { type JobProducer, readTenantStats } from '@integrador/queue';
import { type AppProcess, buildApps, ROOT, spawnCompiledApp } from '@integrador/test-support/processes';
import type { Redis } from 'ioredis';
import { DEFAULT_CREDENTIALS } from '../../test/fixtures/senior-g5';
import type { BenchCrm } from './crm';
import { cpuMs, rssMb, withChildren } from './proc';

// The product path as deployed: jobs enter Redis as the ingress puts them (validated payload, the catalog's
// attempts/backoff, the fleet's retention) and one unchanged worker-set process takes them.

const BULK = 1000;
const JOB = 'integration.run';

/** Where the product path runs: the producer's Redis, the key prefix, the CRM and which push comes next. */
export interface ProductTarget {
  redis: Redis;
  producer: JobProducer;
  prefix: string;
  crm: BenchCrm;
  /** Push i sends conta contaIds[i % contaIds.length], as the baseline sends bodies[i % bodies.length]. */
  next: number;
  /**
   * Pushes one job carries (--per-job): 1 = one job per conta, as every production path enqueues (SET-WS-CONTAS by
   * contaId); K > 1 = one job per K consecutive contas through the range integration (rangeIntegracaoId), whose
   * consulta returns K records that the job pushes one by one, each with its own outbox row, attempt and write-back.
   */
  perJob: number;
}

/** The worker's environment: the same variables an operator sets, LOG_LEVEL warn (no line per push). */
export interface WorkerEnv {
  redisUrl: string;
  prefix: string;
  databaseUrl: string;
  connectionsFile: string;
  concurrency: number;
  /** WORKER_PROCESSES: worker processes under one primary (1 = the single process of the default). */
  processes?: number;
  /** Node flags for this process only (e.g. --cpu-prof). */
  nodeFlags?: readonly string[];
  /**
   * Another build of worker-set to run instead of this checkout's, for an A/B comparison: a folder holding
   * dist/main.js (+ map), e.g. an older commit's apps/worker-set copied aside; it resolves node_modules from its place.
   */
  bundle?: string | undefined;
  /** METRICS_PORT of the worker, to read its GC time from /metrics; none when absent. */
  metricsPort?: number;
}

/**
 * The node flags the product starts worker-set with (apps/fleet/src/main.ts, infra/compose.yaml, the Helm chart's
 * workers.set.nodeOptions); the bench's --semi-space replaces them.
 */
export const WORKER_SET_NODE_FLAGS: readonly string[] = [];

/**
 * Spawns worker-set as `npm start` and the image run it: the compiled app (apps/worker-set/dist/main.js with
 * --enable-source-maps), built first if a source is newer than the build.
 */
export function startWorker(env: WorkerEnv): AppProcess {
  // spawnCompiledApp runs apps/<app>/dist/main.js: a path relative to apps/ names any such folder.
  if (env.bundle)
    return spawnCompiledApp(path.relative(path.join(ROOT, 'apps'), path.resolve(env.bundle)), variables(env), [], env.nodeFlags);
  buildApps();
  return spawnCompiledApp('worker-set', variables(env), [], env.nodeFlags);
}

function variables(env: WorkerEnv): Record<string, string> {
  return {
    REDIS_URL: env.redisUrl,
    KEY_PREFIX: env.prefix,
    CRM_DATABASE_URL: env.databaseUrl,
    CONNECTIONS_FILE: env.connectionsFile,
    SENIOR_PASSWORD: DEFAULT_CREDENTIALS.password,
    WORKER_CONCURRENCY: String(env.concurrency),
    WORKER_PROCESSES: String(env.processes ?? 1),
    LOG_LEVEL: 'warn',
    ...(env.metricsPort ? { METRICS_PORT: String(env.metricsPort) } : {}),
  };
}

/** The worker's GC time so far by kind (minor = scavenges, major = mark-compact…), ms, from its /metrics. */
export async function workerGcMs(metricsPort: number): Promise<Record<string, { ms: number; count: number }>> {
  const text = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then((response) => response.text());
  const totals: Record<string, { ms: number; count: number }> = {};
  for (const match of text.matchAll(/^nodejs_gc_duration_seconds_(sum|count)\{kind="(\w+)"\} ([\d.e+-]+)$/gm)) {
    const [, field, kind = '', value] = match;
    const entry = totals[kind] ?? { ms: 0, count: 0 };
    totals[kind] = entry;
    if (field === 'sum') entry.ms = Number(value) * 1000;
    else entry.count = Number(value);
  }
  return totals;
}

/** SIGTERM (the worker drains and exits), then waits for the exit. */
export async function stopWorker(worker: AppProcess): Promise<void> {
  if (worker.child.exitCode !== null || worker.child.signalCode !== null) return;
  worker.child.kill('SIGTERM');
  await worker.exited;
}

/** Enqueues `count` pushes with addBulk (JobProducer has no bulk method; these are the options its enqueue applies). */
export async function enqueuePushes(target: ProductTarget, count: number): Promise<void> {
  const policy = jobDefinition('set', JOB)?.policy;
  const opts = { attempts: policy?.attempts, backoff: policy?.backoff, ...RETENTION };
  const { crm, perJob } = target;
  const ids = crm.contaIds;
  for (let done = 0; done < count; ) {
    const size = Math.min(BULK * perJob, count - done);
    const jobs = Array.from({ length: size / perJob }, (_, i) => {
      // --per-job K: K contas with consecutive ids (the bench checks that contas and pushes are multiples of K).
      const from = (target.next + i * perJob) % ids.length;
      const parametros = perJob === 1 ? { contaId: ids[from] ?? 0 } : { contaId: ids[from] ?? 0, contaAte: ids[from + perJob - 1] ?? 0 };
      const data = validatePayload('set', JOB, {
        tenant: { empresaId: crm.empresaId, filialId: null },
        integracaoId: perJob === 1 ? crm.integracaoId : crm.rangeIntegracaoId,
        parametros,
        trigger: 'api',
      });
      return { name: JOB, data, opts };
    });
    await target.producer.queue('set').addBulk(jobs);
    target.next += size;
    done += size;
  }
}

/** Pushes of the bench's tenant that ended (the worker's per-tenant counters: completed, and failed for good). */
export async function finishedPushes(target: ProductTarget): Promise<{ completed: number; failed: number }> {
  // The bench has one tenant: it is always among the busiest. Only the set queue's counters: the poll's commands are
  // counted in redisCommandsPerPush (3 a poll, not 12).
  const stats = await readTenantStats(target.redis, target.prefix, 1, ['set']);
  const count = (outcome: 'completed' | 'failed') =>
    stats.find((s) => s.queue === 'set' && s.empresaId === target.crm.empresaId && s.outcome === outcome)?.count ?? 0;
  // A job of --per-job K pushes K contas: counted as K pushes (a failed job as K failed).
  return { completed: count('completed') * target.perJob, failed: count('failed') * target.perJob };
}

/** Jobs waiting to be taken (the memory run tops the backlog up from this). */
export async function waitingJobs(target: ProductTarget): Promise<number> {
  const counts = await target.producer.queue('set').getJobCounts('waiting', 'prioritized');
  return (counts.waiting ?? 0) + (counts.prioritized ?? 0);
}

/** When the newest finished job finished (epoch ms): more precise than the polling tick that saw the count. */
export async function lastFinishedAt(target: ProductTarget): Promise<number | null> {
  const queue = target.producer.queue('set');
  const [completed] = await queue.getJobs(['completed'], 0, 0, false);
  const [failed] = await queue.getJobs(['failed'], 0, 0, false);
  const times = [completed?.finishedOn, failed?.finishedOn].filter((t): t is number => typeof t === 'number');
  return times.length ? Math.max(...times) : null;
}

export interface WaitOptions {
  /** Total finished pushes (completed + failed) to wait for. */
  target: number;
  worker: AppProcess;
  pollMs?: number;
  /** Give up when the count has not moved for this long. */
  stallMs?: number;
  /** Called on every poll, e.g. to top up the backlog or print progress. */
  onTick?: (finished: number) => Promise<void> | void;
}

/** Polls until `target` pushes have finished; fails when the worker dies or nothing moves for `stallMs`. */
export async function waitForPushes(target: ProductTarget, options: WaitOptions): Promise<{ completed: number; failed: number }> {
  const pollMs = options.pollMs ?? 100;
  const stallMs = options.stallMs ?? 60000;
  let last = -1;
  let movedAt = Date.now();
  for (;;) {
    const counts = await finishedPushes(target);
    const finished = counts.completed + counts.failed;
    if (finished >= options.target) return counts;
    if (finished !== last) {
      last = finished;
      movedAt = Date.now();
    }
    const { child, stderr } = options.worker;
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(
        `worker-set exited (${child.exitCode ?? child.signalCode}) after ${finished} pushes: ${stderr.join('').slice(-2000)}`,
      );
    if (Date.now() - movedAt > stallMs) throw new Error(`no push finished for ${stallMs} ms (${finished}/${options.target})`);
    await options.onTick?.(finished);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** One reading of the worker process: when, its RSS, its CPU time so far and how many pushes had finished. */
export interface WorkerSample {
  atMs: number;
  rssMb: number;
  cpuMs: number;
  finished: number;
}

/** Samples the worker every `everyMs` (RSS from /proc/<pid>/status, CPU from /proc/<pid>/stat); `finished` is read from a shared counter. */
export function sampleWorker(pid: number, everyMs: number, finished: () => number): { samples: WorkerSample[]; stop(): void } {
  const samples: WorkerSample[] = [];
  const started = performance.now();
  // The worker's process and its children (WORKER_PROCESSES > 1), summed; a child gone between two readings counts 0.
  const take = () => {
    const pids = withChildren(pid);
    const rss = rssMb(pid);
    const cpu = cpuMs(pid);
    if (rss === null || cpu === null) return;
    const children = pids.slice(1);
    samples.push({
      atMs: performance.now() - started,
      rssMb: children.reduce((sum, child) => sum + (rssMb(child) ?? 0), rss),
      cpuMs: children.reduce((sum, child) => sum + (cpuMs(child) ?? 0), cpu),
      finished: finished(),
    });
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    samples,
    /** Stops sampling after one last reading (skipped when the previous one is under a second old). */
    stop() {
      clearInterval(timer);
      if (performance.now() - started - (samples[samples.length - 1]?.atMs ?? 0) >= 1000) take();
    },
  };
}

/** The worker's 'job failed' warnings (a retried attempt or a final failure) and 'job stalled' ones, reasons counted. */
export function failureLog(worker: AppProcess) {
  const failed = worker.lines.filter((line) => line.msg === 'job failed');
  const reasons = new Map<string, number>();
  for (const line of failed) reasons.set(String(line.reason), (reasons.get(String(line.reason)) ?? 0) + 1);
  return {
    failedAttempts: failed.length,
    finalFailures: failed.filter((line) => line.final === true).length,
    stalled: worker.lines.filter((line) => line.msg === 'job stalled, will run again').length,
    reasons: [...reasons]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([reason, count]) => ({ reason: reason.slice(0, 300), count })),
  };
}
