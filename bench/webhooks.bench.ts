import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { parseAddressAllowlist } from '@integrador/connections';
import { createLogger } from '@integrador/logging';
import { createRedis, JobProducer, waitUntilReady } from '@integrador/queue';
import { createEmpresa } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { buildApps, spawnBuild } from '@integrador/test-support/processes';
import { openRedisMonitor } from '@integrador/test-support/redis-monitor';
import { deletePrefix, TEST_REDIS_URL, testPrefix } from '@integrador/test-support/redis-server';
import { spawnReceiver } from '@integrador/test-support/webhook-receiver';
import { createEndpoint, DEFAULT_WEBHOOK_SETTINGS, publishChange } from '@integrador/webhooks';
import type { Redis } from 'ioredis';
import { sql } from 'kysely';
import { Agent, request } from 'undici';
import { summarizeCpuProfile } from './cpuprofile-summary';
import { crmStatements } from './support/pg-statements';

// Webhook deliveries through the whole product path (stored payload → webhook.deliver jobs → a worker-webhook process →
// signed POST) to a receiver in its own process, against a bare undici request() loop making the same POSTs to the same
// receiver in the same run; then Redis memory per queued delivery with --queued deliveries waiting.
// Run: npx tsx bench/webhooks.bench.ts [--deliveries 5000] [--concurrency 100] [--queued 100000] [--cpu-prof]
//        [--fail-ratio R]

const DEFAULT_WORKER_JS = 'apps/worker-webhook/dist/main.js';
const { values: args } = parseArgs({
  options: {
    deliveries: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '100' },
    queued: { type: 'string', default: '100000' },
    'cpu-prof': { type: 'boolean', default: false },
    // Counts the worker's Redis commands per delivery with MONITOR (which slows Redis: take throughput from a run without it).
    'count-redis': { type: 'boolean', default: false },
    // Another build of the worker (a copy of apps/worker-webhook/dist/main.js, e.g. the code before a change) for A/B runs.
    'worker-js': { type: 'string', default: DEFAULT_WORKER_JS },
    // The receiver answers 500 to this share (0–1) of the deliveries: 1 is a customer's receiver down. Their retries are
    // scheduled past the run and the breaker is kept shut, so every delivery makes one attempt and is counted once.
    'fail-ratio': { type: 'string', default: '0' },
  },
});
// The default worker is this checkout's build: built again first when a source changed since (the check `npm start`
// makes), so a run never measures code that is not there. A --worker-js naming another build (e.g. the code before a
// change, for an A/B run) is taken as it is.
if (args['worker-js'] === DEFAULT_WORKER_JS) buildApps();
const N = Number(args.deliveries);
const C = Number(args.concurrency);
const QUEUED = Number(args.queued);
const FAIL_RATIO = Number(args['fail-ratio']);
if (!(FAIL_RATIO >= 0 && FAIL_RATIO <= 1)) throw new Error(`--fail-ratio: expected a share from 0 to 1, got ${args['fail-ratio']}`);
// The breaker opens after WEBHOOK_BREAKER_FAILURES (1000 at most) failures in a row: past that, deliveries would wait
// instead of making their one attempt, and the figures would count refusals.
if (FAIL_RATIO === 1 && N >= 1000)
  throw new Error(`--fail-ratio 1: expected fewer than 1000 --deliveries (the breaker opens at 1000 failures in a row), got ${N}`);
// The product's deliveries go to this path of the receiver (every request counted there, whatever it answered).
const PRODUCT_PATH = FAIL_RATIO > 0 ? `/some/${FAIL_RATIO}/product` : '/ok/product';
const PROFILE_DIR = path.join(__dirname, 'results', `cpu-webhooks-${Date.now()}`);
const logger = createLogger({ name: 'bench', level: 'silent' });

/** Transactions committed in the run's database so far (statements outside a transaction commit one each). */
async function commits(database: TestDatabase): Promise<number> {
  const { rows } = await sql<{ n: string }>`SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()`.execute(
    database.db,
  );
  return Number(rows[0]?.n);
}

/** CPU time (user + system) a process has used so far, in ms, from /proc (Linux): a figure load does not inflate. */
function cpuMsOf(pid: number | undefined): number {
  if (pid === undefined || !fs.existsSync(`/proc/${pid}/stat`)) return Number.NaN;
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** Counts the commands clients send on the run's keys (MONITOR; commands run inside scripts are left out). */
async function countRedisCommands(redis: Redis, prefix: string): Promise<{ stop(): Map<string, number>; lost(): number }> {
  // The lines MONITOR sends before its connection is switched to monitoring are not counted (lost() says how many);
  // any other error of that connection is logged.
  const monitor = await openRedisMonitor(redis, {
    onError: (err) => process.stderr.write(`MONITOR connection error: ${err.message}\n`),
  });
  const counts = new Map<string, number>();
  monitor.connection.on('monitor', (_time: string, args: string[], source: string) => {
    if (source === 'lua' || !args.some((arg) => arg.startsWith(prefix))) return;
    const name = (args[0] ?? '').toLowerCase();
    counts.set(name, (counts.get(name) ?? 0) + 1);
  });
  return {
    stop: () => {
      monitor.connection.disconnect();
      return counts;
    },
    lost: monitor.lost,
  };
}

async function count(url: string, path: string): Promise<number> {
  return Number(await (await fetch(`${url}/_count?path=${path}`)).text());
}

async function bareLoop(url: string, body: string): Promise<{ rate: number; cpuMs: number }> {
  const agent = new Agent({ connections: C, keepAliveTimeout: 4000 });
  let next = 0;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  await Promise.all(
    Array.from({ length: C }, async () => {
      while (next < N) {
        next++;
        const response = await request(`${url}/ok/bare`, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/json' },
          body,
        });
        await response.body.dump();
      }
    }),
  );
  const rate = N / ((performance.now() - started) / 1000);
  const cpu = process.cpuUsage(cpuBefore);
  await agent.close();
  return { rate, cpuMs: (cpu.user + cpu.system) / 1000 / N };
}

async function main(): Promise<void> {
  const receiver = await spawnReceiver();
  const database = await createTestDatabase('postgres');
  const prefix = testPrefix();
  const redis = createRedis(TEST_REDIS_URL, { role: 'producer' });
  await waitUntilReady(redis);
  const producer = new JobProducer({ connection: redis, prefix, timeoutMs: 10000, logger });
  try {
    const empresaId = await createEmpresa(database.db, 'Bench');
    await createEndpoint(
      database.db,
      // The worker's allow configuration below (WEBHOOK_ALLOWED_NETWORKS): creation refuses a loopback URL without it.
      { ...DEFAULT_WEBHOOK_SETTINGS, allowlist: parseAddressAllowlist(['127.0.0.1/32']) },
      { empresaId, filialId: null },
      {
        nome: 'bench',
        url: `${receiver.url}${PRODUCT_PATH}`,
        gatilhos: ['contato.criado'],
      },
    );
    await sql`INSERT INTO contatos (id, empresa_id, codigo, nome, email) SELECT g, ${empresaId}, 'B' || g, 'Contato ' || g, 'c' || g || '@exemplo.com.br' FROM generate_series(1, ${N}) AS g`.execute(
      database.db,
    );
    const sample = JSON.stringify([{ id: '1', codigo: 'B1', nome: 'Contato 1' }]);

    const { rate: bare, cpuMs: bareCpuMs } = await bareLoop(receiver.url, sample);
    process.stdout.write(
      `bare undici request() loop: ${bare.toFixed(0)} POSTs/s (${N} POSTs, ${C} at a time), ${bareCpuMs.toFixed(3)} CPU ms per POST\n`,
    );

    const publishStarted = performance.now();
    for (let id = 1; id <= N; id++) {
      await publishChange(database.db, producer, {
        empresaId,
        tabela: 'contatos',
        registroId: String(id),
        operacao: 'criado',
        chave: `b${id}`,
      });
    }
    const publishRate = N / ((performance.now() - publishStarted) / 1000);
    process.stdout.write(`publish (payload built and stored, delivery row, job): ${publishRate.toFixed(0)} changes/s\n`);

    // pg_stat_database is updated when a backend's transaction ends and reported with a delay: let it settle first.
    await sleep(1000);
    const commitsBefore = await commits(database);
    // The CRM statements the worker runs (pg_stat_statements: only when the server loads it, e.g. a private one).
    const statementsBefore = await crmStatements(database.db);
    // The worker runs from its build (node scripts/build.mjs), as `npm start` and the image run it.
    const worker = spawnBuild(
      args['worker-js'],
      {
        REDIS_URL: TEST_REDIS_URL,
        KEY_PREFIX: prefix,
        CRM_DATABASE_URL: database.url,
        LOG_LEVEL: 'info',
        WORKER_CONCURRENCY: String(C),
        WEBHOOK_ENDPOINT_CONCURRENCY: String(C),
        WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32',
        ...(FAIL_RATIO > 0 ? { WEBHOOK_RETRY_SCHEDULE_MS: '3600000', WEBHOOK_BREAKER_FAILURES: '1000' } : {}),
      },
      [],
      args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [],
    );
    // Timed from the worker's "worker started" line (loading the app is start-up, measured by startup.bench.ts); what
    // it delivered before that line is left out of the count.
    await worker.waitForLog('worker started', 60000);
    const redisCommands = args['count-redis'] ? await countRedisCommands(redis, prefix) : undefined;
    const started = performance.now();
    const cpuAtStart = cpuMsOf(worker.child.pid);
    const atStart = await count(receiver.url, PRODUCT_PATH);
    if (atStart >= N) throw new Error(`all ${N} deliveries were made before the worker's ready line: raise --deliveries`);
    while ((await count(receiver.url, PRODUCT_PATH)) < N) await sleep(50);
    const product = (N - atStart) / ((performance.now() - started) / 1000);
    // The worker's CPU per delivery while delivering (its writes of the last batch may still be under way: a hair low).
    const workerCpuMs = (cpuMsOf(worker.child.pid) - cpuAtStart) / (N - atStart);
    const commandCounts = redisCommands?.stop();
    worker.child.kill('SIGTERM');
    await worker.exited;
    await sleep(1000);
    const perDelivery = ((await commits(database)) - commitsBefore) / N;
    const statementsAfter = statementsBefore ? await crmStatements(database.db) : null;
    const failed = Number(
      (await sql<{ n: string }>`SELECT count(*) AS n FROM webhook_tentativas WHERE status_http IS DISTINCT FROM 200`.execute(database.db))
        .rows[0]?.n,
    );
    process.stdout.write(
      `product path (worker-webhook process): ${product.toFixed(0)} deliveries/s = ${(product / bare).toFixed(2)}× the bare loop, ${workerCpuMs.toFixed(3)} worker CPU ms per delivery\n`,
    );
    process.stdout.write(`database: ${perDelivery.toFixed(2)} commits per delivery (the worker's, job records included)\n`);
    // Every statement of the run's database between the two snapshots (the worker's start-up included, as in the commits).
    let statementsPerDelivery: number | null = null;
    if (statementsBefore && statementsAfter) {
      let total = 0;
      for (const [id, counters] of statementsAfter) {
        if (!/pg_stat_statements|pg_stat_database/.test(counters.query)) total += counters.calls - (statementsBefore.get(id)?.calls ?? 0);
      }
      statementsPerDelivery = total / N;
      process.stdout.write(`database: ${statementsPerDelivery.toFixed(2)} statements per delivery (pg_stat_statements)\n`);
    }
    process.stdout.write(`failures: ${failed} of ${N} deliveries answered 500 (--fail-ratio ${FAIL_RATIO})\n`);
    const loadavg = fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    const summary = {
      failRatio: FAIL_RATIO,
      deliveries: N,
      failed,
      deliveriesPerSecond: Math.round(product),
      workerCpuMs,
      perDelivery,
      statementsPerDelivery,
      loadavg,
    };
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    if (commandCounts) {
      const total = [...commandCounts.values()].reduce((a, b) => a + b, 0);
      const top = [...commandCounts].sort((a, b) => b[1] - a[1]).map(([name, n]) => `${name} ${(n / (N - atStart)).toFixed(2)}`);
      const lost = redisCommands?.lost() ? `; ${redisCommands.lost()} MONITOR lines lost at its start, not counted` : '';
      process.stdout.write(`redis: ${(total / (N - atStart)).toFixed(2)} commands per delivery (${top.join(', ')}${lost})\n`);
    }
    if (args['cpu-prof']) {
      const files = fs.readdirSync(PROFILE_DIR).map((f) => path.join(PROFILE_DIR, f));
      const biggest = files.sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0];
      if (biggest) process.stdout.write(`worker CPU profile: ${biggest}\n${JSON.stringify(summarizeCpuProfile(biggest, 20), null, 1)}\n`);
    }

    const before = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1]);
    const queue = producer.queue('webhook');
    for (let i = 0; i < QUEUED; i += 1000) {
      const jobs = Array.from({ length: Math.min(1000, QUEUED - i) }, (_, k) => ({
        name: 'webhook.deliver',
        data: { tenant: { empresaId, filialId: null }, entregaId: i + k + 1 },
        opts: { jobId: `mem-${i + k}` },
      }));
      await queue.addBulk(jobs);
    }
    const after = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1]);
    process.stdout.write(
      `memory: ${QUEUED} deliveries queued take ${((after - before) / 1024 / 1024).toFixed(1)} MiB of Redis (${((after - before) / QUEUED).toFixed(0)} bytes each; payloads stay in the database)\n`,
    );
  } finally {
    await producer.close();
    await deletePrefix(TEST_REDIS_URL, prefix);
    redis.disconnect();
    await receiver.close();
    await database.drop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
