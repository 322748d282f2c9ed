import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QUEUE_NAMES, type QueueName } from '@integrador/jobs';
import { createRedis, readTenantStats, waitUntilReady } from '@integrador/queue';
import { createEmpresa, issueApiKey } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { type AppProcess, ROOT, spawnCompiledApp } from '@integrador/test-support/processes';
import { clusterUnsupported, keysBySlot, type PrivateRedis, startPrivateRedis } from '@integrador/test-support/redis-cluster';
import { freePort, testPrefix } from '@integrador/test-support/redis-server';

// Scale-out: the same workload — pings through the ingress on every queue, run by one worker process per kind
// (CLUSTER_WORKERS_PER_KIND) — on a private single Redis and on a private three-master Redis Cluster (ports
// 17300–17302, cluster bus 27300–27302), with a hash-tagged KEY_PREFIX. Asserted: every accepted job completed exactly
// once on both, and on the cluster every key of the fleet sits in one slot. Printed: throughput beside the single
// node's. Short mode here; `npm run test:cluster` runs the long mode and writes bench/results/redis-cluster.{json,md}.
// Throughput is printed, never asserted (timing goals belong in bench/).

const LONG = process.env.CLUSTER_LONG === '1';
const PINGS_PER_QUEUE = Number(process.env.CLUSTER_PINGS ?? (LONG ? 500 : 40));
const WORKERS_PER_KIND = Number(process.env.CLUSTER_WORKERS_PER_KIND ?? 1);
const WORKER_CONCURRENCY = 4;
const IN_FLIGHT = 16;
const CLUSTER_PORTS = [17300, 17301, 17302];
const SINGLE_PORT = 17310;
const unsupported = clusterUnsupported();

interface RunResult {
  redis: 'single' | 'cluster';
  accepted: number;
  completed: number;
  failed: number;
  seconds: number;
  jobsPerSecond: number;
  /** 1-minute load average when the run ended (the machine is shared). */
  load: number;
}

/** Completed and failed counts per queue from the workers' own counters (kept past BullMQ's completed-job trimming). */
async function outcomes(redisUrl: string, clusterNodes: string[], prefix: string): Promise<Record<string, number>> {
  const redis = createRedis(redisUrl, { role: 'worker', clusterNodes });
  redis.on('error', () => undefined);
  try {
    await waitUntilReady(redis);
    const totals: Record<string, number> = {};
    for (const row of await readTenantStats(redis, prefix, 0)) {
      const key = `${row.queue}:${row.outcome}`;
      totals[key] = (totals[key] ?? 0) + row.count;
    }
    return totals;
  } finally {
    redis.disconnect();
  }
}

/** Starts the ingress and the workers on one Redis (or cluster), sends the pings, waits until all are done. */
async function runWorkload(target: PrivateRedis, cluster: boolean, database: TestDatabase): Promise<RunResult> {
  const prefix = testPrefix();
  const port = await freePort();
  const env = {
    REDIS_URL: target.url,
    ...(cluster ? { REDIS_CLUSTER_NODES: target.nodes.join(',') } : {}),
    CRM_DATABASE_URL: database.url,
    KEY_PREFIX: prefix,
    PORT: String(port),
    LOG_LEVEL: 'warn',
    // Each worker's CRM pool is its concurrency + 2 connections: kept small on the machine's shared PostgreSQL.
    WORKER_CONCURRENCY: String(WORKER_CONCURRENCY),
  };
  const apps: AppProcess[] = [];
  try {
    const ingress = spawnCompiledApp('ingress', { ...env, LOG_LEVEL: 'info' });
    apps.push(ingress);
    await ingress.waitForLog(/^Server listening/, 60000);
    for (const queue of QUEUE_NAMES) {
      for (let i = 0; i < WORKERS_PER_KIND; i++) {
        const worker = spawnCompiledApp(`worker-${queue}`, { ...env, LOG_LEVEL: 'info', METRICS_PORT: String(await freePort()) });
        apps.push(worker);
        await worker.waitForLog('worker started', 60000);
      }
    }
    const empresa = await createEmpresa(database.db, `Empresa Cluster ${prefix}`);
    const key = await issueApiKey(database.db, empresa, null, 'cluster');
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const work = QUEUE_NAMES.flatMap((queue) => Array.from({ length: PINGS_PER_QUEUE }, () => queue));
    let accepted = 0;
    const started = Date.now();
    const send = async () => {
      for (let queue = work.pop(); queue; queue = work.pop()) {
        const response = await fetch(`http://127.0.0.1:${port}/v1/ping`, { method: 'POST', headers, body: JSON.stringify({ queue }) });
        if (response.status === 202) accepted++;
        else throw new Error(`POST /v1/ping on ${queue} answered ${response.status}: ${await response.text()}`);
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, send));
    let done: Record<string, number> = {};
    const finished = () => QUEUE_NAMES.reduce((sum, q: QueueName) => sum + (done[`${q}:completed`] ?? 0) + (done[`${q}:failed`] ?? 0), 0);
    const deadline = Date.now() + 60_000 + PINGS_PER_QUEUE * 200;
    while (Date.now() < deadline) {
      done = await outcomes(target.url, cluster ? target.nodes : [], prefix);
      if (finished() >= accepted) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const seconds = (Date.now() - started) / 1000;
    // A moment more: a duplicate run of a job would show up as one completion too many.
    await new Promise((resolve) => setTimeout(resolve, 500));
    done = await outcomes(target.url, cluster ? target.nodes : [], prefix);
    const completed = QUEUE_NAMES.reduce((sum, q) => sum + (done[`${q}:completed`] ?? 0), 0);
    const failed = QUEUE_NAMES.reduce((sum, q) => sum + (done[`${q}:failed`] ?? 0), 0);
    if (cluster) {
      const { slots, keysPerNode } = await keysBySlot(target.nodes, prefix);
      expect({ slots: slots.size, nodesHoldingKeys: keysPerNode.filter((n) => n > 0).length }).toEqual({ slots: 1, nodesHoldingKeys: 1 });
    }
    const load = os.loadavg()[0] ?? 0;
    return { redis: cluster ? 'cluster' : 'single', accepted, completed, failed, seconds, jobsPerSecond: accepted / seconds, load };
  } finally {
    for (const app of apps) app.child.kill('SIGTERM');
    await Promise.all(apps.map((app) => app.exited));
  }
}

(unsupported ? describe.skip : describe)('scale-out on a local three-node Redis Cluster', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('postgres', { migrate: true });
  });
  afterAll(() => database?.drop());

  it(
    'runs the workload of every queue kind on a single Redis and on the cluster: nothing lost, one slot per fleet',
    async () => {
      const results: RunResult[] = [];
      // The long mode measures in the order single, cluster, cluster, single, so warm-up and a drifting machine load
      // weigh on both alike.
      for (const cluster of LONG ? [false, true, true, false] : [false, true]) {
        const target = await startPrivateRedis(cluster ? CLUSTER_PORTS : [SINGLE_PORT], { cluster });
        try {
          results.push(await runWorkload(target, cluster, database));
        } finally {
          await target.stop();
        }
      }
      for (const result of results) {
        process.stdout.write(
          `redis-cluster: ${result.redis.padEnd(7)} ${result.accepted} jobs (${QUEUE_NAMES.length} queues × ${PINGS_PER_QUEUE}, ` +
            `${WORKERS_PER_KIND} worker process(es) per kind) in ${result.seconds.toFixed(2)} s = ${result.jobsPerSecond.toFixed(0)} jobs/s; ` +
            `completed ${result.completed}, failed ${result.failed}, lost ${result.accepted - result.completed - result.failed}\n`,
        );
        expect(result).toMatchObject({ accepted: QUEUE_NAMES.length * PINGS_PER_QUEUE, completed: result.accepted, failed: 0 });
      }
      const single = combined(results.filter((r) => r.redis === 'single'));
      const cluster = combined(results.filter((r) => r.redis === 'cluster'));
      const ratio = cluster.jobsPerSecond / single.jobsPerSecond;
      process.stdout.write(`redis-cluster: cluster/single throughput ratio ${ratio.toFixed(2)}\n`);
      if (LONG) writeResults(single, cluster, ratio);
    },
    LONG ? 1_800_000 : 300_000,
  );
});
if (unsupported) process.stdout.write(`redis-cluster.test: skipped, ${unsupported} (install redis-server 6.2+ with redis-cli)\n`);

/** Several runs on one kind of Redis as one: jobs and seconds added, load averaged. */
function combined(runs: RunResult[]): RunResult {
  const sum = (pick: (r: RunResult) => number) => runs.reduce((total, r) => total + pick(r), 0);
  const seconds = sum((r) => r.seconds);
  const accepted = sum((r) => r.accepted);
  const base = { redis: runs[0]?.redis ?? 'single', accepted, completed: sum((r) => r.completed), failed: sum((r) => r.failed) };
  return { ...base, seconds, jobsPerSecond: accepted / seconds, load: sum((r) => r.load) / runs.length };
}

/** bench/results/redis-cluster.{json,md}: the long run's figures, for the benchmark report to include. */
function writeResults(single: RunResult, cluster: RunResult, ratio: number): void {
  const dir = path.join(ROOT, 'bench/results');
  fs.mkdirSync(dir, { recursive: true });
  const workload = `${QUEUE_NAMES.length} queues × ${PINGS_PER_QUEUE} pings through the ingress, ${WORKERS_PER_KIND} worker process(es) per kind with concurrency ${WORKER_CONCURRENCY}, ${IN_FLIGHT} requests in flight; two runs on each, in the order single, cluster, cluster, single (figures added up)`;
  const when = new Date().toISOString();
  const machine = `${os.cpus().length} CPUs, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  fs.writeFileSync(
    path.join(dir, 'redis-cluster.json'),
    `${JSON.stringify({ when, workload, machine, single, cluster, ratio }, null, 2)}\n`,
  );
  const row = (r: RunResult) =>
    `| ${r.redis} | ${r.accepted} | ${r.completed} | ${r.accepted - r.completed - r.failed} | ${r.seconds.toFixed(2)} | ${r.jobsPerSecond.toFixed(0)} | ${r.load.toFixed(1)} |`;
  const md = [
    `Redis Cluster run (\`npm run test:cluster\`, ${when}): ${workload}.`,
    '',
    `Machine: ${machine}.`,
    '',
    '| Redis | accepted | completed | lost | seconds | jobs/s | load average |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    row(single),
    row(cluster),
    '',
    `Cluster / single throughput: ${ratio.toFixed(2)}. Every key of the fleet sat in one hash slot, so one master did`,
    "all of the fleet's Redis work, as a single Redis does: the cluster cannot add throughput for one fleet, and on a",
    'shared machine the ratio mostly follows its changing load (in the table). A cluster serves several fleets',
    '(prefixes) side by side, and failover with replicas.',
    '',
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'redis-cluster.md'), md);
}
