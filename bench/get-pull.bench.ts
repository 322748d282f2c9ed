import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ADMISSION_CACHE_TTL_MS } from '@integrador/integrador';
import { createLogger } from '@integrador/logging';
import { createRedis, JobProducer, waitUntilReady } from '@integrador/queue';
import { createEmpresa } from '@integrador/store';
import { createTestDatabase } from '@integrador/test-support/databases';
import { deletePrefix } from '@integrador/test-support/redis-server';
import { sql } from 'kysely';
import { type CpuSummary, summarizeCpuProfile } from './cpuprofile-summary';
import { startBenchRun } from './support/bench-run';
import { type CopyReport, runCopyPipe } from './support/copy-baseline';
import { createErpSource, type ErpSource, type SourceKind } from './support/erp-customers';
import {
  createGetBenchCrm,
  type RunReport,
  readOnlyRowsPerSecond,
  startGetWorker,
  timedRun,
  writeSourceConnections,
} from './support/get-product';
import { machineCpu, peakRssMb, serverCpu } from './support/proc';
import { stopWorker } from './support/product';
import { round } from './support/stats';

// GET pulls: 1M rows of an ERP customers table (12 columns) from PostgreSQL and from MariaDB into the CRM's contas
// (PostgreSQL) through the product path — a job enqueued as the API does, one unchanged worker-get running the GET
// engine — against a `psql COPY … TO STDOUT | psql COPY … FROM STDIN` pipe (MariaDB: `mariadb --batch | psql COPY`)
// in the same run; then an incremental run that must find 1,000 changed rows, and a full refresh of the loaded table.
// Run: npx tsx bench/get-pull.bench.ts [--rows 1000000] [--changed 1000] [--sources postgres,mysql] (bench/README.md).

const GOALS = { ratioToCopy: 0.5, rowsPerSecond: 100_000, peakRssMb: 250, incrementalMs: 1000 };
const RESULTS_DIR = path.join(__dirname, 'results');

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    changed: { type: 'string', default: '1000' },
    sources: { type: 'string', default: 'postgres,mysql' },
    chunk: { type: 'string' },
    'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
    'skip-refresh': { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    // worker-get's heap cap as the fleet, compose and k8s start it (apps/fleet/src/main.ts); 0 = V8's default.
    'max-old-space': { type: 'string', default: '128' },
    crm: { type: 'string', default: 'postgres' },
  },
});

function count(name: 'rows' | 'changed' | 'chunk' | 'max-old-space', min: number): number {
  const value = Number(args[name]);
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name} expects an integer ≥ ${min}, got ${String(args[name])}`);
  return value;
}

const options = {
  rows: count('rows', 1),
  changed: count('changed', 1),
  sources: String(args.sources)
    .split(',')
    .map((s) => s.trim()) as SourceKind[],
  chunk: args.chunk === undefined ? null : count('chunk', 1),
  redisUrl: String(args['redis-url']),
  refresh: args['skip-refresh'] !== true,
  cpuProf: args['cpu-prof'] === true,
  /** --max-old-space-size of worker-get in MB; null = V8's default (a share of the machine's memory). */
  maxOldSpaceMb: Number(args['max-old-space']) === 0 ? null : count('max-old-space', 16),
  /** The product's CRM database (the COPY baseline always loads a PostgreSQL CRM). */
  crm: String(args.crm) as 'postgres' | 'sqlite' | 'mysql',
};
if (!['postgres', 'sqlite', 'mysql'].includes(options.crm)) throw new Error(`--crm expects postgres, sqlite or mysql, got ${options.crm}`);
for (const source of options.sources)
  if (source !== 'postgres' && source !== 'mysql') throw new Error(`--sources expects postgres and/or mysql, got ${source}`);

const { stamp, log, cleanups, cleanUp } = startBenchRun();

function profileDir(label: string): string {
  return path.join(RESULTS_DIR, `cpu-${stamp}`, label);
}

/** The worker's main-thread CPU profile summary (the biggest file: tsx's loader thread writes a small one too). */
function profileSummary(label: string): CpuSummary | null {
  if (!options.cpuProf) return null;
  const dir = profileDir(label);
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')) : [];
  const biggest = files.map((f) => path.join(dir, f)).sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0];
  return biggest ? summarizeCpuProfile(biggest, 20) : null;
}

/** The COPY pipe into a fresh, migrated CRM database (same contas table and indexes as the product writes). */
async function baseline(source: ErpSource, label: string): Promise<CopyReport> {
  const crm = await createTestDatabase('postgres');
  try {
    const empresaId = await createEmpresa(crm.db, 'Empresa Baseline');
    const report = await runCopyPipe(source, crm.url, empresaId);
    const loaded = await crm.db.selectFrom('contas').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow();
    if (Number(loaded.n) !== source.rows) throw new Error(`COPY pipe loaded ${loaded.n} rows, expected ${source.rows}`);
    log(
      `${source.kind} ${label}: COPY pipe ${source.rows} rows in ${round(report.ms / 1000, 2)} s = ${round(report.rowsPerSecond, 0)} rows/s`,
    );
    return report;
  } finally {
    await crm.drop();
  }
}

/** A timed run with the CPU share of the database servers and the machine's busy share while it ran. */
async function measured(run: () => Promise<RunReport>) {
  const servers = serverCpu(['postgres', 'mariadbd', 'redis-server']);
  const machine = machineCpu();
  const report = await run();
  return { report, servers: servers(), machineBusy: machine() };
}

function describeRun({ report: run, servers, machineBusy }: Awaited<ReturnType<typeof measured>>) {
  return {
    jobId: run.jobId,
    mode: run.result.mode,
    rowsRead: run.result.rowsRead,
    rowsWritten: run.result.rowsWritten,
    rowsSkipped: run.result.rowsSkipped,
    elapsedMs: run.elapsedMs,
    processingMs: run.processingMs,
    engineDurationMs: run.result.durationMs,
    rowsPerSecond: round(run.rowsPerSecond, 0),
    /** Who used the machine's 2 cores while it ran (1 = one core busy all the time); machineBusy counts every process. */
    cpuShareOfOneCore: {
      worker: round(run.workerCpuMs / run.elapsedMs, 2),
      ...Object.fromEntries(Object.entries(servers).map(([name, share]) => [name, round(share, 2)])),
    },
    machineBusy: round(machineBusy, 2),
    workerRssMb: { start: round(run.workerRssMb.start), peak: round(run.workerRssMb.peak), end: round(run.workerRssMb.end) },
    timeline: run.timeline,
    workerLog: run.workerLog,
  };
}

/** Every run of one source: baseline before, product initial load, incremental, full refresh, baseline after. */
async function benchSource(kind: SourceKind, producer: JobProducer, prefix: string, tmp: string) {
  log(`${kind}: generating ${options.rows} clientes`);
  const generated = performance.now();
  const source = await createErpSource(kind, options.rows);
  cleanups.push({ name: `${kind} source`, run: () => source.drop() });
  log(`${kind}: generated in ${round((performance.now() - generated) / 1000, 1)} s`);

  const before = await baseline(source, 'baseline before');
  const crm = await createGetBenchCrm(source, options.chunk, options.crm);
  cleanups.push({ name: `${kind} crm`, run: () => crm.database.drop() });
  const connectionsFile = writeSourceConnections(tmp, source);
  const nodeFlags = [
    ...(options.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${profileDir(`worker-${kind}`)}`] : []),
    ...(options.maxOldSpaceMb === null ? [] : [`--max-old-space-size=${options.maxOldSpaceMb}`]),
  ];
  const worker = startGetWorker({ redisUrl: options.redisUrl, prefix, databaseUrl: crm.database.url, connectionsFile, nodeFlags });
  cleanups.push({ name: `${kind} worker`, run: () => stopWorker(worker) });
  await worker.waitForLog('worker started', 60000);
  const pid = worker.child.pid ?? 0;

  let load: Awaited<ReturnType<typeof measured>>;
  let incremental: Awaited<ReturnType<typeof measured>>;
  let refresh: Awaited<ReturnType<typeof measured>> | null = null;
  let changed: number;
  let hwm: number | null;
  try {
    log(`${kind}: product initial load (first incremental run, empty contas)`);
    load = await measured(() => timedRun(producer, crm, worker));
    log(
      `${kind}: initial load ${load.report.result.rowsWritten} rows in ${round(load.report.elapsedMs / 1000, 2)} s = ${round(load.report.rowsPerSecond, 0)} rows/s, peak RSS ${round(load.report.workerRssMb.peak)} MB`,
    );

    changed = await source.changeRows(options.changed);
    log(`${kind}: ${changed} rows changed in the source; incremental run`);
    incremental = await measured(() => timedRun(producer, crm, worker, 20));
    log(
      `${kind}: incremental read ${incremental.report.result.rowsRead}, wrote ${incremental.report.result.rowsWritten} in ${incremental.report.elapsedMs} ms (enqueue ${incremental.report.timeline.enqueueMs} ms, queued ${incremental.report.timeline.queuedMs} ms, processing ${incremental.report.processingMs} ms, engine ${incremental.report.result.durationMs} ms, started ${incremental.report.timeline.attemptsStarted}×)`,
    );

    if (options.refresh) {
      await crm.database.db.updateTable('integracao').set({ modo: 'completo' }).where('id', '=', crm.integracaoId).execute();
      // The worker reuses an integracao's definition for ADMISSION_CACHE_TTL_MS: a fast incremental run (MariaDB CRM)
      // would otherwise leave the refresh running in the old mode.
      await new Promise((resolve) => setTimeout(resolve, ADMISSION_CACHE_TTL_MS + 200));
      log(`${kind}: full refresh (modo completo) over the loaded contas`);
      refresh = await measured(() => timedRun(producer, crm, worker));
      log(
        `${kind}: full refresh ${refresh.report.result.rowsWritten} rows in ${round(refresh.report.elapsedMs / 1000, 2)} s = ${round(refresh.report.rowsPerSecond, 0)} rows/s`,
      );
    }
    hwm = peakRssMb(pid);
  } finally {
    await stopWorker(worker);
  }
  const after = await baseline(source, 'baseline after');
  const readOnly = await readOnlyRowsPerSecond(connectionsFile, source, crm, options.chunk ?? undefined);
  log(`${kind}: the product's source reader alone (initial load's query, rows discarded): ${round(readOnly, 0)} rows/s`);
  const copyRowsPerSecond = (before.rowsPerSecond + after.rowsPerSecond) / 2;
  const contas = await crm.database.db
    .selectFrom('contas')
    .select(sql<number>`count(*)`.as('n'))
    .where('empresa_id', '=', crm.empresaId)
    .executeTakeFirstOrThrow();
  const altered = await crm.database.db
    .selectFrom('contas')
    .select(sql<number>`count(*)`.as('n'))
    .where('nome', 'like', '% (alterado)')
    .executeTakeFirstOrThrow();
  const ratio = load.report.rowsPerSecond / copyRowsPerSecond;
  const peak = Math.max(load.report.workerRssMb.peak, incremental.report.workerRssMb.peak, refresh?.report.workerRssMb.peak ?? 0);
  return {
    source: kind,
    crm: options.crm,
    rows: options.rows,
    baseline: {
      command: before.command,
      rowsPerSecond: round(copyRowsPerSecond, 0),
      before: { ms: round(before.ms, 0), rowsPerSecond: round(before.rowsPerSecond, 0) },
      after: { ms: round(after.ms, 0), rowsPerSecond: round(after.rowsPerSecond, 0) },
    },
    sourceReadOnlyRowsPerSecond: round(readOnly, 0),
    initialLoad: describeRun(load),
    incremental: { changedInSource: changed, ...describeRun(incremental) },
    fullRefresh: refresh ? describeRun(refresh) : null,
    workerPeakRssMb: { sampled: round(peak), vmHwm: hwm === null ? null : round(hwm) },
    ratioToCopy: round(ratio, 3),
    checks: { contas: Number(contas.n), alteredInCrm: Number(altered.n) },
    goals: {
      ratioToCopy: { goal: `≥ ${GOALS.ratioToCopy}`, met: ratio >= GOALS.ratioToCopy },
      rowsPerSecond: { goal: `≥ ${GOALS.rowsPerSecond}`, met: load.report.rowsPerSecond >= GOALS.rowsPerSecond },
      peakRssMb: { goal: `≤ ${GOALS.peakRssMb}`, met: peak <= GOALS.peakRssMb },
      incrementalMs: { goal: `< ${GOALS.incrementalMs}`, met: incremental.report.elapsedMs < GOALS.incrementalMs },
    },
    profile: profileSummary(`worker-${kind}`),
  };
}

async function main(): Promise<void> {
  log(`options ${JSON.stringify(options)}`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-get-'));
  cleanups.push({ name: 'temp dir', run: () => fs.rmSync(tmp, { recursive: true, force: true }) });
  const prefix = `{bench-${randomBytes(4).toString('hex')}}`;
  const redis = createRedis(options.redisUrl, { role: 'producer' });
  await waitUntilReady(redis);
  cleanups.push({ name: 'redis', run: () => redis.quit() });
  cleanups.push({ name: 'redis keys', run: () => deletePrefix(options.redisUrl, prefix) });
  const producer = new JobProducer({ connection: redis, prefix, timeoutMs: 10000, logger: createLogger({ name: 'bench', level: 'warn' }) });
  cleanups.push({ name: 'producer', run: () => producer.close() });

  const results = [];
  for (const kind of options.sources) results.push(await benchSource(kind, producer, prefix, tmp));
  const summary = {
    benchmark: 'get-pull',
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      model: os.cpus()[0]?.model ?? 'unknown',
      node: process.version,
      memoryGb: round(os.totalmem() / 2 ** 30),
    },
    options,
    goals: GOALS,
    results,
  };
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `get-pull-${stamp}.json`);
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
