import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { jobDefinition, RETENTION, type TenantRef } from '@integrador/jobs';
import { createLogger } from '@integrador/logging';
import {
  createRedis,
  JobProducer,
  type LimitRule,
  parseInfo,
  type QueueHandlers,
  queueOptions,
  startQueueWorker,
  TenantLimiter,
  waitUntilReady,
  writeLimitsMirror,
} from '@integrador/queue';
import { deletePrefix, type PrivateRedis, startPrivateRedis, testPrefix } from '@integrador/test-support/redis-server';
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { commandStats, commandsPer } from './support/redis-commands';
import { round, spread } from './support/stats';

// No-op jobs through the per-tenant limits and fairness layer (packages/queue/src/limits) against bare BullMQ on the
// same Redis in the same run: throughput and Redis commands per job (INFO commandstats deltas), then fairness at full
// size (tenant A with --backlog queued jobs: how long until tenant B's job starts). bench/README.md explains it.
// Run: npx tsx bench/limits.bench.ts [--jobs 20000] [--rounds 2] [--backlog 100000]

const THROUGHPUT_GOAL = 0.75;
const COMMANDS_GOAL = 5;
const FAIRNESS_GOAL_MS = 2000;
const QUEUE = 'cti';
const RESULTS_DIR = path.join(__dirname, 'results');
const logger = createLogger({ name: 'bench', level: 'silent' });

const { values: args } = parseArgs({
  options: {
    jobs: { type: 'string', default: '20000' },
    tenants: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '2' },
    backlog: { type: 'string', default: '100000' },
    probes: { type: 'string', default: '5' },
    'redis-url': { type: 'string' },
    'skip-bare-fairness': { type: 'boolean', default: false },
  },
});
const num = (name: 'jobs' | 'tenants' | 'concurrency' | 'rounds' | 'backlog' | 'probes') => {
  const n = Number(args[name]);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got "${args[name]}"`);
  return n;
};
const JOBS = num('jobs');
const TENANTS = Math.max(1, num('tenants'));
const CONCURRENCY = Math.max(1, num('concurrency'));
const IN_FLIGHT = 200;

type Variant = 'bare' | 'runner' | 'layer' | 'layer-rate' | 'layer-limited';
const VARIANTS: Record<Variant, string> = {
  bare: 'bare BullMQ: Queue.add + Worker with a no-op processor',
  runner: 'the product runner (JobProducer.enqueue + startQueueWorker: validation, per-tenant counters), limits layer off',
  layer: 'runner + limits layer on (fair priorities, limiter running), no limit configured (the default)',
  'layer-rate': 'runner + limits layer, every tenant rate-limited (1e5/s, burst 1e5: nothing delayed; tokens taken ahead in batches)',
  'layer-limited':
    'runner + limits layer, every tenant rate-limited and concurrency-capped (1e5/s, cap 10000: nothing delayed, a script call per job)',
};

const log = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tenantOf = (i: number): TenantRef => ({ empresaId: 1 + (i % TENANTS), filialId: null });

/** Runs `add(i)` for i < count with IN_FLIGHT calls in flight. */
async function inFlight(count: number, add: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(IN_FLIGHT, count) }, async () => {
      while (next < count) await add(next++);
    }),
  );
}

interface Side {
  enqueue(count: number, tenant?: (i: number) => TenantRef): Promise<void>;
  /** Enqueues one job; returns its id. */
  enqueueOne(tenant: TenantRef): Promise<string>;
  ready(): Promise<void>;
  /** Starts consuming; `onDone` is called once per finished job; `started` gets the time each handler began. */
  startWorker(onDone: () => void, sleepMs?: number, started?: Map<string, number>): Promise<() => Promise<void>>;
  queue: Queue;
  close(): Promise<void>;
}

const policy = jobDefinition(QUEUE, 'system.ping')?.policy;
const jobOptions = { attempts: policy?.attempts, backoff: policy?.backoff, ...RETENTION };

function bareSide(url: string, prefix: string): Side {
  const connection = createRedis(url, { role: 'worker' });
  const queue = new Queue(QUEUE, queueOptions(connection, prefix));
  return {
    queue,
    enqueue: (count, tenant = tenantOf) => inFlight(count, (i) => queue.add('system.ping', { tenant: tenant(i), sleepMs: 0 }, jobOptions)),
    enqueueOne: async (tenant) => String((await queue.add('system.ping', { tenant, sleepMs: 0 }, jobOptions)).id),
    ready: () => waitUntilReady(connection),
    async startWorker(onDone, sleepMs = 0, started) {
      const workerRedis = createRedis(url, { role: 'worker' });
      const processor = async (job: { id?: string | undefined }) => {
        started?.set(String(job.id), Date.now());
        return sleepMs ? sleep(sleepMs) : null;
      };
      const worker = new Worker(QUEUE, processor, {
        ...queueOptions(workerRedis, prefix),
        concurrency: CONCURRENCY,
      });
      worker.on('completed', onDone);
      worker.on('error', () => undefined);
      await worker.waitUntilReady();
      return async () => {
        await worker.close();
        workerRedis.disconnect();
      };
    },
    async close() {
      await queue.close();
      connection.disconnect();
    },
  };
}

function productSide(url: string, prefix: string, layer: boolean): Side {
  const connection = createRedis(url, { role: 'producer', commandTimeoutMs: 30000 });
  const producer = new JobProducer({ connection, prefix, timeoutMs: 30000, logger, fairness: layer });
  return {
    queue: producer.queue(QUEUE),
    enqueue: (count, tenant = tenantOf) =>
      inFlight(count, (i) => producer.enqueue(QUEUE, 'system.ping', { tenant: tenant(i), sleepMs: 0 })),
    enqueueOne: async (tenant) => String((await producer.enqueue(QUEUE, 'system.ping', { tenant, sleepMs: 0 })).id),
    ready: () => waitUntilReady(connection),
    async startWorker(onDone, sleepMs = 0, started) {
      const workerRedis = createRedis(url, { role: 'worker' });
      const limiter = layer ? new TenantLimiter({ redis: workerRedis, prefix, logger, leaseMs: 30000 }) : undefined;
      await limiter?.start();
      const worker = startQueueWorker({
        queue: QUEUE,
        connection: workerRedis,
        prefix,
        concurrency: CONCURRENCY,
        logger,
        ...(limiter ? { limiter } : {}),
        // Only pings are enqueued here; the cti queue's other job kinds are not measured.
        handlers: {
          'system.ping': async (_payload, ctx) => {
            started?.set(String(ctx.job.id), Date.now());
            return sleepMs ? sleep(sleepMs) : null;
          },
        } satisfies Pick<QueueHandlers<'cti'>, 'system.ping'> as unknown as QueueHandlers<'cti'>,
      });
      worker.on('completed', onDone);
      await worker.waitUntilReady();
      return async () => {
        await worker.close();
        await limiter?.close();
        workerRedis.disconnect();
      };
    },
    async close() {
      await producer.close();
      connection.disconnect();
    },
  };
}

function sideOf(variant: Variant, url: string, prefix: string): Side {
  return variant === 'bare' ? bareSide(url, prefix) : productSide(url, prefix, variant !== 'runner');
}

interface ThroughputRun {
  variant: Variant;
  round?: number;
  enqueuePerSecond: number;
  processPerSecond: number;
  commandsPerJob: { enqueue: number; process: number; total: number };
  /** Per command, enqueue and process together. */
  commandsByName: Record<string, number>;
}

async function throughput(variant: Variant, url: string, admin: Redis): Promise<ThroughputRun> {
  const prefix = testPrefix();
  const side = sideOf(variant, url, prefix);
  try {
    await side.ready();
    if (variant === 'layer-rate' || variant === 'layer-limited') {
      const rules: LimitRule[] = Array.from({ length: TENANTS }, (_, i) => ({
        empresaId: i + 1,
        filialId: null,
        connection: null,
        ratePerSecond: 100000,
        burst: 100000,
        maxConcurrency: variant === 'layer-limited' ? 10000 : 0,
      }));
      await writeLimitsMirror(admin, prefix, rules);
    }
    const c0 = await commandStats(admin);
    const t0 = performance.now();
    await side.enqueue(JOBS);
    const t1 = performance.now();
    const c1 = await commandStats(admin);
    let done = 0;
    let resolveAll: () => void = () => undefined;
    const all = new Promise<void>((resolve) => {
      resolveAll = resolve;
    });
    const t2 = performance.now();
    const stop = await side.startWorker(() => {
      if (++done === JOBS) resolveAll();
    });
    await all;
    const t3 = performance.now();
    const c2 = await commandStats(admin);
    await stop();
    // Each reading adds one INFO; negligible against thousands of jobs.
    const enqueue = commandsPer(c0, c1, JOBS, 0.05).total;
    const process = commandsPer(c1, c2, JOBS, 0.05).total;
    return {
      variant,
      enqueuePerSecond: round(JOBS / ((t1 - t0) / 1000), 0),
      processPerSecond: round(JOBS / ((t3 - t2) / 1000), 0),
      commandsPerJob: { enqueue: round(enqueue), process: round(process), total: round(enqueue + process) },
      commandsByName: commandsPer(c0, c2, JOBS, 0.05).byCommand,
    };
  } finally {
    await side.close();
    await deletePrefix(url, prefix);
  }
}

interface FairnessRun {
  variant: 'bare' | 'layer';
  backlog: number;
  enqueueSeconds: number;
  /** ms from enqueueing tenant B's job to its start, one per probe. */
  waitMs: number[];
  backlogLeftAtLastProbe: number;
}

/** Tenant A queues `backlog` no-op jobs; with the worker draining them, how long until each of B's probes starts? */
async function fairness(variant: 'bare' | 'layer', url: string, backlog: number, probes: number): Promise<FairnessRun> {
  const prefix = testPrefix();
  const side = sideOf(variant, url, prefix);
  try {
    await side.ready();
    const t0 = performance.now();
    await side.enqueue(backlog, () => ({ empresaId: 1, filialId: null }));
    const enqueueSeconds = round((performance.now() - t0) / 1000);
    const started = new Map<string, number>();
    const stop = await side.startWorker(() => undefined, 1, started);
    await sleep(1000);
    const waitMs: number[] = [];
    let left = 0;
    for (let p = 0; p < probes; p++) {
      const before = Date.now();
      const id = await side.enqueueOne({ empresaId: 2, filialId: null });
      while (!started.has(id) && Date.now() - before < 120000) await sleep(2);
      const at = started.get(id);
      waitMs.push(at === undefined ? Number.NaN : at - before);
      const counts = await side.queue.getJobCounts('waiting', 'prioritized');
      left = (counts.waiting ?? 0) + (counts.prioritized ?? 0);
      if (left === 0) break;
      await sleep(500);
    }
    await stop();
    return { variant, backlog, enqueueSeconds, waitMs, backlogLeftAtLastProbe: left };
  } finally {
    await side.close();
    await deletePrefix(url, prefix);
  }
}

/** Median over rounds of (variant's processing rate / bare's in the same round). */
function pairedRatio(runs: ThroughputRun[], variant: Variant): number {
  const ratios = runs
    .filter((r) => r.variant === variant)
    .map((r) => r.processPerSecond / (runs.find((b) => b.variant === 'bare' && b.round === r.round)?.processPerSecond ?? Number.NaN));
  return round(spread(ratios).median, 2);
}

async function main(): Promise<void> {
  let redisServer: PrivateRedis | undefined;
  let url = args['redis-url'];
  if (!url) {
    // A private Redis: command counts are this run's alone, not other users' of the machine's Redis.
    redisServer = await startPrivateRedis(['--maxmemory-policy', 'noeviction']);
    url = redisServer.url;
  }
  const admin = createRedis(url, { role: 'worker' });
  const stopAll = async () => {
    admin.disconnect();
    await redisServer?.stop();
  };
  process.once('SIGINT', () => {
    stopAll().finally(() => process.exit(130));
  });
  try {
    await waitUntilReady(admin);
    const info = parseInfo(await admin.info('server'));
    log(`redis ${info.redis_version} at ${url}; ${JOBS} no-op jobs per run over ${TENANTS} tenants, worker concurrency ${CONCURRENCY}`);
    const runs: ThroughputRun[] = [];
    if (JOBS > 0) {
      for (let round_ = 0; round_ < num('rounds'); round_++) {
        // Alternating order so drift over the run does not favour one side.
        const forward: Variant[] = ['bare', 'runner', 'layer', 'layer-rate', 'layer-limited'];
        const order = round_ % 2 === 0 ? forward : [...forward].reverse();
        for (const variant of order) {
          const run = { ...(await throughput(variant, url, admin)), round: round_ };
          runs.push(run);
          log(
            `round ${round_ + 1} ${variant}: enqueue ${run.enqueuePerSecond}/s, process ${run.processPerSecond}/s, commands/job ${JSON.stringify(run.commandsPerJob)}`,
          );
        }
      }
    }
    const med = (variant: Variant, pick: (r: ThroughputRun) => number) =>
      spread(runs.filter((r) => r.variant === variant).map(pick)).median;
    const summary = Object.fromEntries(
      (Object.keys(VARIANTS) as Variant[]).map((variant) => [
        variant,
        {
          what: VARIANTS[variant],
          processPerSecond: med(variant, (r) => r.processPerSecond),
          enqueuePerSecond: med(variant, (r) => r.enqueuePerSecond),
          commandsPerJob: med(variant, (r) => r.commandsPerJob.total),
          // Paired per round (both sides ran minutes apart at most), then the median: the machine's drift cancels out.
          ratioToBare: JOBS > 0 ? pairedRatio(runs, variant) : null,
          extraCommandsVsBare:
            JOBS > 0 ? round(med(variant, (r) => r.commandsPerJob.total) - med('bare', (r) => r.commandsPerJob.total)) : null,
        },
      ]),
    );

    const backlog = num('backlog');
    const fair: FairnessRun[] = [];
    if (backlog > 0) {
      const variants: ('bare' | 'layer')[] = args['skip-bare-fairness'] ? ['layer'] : ['layer', 'bare'];
      for (const variant of variants) {
        log(`fairness ${variant}: enqueueing ${backlog} jobs of tenant A…`);
        const run = await fairness(variant, url, backlog, num('probes'));
        fair.push(run);
        log(
          `fairness ${variant}: tenant B's job started after ${run.waitMs.join(', ')} ms (A's backlog left: ${run.backlogLeftAtLastProbe})`,
        );
      }
    }
    const layerWaits = fair.find((f) => f.variant === 'layer')?.waitMs ?? [];
    const result = {
      at: new Date().toISOString(),
      redis: info.redis_version,
      jobs: JOBS,
      tenants: TENANTS,
      concurrency: CONCURRENCY,
      runs,
      summary,
      fairness: fair,
      goals: {
        throughput: {
          goal: `>= ${THROUGHPUT_GOAL}x bare`,
          layer: summary.layer?.ratioToBare,
          layerLimited: summary['layer-limited']?.ratioToBare,
        },
        commands: {
          goal: `<= bare + ${COMMANDS_GOAL}`,
          layer: summary.layer?.extraCommandsVsBare,
          layerLimited: summary['layer-limited']?.extraCommandsVsBare,
        },
        fairness: { goal: `< ${FAIRNESS_GOAL_MS} ms`, worstMs: layerWaits.length ? Math.max(...layerWaits) : null },
      },
    };
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    const file = path.join(RESULTS_DIR, `limits-${result.at.replace(/[:.]/g, '-')}.json`);
    fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    log(`written to ${path.relative(process.cwd(), file)}`);
  } finally {
    await stopAll();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`limits bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
