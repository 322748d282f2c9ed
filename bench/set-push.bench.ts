import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '@integrador/logging';
import { createRedis, JobProducer, waitUntilReady } from '@integrador/queue';
import { type DialectName, migrateTo, migrateToLatest } from '@integrador/store';
import type { AppProcess } from '@integrador/test-support/processes';
import { deletePrefix, freePort, startPrivateRedis } from '@integrador/test-support/redis-server';
import { sql } from 'kysely';
import { DEFAULT_CREDENTIALS, SERVICE_PATH, type SeniorG5Server, startSeniorG5Server, WSDL_LINK } from '../test/fixtures/senior-g5';
import { type CpuSummary, summarizeCpuProfile } from './cpuprofile-summary';
import { type BaselineReport, runBaseline, runHandwrittenBaseline } from './support/baseline';
import { startBenchRun } from './support/bench-run';
import { addRangeIntegration, type BenchCrm, createBenchCrm, requestBodies, writeConnectionsFile } from './support/crm';
import { crmServerCpu, crmStatements, statementsPerPush } from './support/pg-statements';
import { machineCpu, serverCpu } from './support/proc';
import {
  enqueuePushes,
  failureLog,
  finishedPushes,
  lastFinishedAt,
  type ProductTarget,
  sampleWorker,
  startWorker,
  stopWorker,
  WORKER_SET_NODE_FLAGS,
  type WorkerSample,
  waitForPushes,
  waitingJobs,
  workerGcMs,
} from './support/product';
import { commandStats, commandsPer } from './support/redis-commands';
import { median, round, slope, spread } from './support/stats';

// SET pushes per second through the product path (Redis → worker-set → CRM database → SOAP → write-back), against a
// bare `soap` client loop making the same GravarClientes calls in the same run, plus a long run watching the
// worker's memory. Run: npx tsx bench/set-push.bench.ts [--pushes N] [--concurrency 50] [--memory-pushes N]
// (bench/README.md explains every option and what is measured).

const GOAL = 0.7;
/** The server processes whose CPU is reported next to the worker's (SQLite runs inside the worker). */
const SERVER_COMMANDS: Record<DialectName, string[]> = {
  postgres: ['postgres', 'redis-server'],
  mysql: ['mariadbd', 'mysqld', 'redis-server'],
  sqlite: ['redis-server'],
};
const RESULTS_DIR = path.join(__dirname, 'results');

const { values: args } = parseArgs({
  options: {
    pushes: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '50' },
    'memory-pushes': { type: 'string', default: '100000' },
    contas: { type: 'string', default: '10000' },
    warmup: { type: 'string', default: '1000' },
    database: { type: 'string', default: 'postgres' },
    'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
    'cpu-prof': { type: 'boolean', default: false },
    lote: { type: 'string', default: '1' },
    processes: { type: 'string', default: '1' },
    'worker-bundle': { type: 'string' },
    'semi-space': { type: 'string', default: 'product' },
    'erp-latency-ms': { type: 'string', default: '0' },
    'worker-concurrency': { type: 'string' },
    'per-job': { type: 'string', default: '1' },
    'crm-migration': { type: 'string', default: 'latest' },
    bracket: { type: 'boolean', default: false },
  },
});

function count(name: keyof typeof args, min: number): number {
  const value = Number(args[name]);
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name} expects an integer ≥ ${min}, got ${String(args[name])}`);
  return value;
}

const options = {
  pushes: count('pushes', 0),
  concurrency: count('concurrency', 1),
  memoryPushes: count('memory-pushes', 0),
  contas: count('contas', 1),
  warmup: count('warmup', 1),
  database: args.database as DialectName,
  redisUrl: args['redis-url'] as string,
  cpuProf: args['cpu-prof'] === true,
  /**
   * Folders with another build's dist/main.js to run as the worker (A/B against an older commit), one product run each,
   * in order, between the same baselines (`old,this,old,this`: `this` is this build); default: this build.
   */
  workerBundles: String(args['worker-bundle'] ?? 'this')
    .split(',')
    .map((value) => (value === 'this' || value === '' ? undefined : value)),
  /** integracao.lote_maximo of the product run: > 1 turns micro-batching on (the baselines still send one per call). */
  lote: count('lote', 1),
  /** How long the ERP double waits before answering every GravarClientes call (0: answers at once, the goal's setting). */
  erpLatencyMs: count('erp-latency-ms', 0),
  /** WORKER_CONCURRENCY of the product run (pushes in flight per process); default --concurrency, as the baselines. */
  workerConcurrency: args['worker-concurrency'] === undefined ? count('concurrency', 1) : count('worker-concurrency', 1),
  /** WORKER_PROCESSES of each product run, in order (`1,2`: one run with one process, then one with two). */
  processes: String(args.processes)
    .split(',')
    .map((value) => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1 || n > 99)
        throw new Error(`--processes expects integers from 1 to 99 separated by commas, got ${args.processes}`);
      return n;
    }),
  /**
   * V8's --max-semi-space-size (MB) of the worker, one product run and one memory run per value, in order; `product` =
   * the flags the product starts worker-set with (none), `0` = V8's default.
   */
  semiSpaceMb: String(args['semi-space'])
    .split(',')
    .map((value) => {
      if (value === 'product') return null;
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0 || n > 1024)
        throw new Error(`--semi-space expects 'product' or integers from 0 to 1024 (MB) separated by commas, got ${args['semi-space']}`);
      return n;
    }),
  /**
   * Pushes per job of each product run, in order (`1,50:1,1,50:1`): 1 = one job per conta, as production enqueues;
   * K > 1 = one job per K consecutive contas (SET-WS-CONTAS-FAIXA, addRangeIntegration), to measure what a job costs a
   * push; `K:C` runs that one with WORKER_CONCURRENCY C (jobs in flight), e.g. 50:1 keeps 50 pushes in flight as 1:50.
   */
  perJob: String(args['per-job'])
    .split(',')
    .map((value) => {
      const [k, c] = value.split(':').map(Number);
      const valid = (n: number | undefined, max: number) => n !== undefined && Number.isInteger(n) && n >= 1 && n <= max;
      if (!valid(k, 1000) || (c !== undefined && !valid(c, 10000)))
        throw new Error(`--per-job expects K or K:C (integers from 1 to 1000, C to 10000) separated by commas, got ${args['per-job']}`);
      return { pushes: k as number, concurrency: c };
    }),
  /**
   * The CRM's schema of each product run, in order (`027-execucoes-chave-binaria,latest`: the database is migrated down
   * to that migration, or up to the latest, before its runs), for A/B runs of a migration with the same worker build.
   */
  crmMigrations: String(args['crm-migration'])
    .split(',')
    .map((value) => {
      if (!/^(latest|\d{3}-[\w-]+)$/.test(value))
        throw new Error(`--crm-migration expects 'latest' or migration names separated by commas, got ${args['crm-migration']}`);
      return value;
    }),
  /** A bare soap loop after every product run too, so that each one is judged against the loops on either side of it. */
  bracket: Boolean(args.bracket),
};
for (const { pushes: k } of options.perJob)
  if (options.contas % k || options.pushes % k || options.warmup % k)
    throw new Error(`--per-job ${k}: --contas, --pushes and --warmup must be multiples of it (jobs take whole ranges of contas)`);
if (!['postgres', 'sqlite', 'mysql'].includes(options.database)) throw new Error(`--database expects postgres, sqlite or mysql`);

const { stamp, log, cleanups, cleanUp } = startBenchRun();

/** Node flags that make one child write a CPU profile under the run's profile folder, when --cpu-prof. */
function profileFlags(label: string): string[] {
  return options.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${path.join(RESULTS_DIR, `cpu-${stamp}`, label)}`] : [];
}

/** The main thread's profile of one child (the biggest file: tsx's loader thread writes a small one too). */
function profileSummary(label: string): CpuSummary | null {
  if (!options.cpuProf) return null;
  const dir = path.join(RESULTS_DIR, `cpu-${stamp}`, label);
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')) : [];
  const biggest = files.map((f) => path.join(dir, f)).sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0];
  return biggest ? summarizeCpuProfile(biggest, 15) : null;
}

interface Env {
  erp: SeniorG5Server;
  crm: BenchCrm;
  bodies: Record<string, unknown>[];
  tmp: string;
  connectionsFile: string;
  target: ProductTarget;
}

async function setUp(): Promise<Env> {
  const erp = await startSeniorG5Server({ callLatencyMs: options.erpLatencyMs });
  cleanups.push({ name: 'erp double', run: () => erp.close() });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-set-'));
  cleanups.push({ name: 'temp dir', run: () => fs.rmSync(tmp, { recursive: true, force: true }) });
  log(`creating the CRM database (${options.database}) with ${options.contas} contas`);
  const crm = await createBenchCrm(options.database, options.contas);
  cleanups.push({ name: 'crm database', run: () => crm.database.drop() });
  const bodies = await requestBodies(crm);
  if (options.lote > 1) {
    await crm.database.db.updateTable('integracao').set({ lote_maximo: options.lote }).where('id', '=', crm.integracaoId).execute();
  }
  if (options.perJob.some((run) => run.pushes > 1)) await addRangeIntegration(crm);
  const connectionsFile = writeConnectionsFile(tmp, erp.url);

  if (options.redisUrl === 'private') {
    // A redis-server of its own: INFO commandstats then counts this run's commands only.
    const server = await startPrivateRedis();
    cleanups.push({ name: 'private redis', run: () => server.stop('SIGTERM') });
    options.redisUrl = server.url;
    log(`private redis-server on ${server.url}`);
  }
  const prefix = `{bench-${randomBytes(4).toString('hex')}}`;
  const redis = createRedis(options.redisUrl, { role: 'producer' });
  await waitUntilReady(redis);
  cleanups.push({ name: 'redis', run: () => redis.quit() });
  cleanups.push({ name: 'redis keys', run: () => deletePrefix(options.redisUrl, prefix) });
  const producer = new JobProducer({ connection: redis, prefix, timeoutMs: 10000, logger: createLogger({ name: 'bench', level: 'warn' }) });
  cleanups.push({ name: 'producer', run: () => producer.close() });
  return { erp, crm, bodies, tmp, connectionsFile, target: { redis, producer, prefix, crm, next: 0, perJob: 1 } };
}

/** Where both baselines call the ERP double, and how many calls they keep in flight. */
function erpCalls(env: Env) {
  return {
    wsdlUrl: `${env.erp.url}${WSDL_LINK}`,
    endpoint: `${env.erp.url}${SERVICE_PATH}`,
    ...DEFAULT_CREDENTIALS,
    calls: options.pushes,
    concurrency: options.concurrency,
  };
}

/**
 * A baseline process's report as the summary shows it (`machine`: the machine's busy share meanwhile; `erpMaxInFlight`:
 * the most GravarClientes calls the double answered at once during the process, its warm-up included: same lanes).
 */
function baselineSummary(label: string, report: BaselineReport, machine: number, erpMaxInFlight: number) {
  const perSecond = report.calls / (report.elapsedMs / 1000);
  log(`${label}: ${report.calls} calls in ${round(report.elapsedMs / 1000, 2)} s = ${round(perSecond)}/s (${report.errors} errors)`);
  return {
    calls: report.calls,
    errors: report.errors + report.warmupErrors,
    elapsedMs: round(report.elapsedMs, 0),
    perSecond: round(perSecond),
    clientCpuMsPerCall: round(report.cpuMs / report.calls, 3),
    clientRssMb: round(report.rssMb),
    erpMaxInFlight,
    machineCpuBusy: round(machine, 2),
    profile: profileSummary(label),
  };
}

/** One bare-soap baseline: every conta once untimed (creating the ERP's customers), then `pushes` timed calls. */
async function baseline(env: Env, label: string) {
  const parentCpu = process.cpuUsage();
  const machine = machineCpu();
  const plan = { ...erpCalls(env), bodies: env.bodies, warmupCalls: env.bodies.length };
  const inFlight = erpInFlight(env);
  const report = await runBaseline(env.tmp, label, plan, profileFlags(label));
  const erpCpu = process.cpuUsage(parentCpu);
  return {
    ...baselineSummary(label, report, machine(), inFlight()),
    // The double runs in this process: its CPU includes the warm-up pass, so it is given per call of both.
    erpCpuMsPerCall: round((erpCpu.user + erpCpu.system) / 1000 / (report.calls + report.warmupCalls), 3),
  };
}

/**
 * The hand-written pg + soap loop (PostgreSQL CRM only): read the conta, the same GravarClientes call, the same UPDATE
 * of id_erp, `concurrency` in flight, after `warmup` untimed pushes.
 */
async function handwritten(env: Env, label: string) {
  const machine = machineCpu();
  const plan = {
    ...erpCalls(env),
    databaseUrl: env.crm.database.url,
    poolSize: 10,
    contaIds: env.crm.contaIds,
    expectedBodies: env.bodies.slice(0, 20),
    warmupCalls: options.warmup,
  };
  const inFlight = erpInFlight(env);
  return baselineSummary(label, await runHandwrittenBaseline(env.tmp, label, plan, profileFlags(label)), machine(), inFlight());
}

/** Counts from now the most GravarClientes calls the ERP double answers at once; the returned function reads it. */
function erpInFlight(env: Env): () => number {
  env.erp.requests.maxInFlight = env.erp.requests.inFlight;
  return () => env.erp.requests.maxInFlight;
}

function rssOf(samples: WorkerSample[]) {
  const first = samples[0];
  const last = samples[samples.length - 1];
  return { start: round(first?.rssMb ?? 0), peak: round(Math.max(...samples.map((s) => s.rssMb))), end: round(last?.rssMb ?? 0) };
}

/** The worker's young-generation flag for one --semi-space value: null = as the product starts it, 0 = none. */
function semiSpaceFlags(mb: number | null): string[] {
  if (mb === null) return [...WORKER_SET_NODE_FLAGS];
  return mb === 0 ? [] : [`--max-semi-space-size=${mb}`];
}

/**
 * `bundle` has no default: undefined is "this build" (`--worker-bundle old,this`), and a default of the first bundle
 * made every `this` run after an `old` one run `old` again (until 2026-12-06).
 */
function workerEnv(
  env: Env,
  nodeFlags: string[],
  processes: number,
  metricsPort: number | undefined,
  bundle: string | undefined,
  concurrency = options.workerConcurrency,
) {
  return {
    metricsPort,
    processes,
    redisUrl: options.redisUrl,
    prefix: env.target.prefix,
    databaseUrl: env.crm.database.url,
    connectionsFile: env.connectionsFile,
    concurrency,
    nodeFlags,
    bundle,
  };
}

/** PostgreSQL's count of committed and rolled-back transactions in the CRM database (null for other dialects). */
async function crmTransactions(env: Env): Promise<number | null> {
  if (env.crm.database.dialect !== 'postgres') return null;
  const query = sql<{ n: string }>`select xact_commit + xact_rollback as n from pg_stat_database where datname = current_database()`;
  const { rows } = await query.execute(env.crm.database.db);
  return Number(rows[0]?.n ?? Number.NaN);
}

/** The CRM tables a push updates, and their updates and heap-only (HOT) updates so far (PostgreSQL's pg_stat_user_tables). */
const UPDATED_TABLES = ['integracao_execucoes', 'contas'];

async function crmTableUpdates(env: Env): Promise<Record<string, { updates: number; hot: number }> | null> {
  if (env.crm.database.dialect !== 'postgres') return null;
  const { rows } = await sql<{ relname: string; upd: string; hot: string }>`select relname, n_tup_upd as upd, n_tup_hot_upd as hot
    from pg_stat_user_tables where relname in (${sql.join(UPDATED_TABLES)})`.execute(env.crm.database.db);
  return Object.fromEntries(rows.map((row) => [row.relname, { updates: Number(row.upd), hot: Number(row.hot) }]));
}

/** Updates per push and the HOT share of each table between two readings of crmTableUpdates. */
function updatesPerPush(
  before: Awaited<ReturnType<typeof crmTableUpdates>>,
  after: Awaited<ReturnType<typeof crmTableUpdates>>,
  pushes: number,
): Record<string, { updatesPerPush: number; hotPerPush: number; hotShare: number }> | null {
  if (!before || !after) return null;
  return Object.fromEntries(
    UPDATED_TABLES.map((table) => {
      const updates = (after[table]?.updates ?? 0) - (before[table]?.updates ?? 0);
      const hot = (after[table]?.hot ?? 0) - (before[table]?.hot ?? 0);
      return [
        table,
        { updatesPerPush: round(updates / pushes, 3), hotPerPush: round(hot / pushes, 3), hotShare: round(hot / Math.max(updates, 1), 3) },
      ];
    }),
  );
}

/**
 * --bracket: before a bare loop runs, PostgreSQL's autovacuum of what the product run just wrote is let finish (up to a
 * minute), so that the loop is not measured against it; the wait is logged.
 */
async function settle(env: Env): Promise<void> {
  if (env.crm.database.dialect !== 'postgres') return;
  const started = Date.now();
  for (;;) {
    const { rows } = await sql<{
      n: string;
    }>`SELECT count(*) AS n FROM pg_stat_activity WHERE backend_type = 'autovacuum worker' AND datname = current_database()`.execute(
      env.crm.database.db,
    );
    if (Number(rows[0]?.n) === 0 || Date.now() - started > 60_000) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  log(`settle: ${Date.now() - started} ms until no autovacuum worker ran`);
}

/** Brings the CRM to `migration` (`latest`, or down / up to that one) before a product run. */
async function migrateCrm(env: Env, migration: string): Promise<void> {
  if (migration === 'latest') await migrateToLatest(env.crm.database);
  else await migrateTo(env.crm.database, migration);
  log(`crm: migrated to ${migration}`);
}

/**
 * The product path: one worker-set (with `processes` worker processes), warmed up, then `pushes` jobs timed from the
 * first enqueue to the last finish. Transactions per push are counted around the worker's whole life (its backends
 * flush their statistics on exit).
 */
async function product(
  env: Env,
  processes: number,
  semiSpaceMb: number | null,
  bundle: string | undefined,
  perJob: (typeof options.perJob)[number],
  crmMigration: string,
) {
  env.target.perJob = perJob.pushes;
  const concurrency = perJob.concurrency ?? options.workerConcurrency;
  const transactionsBefore = await crmTransactions(env);
  const updatesBefore = await crmTableUpdates(env);
  const statementsBefore = env.crm.database.dialect === 'postgres' ? await crmStatements(env.crm.database.db) : null;
  const metricsPort = await freePort();
  const worker = startWorker(
    workerEnv(env, [...semiSpaceFlags(semiSpaceMb), ...profileFlags('worker')], processes, metricsPort, bundle, concurrency),
  );
  cleanups.push({ name: 'worker', run: () => stopWorker(worker) });
  let result: Awaited<ReturnType<typeof timedPushes>>;
  try {
    result = await timedPushes(env, worker, metricsPort);
  } finally {
    await stopWorker(worker);
  }
  // The worker's backends flush their table statistics as they exit.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const transactionsAfter = await crmTransactions(env);
  const crmUpdates = updatesPerPush(updatesBefore, await crmTableUpdates(env), options.warmup + options.pushes);
  const statementsAfter = statementsBefore ? await crmStatements(env.crm.database.db) : null;
  // Statements per push by kind, when the CRM server loads pg_stat_statements (a private server: see bench/README.md).
  const crmStatementsPerPush =
    statementsBefore && statementsAfter ? statementsPerPush(statementsBefore, statementsAfter, options.warmup + options.pushes) : null;
  const failures = failureLog(worker);
  const transactions =
    transactionsBefore === null || transactionsAfter === null
      ? null
      : (transactionsAfter - transactionsBefore) / (options.warmup + options.pushes);
  return {
    processes,
    semiSpaceMb,
    workerBundle: bundle ?? 'this build',
    perJob: perJob.pushes,
    workerConcurrency: concurrency,
    crmMigration,
    ...result,
    crmUpdates,
    crmTransactionsPerPush: transactions === null ? null : round(transactions, 1),
    crmStatementsPerPush,
    workerFailures: failures,
  };
}

/** Warms the worker up, then enqueues `pushes` jobs and waits for them, sampling the worker's RSS and CPU every second. */
async function timedPushes(env: Env, worker: AppProcess, metricsPort: number) {
  const { target } = env;
  const pid = worker.child.pid ?? 0;
  const before = await finishedPushes(target);
  await enqueuePushes(target, options.warmup);
  const warm = before.completed + before.failed + options.warmup;
  await waitForPushes(target, { target: warm, worker, stallMs: 120000 });
  log(`product: worker ${pid} warmed up with ${options.warmup} pushes; timing ${options.pushes}`);

  let finished = 0;
  const sampler = sampleWorker(pid, 1000, () => finished);
  const erpCalls = env.erp.requests.count;
  const inFlight = erpInFlight(env);
  const parentCpu = process.cpuUsage();
  const machine = machineCpu();
  const servers = serverCpu(SERVER_COMMANDS[options.database]);
  const crmCpu = env.crm.database.dialect === 'postgres' ? await crmServerCpu(env.crm.database.db) : null;
  const commandsBefore = await commandStats(target.redis);
  const gcBefore = await workerGcMs(metricsPort);
  const started = Date.now();
  await enqueuePushes(target, options.pushes);
  const enqueueMs = Date.now() - started;
  const counts = await waitForPushes(target, {
    target: warm + options.pushes,
    worker,
    onTick: (total) => {
      finished = total - warm;
    },
  });
  const ended = (await lastFinishedAt(target)) ?? Date.now();
  const gcAfter = await workerGcMs(metricsPort);
  const erpMaxInFlight = inFlight();
  finished = counts.completed + counts.failed - warm;
  sampler.stop();
  const commands = commandsPer(commandsBefore, await commandStats(target.redis), options.pushes, 0.01);
  const redisCommands = { ...commands, total: round(commands.total, 2) };
  const machineBusy = machine();
  const serverShares = servers();
  const crmCpuMs = crmCpu?.() ?? null;
  const erpCpu = process.cpuUsage(parentCpu);
  const elapsedMs = ended - started;
  const perSecond = options.pushes / (elapsedMs / 1000);
  const samples = sampler.samples;
  const workerCpuMs = (samples[samples.length - 1]?.cpuMs ?? 0) - (samples[0]?.cpuMs ?? 0);
  log(`product: ${options.pushes} pushes in ${round(elapsedMs / 1000, 2)} s = ${round(perSecond)}/s (${counts.failed} failed)`);
  return {
    pushes: options.pushes,
    failed: counts.failed - before.failed,
    elapsedMs,
    enqueueMs,
    perSecond: round(perSecond),
    erpCalls: env.erp.requests.count - erpCalls,
    /** The most GravarClientes calls the ERP double answered at once during the timed pushes (calls, not pushes, in a batch). */
    erpMaxInFlight,
    workerCpuMsPerPush: round(workerCpuMs / options.pushes, 3),
    /** The worker's GC pauses per push by kind (prom-client's nodejs_gc_duration_seconds; with several processes, the primary's answer for all). */
    workerGcMsPerPush: Object.fromEntries(
      Object.entries(gcAfter).map(([kind, { ms, count }]) => [
        kind,
        { ms: round((ms - (gcBefore[kind]?.ms ?? 0)) / options.pushes, 3), count: count - (gcBefore[kind]?.count ?? 0) },
      ]),
    ),
    /** This process: the ERP double, plus enqueueing and polling. */
    benchProcessCpuMsPerPush: round((erpCpu.user + erpCpu.system) / 1000 / options.pushes, 3),
    /** Who used the machine's 2 cores while the pushes ran (1 = one core busy all the time). */
    cpuShareOfOneCore: {
      worker: round(workerCpuMs / elapsedMs, 2),
      benchProcess: round((erpCpu.user + erpCpu.system) / 1000 / elapsedMs, 2),
      ...Object.fromEntries(Object.entries(serverShares).map(([name, share]) => [name, round(share, 2)])),
    },
    /** CPU of the CRM database server alone (its postmaster's children), not every postgres on the machine. */
    crmServerCpuMsPerPush: crmCpuMs === null ? null : round(crmCpuMs / options.pushes, 3),
    machineCpuBusy: round(machineBusy, 2),
    workerRssMb: rssOf(samples),
    /** Every client of the Redis (exact for this run with --redis-url private): the enqueue, the worker, the polling. */
    redisCommandsPerPush: redisCommands,
  };
}

/** Long run through a fresh worker: the backlog is topped up as it drains, the worker's RSS sampled every 5 s. */
async function memoryRun(env: Env, semiSpaceMb: number | null) {
  const { target } = env;
  const total = options.memoryPushes;
  const backlog = Math.max(2000, options.workerConcurrency * 40);
  const redisBefore = await usedMemoryMb(env);
  const worker = startWorker(workerEnv(env, semiSpaceFlags(semiSpaceMb), 1, undefined, options.workerBundles[0]));
  cleanups.push({ name: 'worker', run: () => stopWorker(worker) });
  const pid = worker.child.pid ?? 0;
  try {
    const before = await finishedPushes(target);
    const base = before.completed + before.failed;
    let finished = 0;
    let enqueued = Math.min(backlog, total);
    await enqueuePushes(target, enqueued);
    const sampler = sampleWorker(pid, 5000, () => finished);
    const started = Date.now();
    let printedAt = started;
    const counts = await waitForPushes(target, {
      target: base + total,
      worker,
      pollMs: 250,
      onTick: async (all) => {
        finished = all - base;
        if (enqueued < total && (await waitingJobs(target)) < backlog / 2) {
          const more = Math.min(backlog / 2, total - enqueued);
          await enqueuePushes(target, more);
          enqueued += more;
        }
        if (Date.now() - printedAt >= 10000) {
          printedAt = Date.now();
          const rate = finished / ((printedAt - started) / 1000);
          const rss = sampler.samples[sampler.samples.length - 1]?.rssMb ?? 0;
          log(`memory: ${finished}/${total} pushes, ${round(rate)}/s, worker RSS ${round(rss)} MB`);
        }
      },
    });
    const elapsedMs = ((await lastFinishedAt(target)) ?? Date.now()) - started;
    finished = counts.completed + counts.failed - base;
    sampler.stop();
    return {
      semiSpaceMb,
      counts: { completed: counts.completed - before.completed, failed: counts.failed - before.failed },
      elapsedMs,
      sampler,
      redisBefore,
      worker,
    };
  } finally {
    await stopWorker(worker);
  }
}

async function usedMemoryMb(env: Env): Promise<number> {
  const info = await env.target.redis.info('memory');
  return round(Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0) / 1024 / 1024);
}

/** RSS series of the memory run: min/median/max after the first 20 % of the pushes, and the slope per 10k pushes. */
async function memoryReport(env: Env, run: Awaited<ReturnType<typeof memoryRun>>) {
  const total = options.memoryPushes;
  const samples = run.sampler.samples;
  const steady = samples.filter((s) => s.finished >= total * 0.2);
  const perPush = slope(steady.map((s) => ({ x: s.finished, y: s.rssMb })));
  return {
    semiSpaceMb: run.semiSpaceMb,
    pushes: total,
    completed: run.counts.completed,
    failed: run.counts.failed,
    elapsedMs: run.elapsedMs,
    perSecond: round(total / (run.elapsedMs / 1000)),
    warmupExcluded: 'samples before 20 % of the pushes had finished',
    workerRssMb: { ...rssOf(samples), afterWarmup: steady.length ? spread(steady.map((s) => s.rssMb)) : null },
    rssSlopeMbPer10kPushes: Number.isNaN(perPush) ? null : round(perPush * 10000, 2),
    redisUsedMemoryMb: { before: run.redisBefore, after: await usedMemoryMb(env) },
    workerFailures: failureLog(run.worker),
    series: samples.map((s) => ({ s: round(s.atMs / 1000, 0), pushes: s.finished, rssMb: round(s.rssMb) })),
  };
}

/** Product run `index` against the bare loops measured right before and right after it (--bracket). */
function bracketOf(loops: Array<{ perSecond: number }>, index: number, perSecond: number) {
  const around = [loops[index]?.perSecond ?? Number.NaN, loops[index + 1]?.perSecond ?? Number.NaN];
  return { loopBefore: around[0], loopAfter: around[1], ratio: round(perSecond / median(around), 3) };
}

/** What the runs left in the CRM: every push an execucao, concluido, with one tentativa (no retries, no duplicates). */
async function crmChecks(env: Env) {
  const { db } = env.crm.database;
  const execucoes = await db
    .selectFrom('integracao_execucoes')
    .select(['status', sql<number>`count(*)`.as('n')])
    .groupBy('status')
    .execute();
  const tentativas = await db.selectFrom('integracao_tentativas').select(sql<number>`count(*)`.as('n')).executeTakeFirst();
  const written = await db.selectFrom('contas').select(sql<number>`count(*)`.as('n')).where('id_erp', 'is not', null).executeTakeFirst();
  return {
    execucoes: Object.fromEntries(execucoes.map((row) => [row.status, Number(row.n)])),
    tentativas: Number(tentativas?.n ?? 0),
    contasWithIdErp: Number(written?.n ?? 0),
    erpCustomers: env.erp.customers.size,
  };
}

async function main(): Promise<void> {
  log(`options ${JSON.stringify(options)}`);
  const env = await setUp();
  let throughput: Record<string, unknown> | null = null;
  if (options.pushes > 0) {
    const withHandwritten = options.database === 'postgres';
    const before = await baseline(env, 'baseline-before');
    const handBefore = withHandwritten ? await handwritten(env, 'handwritten-before') : null;
    const products: Awaited<ReturnType<typeof product>>[] = [];
    // --bracket: the loops on either side of each product run (the first is `before`).
    const brackets = [before];
    for (const migration of options.crmMigrations) {
      if (options.crmMigrations.length > 1 || migration !== 'latest') await migrateCrm(env, migration);
      for (const bundle of options.workerBundles)
        for (const processes of options.processes)
          for (const semiSpaceMb of options.semiSpaceMb)
            for (const perJob of options.perJob) {
              const run = await product(env, processes, semiSpaceMb, bundle, perJob, migration);
              products.push(run);
              if (!options.bracket) continue;
              await settle(env);
              const loop = await baseline(env, `baseline-bracket-${products.length}`);
              brackets.push(loop);
              const { loopBefore, loopAfter, ratio } = bracketOf(brackets, products.length - 1, run.perSecond);
              log(`bracket: product ${run.perSecond}/s between loops ${loopBefore} and ${loopAfter}/s = ${ratio}×`);
            }
    }
    env.target.perJob = 1;
    const productResult = products[0] as (typeof products)[number];
    const handAfter = withHandwritten ? await handwritten(env, 'handwritten-after') : null;
    const after = await baseline(env, 'baseline-after');
    const baselinePerSecond = (before.perSecond + after.perSecond) / 2;
    const ratio = productResult.perSecond / baselinePerSecond;
    const handPerSecond = handBefore && handAfter ? (handBefore.perSecond + handAfter.perSecond) / 2 : null;
    const handRatio = handPerSecond === null ? null : productResult.perSecond / handPerSecond;
    throughput = {
      baseline: { perSecond: round(baselinePerSecond), before, after },
      handwritten: handPerSecond === null ? null : { perSecond: round(handPerSecond), before: handBefore, after: handAfter },
      product: { ...productResult, profile: profileSummary('worker') },
      ratio: round(ratio, 3),
      ratioToHandwritten: handRatio === null ? null : round(handRatio, 3),
      // Every product run (--processes 1,2: one process, then two), each against the same baselines.
      byProcesses: products.map((run, index) => ({
        processes: run.processes,
        semiSpaceMb: run.semiSpaceMb,
        workerBundle: run.workerBundle,
        perJob: run.perJob,
        workerConcurrency: run.workerConcurrency,
        crmMigration: run.crmMigration,
        perSecond: run.perSecond,
        erpCalls: run.erpCalls,
        erpMaxInFlight: run.erpMaxInFlight,
        ratio: round(run.perSecond / baselinePerSecond, 3),
        ratioToHandwritten: handPerSecond === null ? null : round(run.perSecond / handPerSecond, 3),
        ratioToFirstRun: round(run.perSecond / productResult.perSecond, 3),
        // --bracket: the bare loops just before and just after this run, and the run against their mean.
        bracket: options.bracket ? bracketOf(brackets, index, run.perSecond) : undefined,
        workerCpuMsPerPush: run.workerCpuMsPerPush,
        workerGcMsPerPush: run.workerGcMsPerPush,
        crmServerCpuMsPerPush: run.crmServerCpuMsPerPush,
        benchProcessCpuMsPerPush: run.benchProcessCpuMsPerPush,
        crmStatementsPerPush: run.crmStatementsPerPush?.total ?? null,
        crmStatementsByKind: run.crmStatementsPerPush?.byKind ?? null,
        /** Updates a push of each CRM table and their heap-only share (PostgreSQL; warm-up and timed pushes). */
        crmUpdates: run.crmUpdates,
        redisCommandsPerPush: run.redisCommandsPerPush?.total ?? null,
        cpuShareOfOneCore: run.cpuShareOfOneCore,
        machineCpuBusy: run.machineCpuBusy,
        workerRssMb: run.workerRssMb,
        failed: run.failed,
      })),
      goal: `≥ ${GOAL} × the hand-written loop`,
      met: handRatio !== null && handRatio >= GOAL,
    };
    log(
      `ratio product/soap loop = ${round(ratio, 3)}; product/hand-written = ${handRatio === null ? '—' : round(handRatio, 3)} (goal ≥ ${GOAL})`,
    );
  }
  // One memory run per --semi-space value, each through a fresh worker; `memory` is the first.
  const memoryRuns: Awaited<ReturnType<typeof memoryReport>>[] = [];
  for (const semiSpaceMb of options.memoryPushes > 0 ? options.semiSpaceMb : []) {
    log(`memory: ${options.memoryPushes} pushes through a fresh worker (semi-space ${semiSpaceMb ?? 'product'})`);
    const memory = await memoryReport(env, await memoryRun(env, semiSpaceMb));
    memoryRuns.push(memory);
    log(
      `memory: RSS after warm-up ${JSON.stringify(memory.workerRssMb.afterWarmup)} MB, slope ${memory.rssSlopeMbPer10kPushes} MB/10k pushes`,
    );
  }
  const memory = memoryRuns[0] ?? null;
  const summary = {
    benchmark: 'set-push',
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      model: os.cpus()[0]?.model ?? 'unknown',
      node: process.version,
      memoryGb: round(os.totalmem() / 2 ** 30),
    },
    options,
    setup: {
      crmDatabase: options.database,
      contas: options.contas,
      erpData:
        'one ERP customer per conta (distinct cgcCpf), created by the baseline warm-up; every timed call is an update (GravarClientes upserts by cgcCpf)',
      baseline: 'bare soap client in its own process, createClientAsync once, GravarClientesAsync with `concurrency` in flight',
      product:
        'jobs added with addBulk (catalog options) to Redis; one worker-set app per --processes value (WORKER_PROCESSES, each process WORKER_CONCURRENCY = workerConcurrency, by default concurrency)',
    },
    throughput,
    memory,
    memoryRuns: memoryRuns.length > 1 ? memoryRuns : undefined,
    checks: await crmChecks(env),
  };
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `set-push-${stamp}.json`);
  fs.writeFileSync(file, `${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  log(`written ${path.relative(process.cwd(), file)}`);
}

main()
  .catch((err: unknown) => {
    process.exitCode = 1;
    log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  })
  .finally(() => cleanUp());
