import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createDatabase, migrateToLatest } from '@integrador/store';
import { freePort } from '@integrador/test-support/ports';
import { deletePrefix, TEST_REDIS_URL, testPrefix } from '@integrador/test-support/redis-server';
import { startBenchRun } from './support/bench-run';
import { median, round } from './support/stats';

// Start-up time of the CLI and of the all-in-one fleet, compiled (apps/<app>/dist/main.js, what `npm start` and the
// `integrador` command run) against the sources through tsx (what they ran before, and what development still runs),
// interleaved run by run so that both see the same machine load. bench/README.md explains it.
// Run: npx tsx bench/startup.bench.ts [--runs 5]

const ROOT = path.resolve(__dirname, '..');
const RESULTS_DIR = path.join(__dirname, 'results');
const HELP_GOAL_MS = 1000;
const HEALTHZ_GOAL_MS = 5000;

const { values: args } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, 'compiled-only': { type: 'boolean', default: false } },
});
const RUNS = Number(args.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`--runs must be a positive integer, got "${args.runs}"`);

const run = startBenchRun();

/** A command to time: the program and its arguments, run from the repository root. */
interface Variant {
  name: string;
  command: string;
  args: string[];
}

const ALL_HELP: Variant[] = [
  {
    name: 'source (node --import tsx apps/cli/src/main.ts)',
    command: process.execPath,
    args: ['--import', 'tsx', 'apps/cli/src/main.ts', '--help'],
  },
  { name: 'compiled (apps/cli/bin/integrador)', command: path.join(ROOT, 'apps/cli/bin/integrador'), args: ['--help'] },
];
const ALL_FLEET: Variant[] = [
  {
    name: 'source (tsx apps/fleet/src/main.ts, the former npm start)',
    command: path.join(ROOT, 'node_modules/.bin/tsx'),
    args: ['apps/fleet/src/main.ts'],
  },
  {
    name: 'compiled (node --enable-source-maps apps/fleet/dist/main.js)',
    command: process.execPath,
    args: ['--enable-source-maps', 'apps/fleet/dist/main.js'],
  },
  { name: 'npm start (build check + compiled fleet)', command: 'npm', args: ['start', '--silent'] },
];

// --compiled-only (the benchmark report's short mode) skips the slow from-source variants.
const fromSource = (variant: Variant) => variant.name.startsWith('source');
const HELP = args['compiled-only'] ? ALL_HELP.filter((v) => !fromSource(v)) : ALL_HELP;
const FLEET = args['compiled-only'] ? ALL_FLEET.filter((v) => !fromSource(v)) : ALL_FLEET;

/** One timed start: wall time and the CPU time its processes used (user + system), in ms. */
interface Sample {
  ms: number;
  cpuMs: number;
}

/** CPU time (user + system, ms) of every process of a process group, including its exited and reaped children. */
function groupCpuMs(pgid: number): number {
  let ticks = 0;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid pgrp …": after the command name, pgrp is field 2 and utime … cstime fields 11–14.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== pgid) continue;
      ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    } catch {
      // gone meanwhile
    }
  }
  return ticks * 10;
}

/** Wall time from spawn to exit of a short command (it must exit 0), and its CPU time (from /usr/bin/time). */
function timeCommand(variant: Variant): Promise<Sample> {
  const timeFile = path.join(os.tmpdir(), `bench-startup-time-${process.pid}`);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('/usr/bin/time', ['-f', '%U %S', '-o', timeFile, variant.command, ...variant.args], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      const ms = performance.now() - started;
      const [user, system] = fs.readFileSync(timeFile, 'utf8').trim().split(/\s+/).slice(-2).map(Number);
      fs.rmSync(timeFile, { force: true });
      if (code === 0) resolve({ ms, cpuMs: ((user ?? 0) + (system ?? 0)) * 1000 });
      else reject(new Error(`${variant.name} exited with ${code}: ${stderr.slice(0, 500)}`));
    });
  });
}

/**
 * Stops a process group started with `detached` (the fleet and its apps) and waits until every process of it is gone,
 * SIGKILL after 20 s: the next variant's start needs the ports, and a leader that exits first (tsx's signal relay) does
 * not mean its apps have.
 */
async function stopGroup(child: ChildProcess): Promise<void> {
  if (!child.pid) return;
  const group = -child.pid;
  const signal = (name: NodeJS.Signals | 0) => {
    try {
      process.kill(group, name);
      return true;
    } catch {
      return false; // ESRCH: the group has no process left
    }
  };
  if (!signal('SIGTERM')) return;
  const killAt = Date.now() + 20_000;
  while (signal(0)) {
    if (Date.now() > killAt) signal('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Wall time from spawn until GET /healthz answers 200, on an already migrated embedded database, and the CPU time all
 * the start's processes had used by then (the fleet, its apps, npm and the build check).
 */
async function timeFleet(variant: Variant, dataDir: string, prefix: string): Promise<Sample> {
  const port = await freePort();
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', REDIS_URL: TEST_REDIS_URL, DATA_DIR: dataDir };
  const started = performance.now();
  const child = spawn(variant.command, variant.args, {
    cwd: ROOT,
    env: { ...env, PORT: String(port), KEY_PREFIX: prefix, LOG_LEVEL: 'warn' },
    stdio: 'ignore',
    detached: true,
  });
  run.cleanups.push({ name: `stop ${variant.name}`, run: () => stopGroup(child) });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${variant.name} exited with ${child.exitCode} before /healthz answered`);
      const status = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (response) => response.status,
        () => 0,
      );
      if (status === 200) return { ms: performance.now() - started, cpuMs: child.pid ? groupCpuMs(child.pid) : 0 };
      if (performance.now() - started > 120_000) throw new Error(`${variant.name}: no /healthz 200 within 120 s`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await stopGroup(child);
  }
}

/** Runs every variant RUNS times, interleaved (A B C A B C …), and reports each one's median and all its runs. */
async function measure(variants: Variant[], time: (variant: Variant) => Promise<Sample>) {
  const samples = variants.map(() => [] as Sample[]);
  for (let i = 0; i < RUNS; i++) {
    for (const [index, variant] of variants.entries()) {
      const sample = await time(variant);
      samples[index]?.push(sample);
      run.log(`${variant.name}: ${Math.round(sample.ms)} ms (CPU ${Math.round(sample.cpuMs)} ms)`);
    }
  }
  return variants.map((variant, index) => {
    const runs = samples[index] ?? [];
    return {
      variant: variant.name,
      medianMs: Math.round(median(runs.map((s) => s.ms))),
      medianCpuMs: Math.round(median(runs.map((s) => s.cpuMs))),
      runsMs: runs.map((s) => Math.round(s.ms)),
      runsCpuMs: runs.map((s) => Math.round(s.cpuMs)),
    };
  });
}

async function main(): Promise<void> {
  run.log('building the apps if a source changed (npm run build)');
  execFileSync(process.execPath, ['scripts/build.mjs', '--quiet', '--if-stale'], { cwd: ROOT, stdio: 'inherit' });

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-startup-'));
  run.cleanups.push({ name: 'remove the data folder', run: () => fs.rmSync(dataDir, { recursive: true, force: true }) });
  const prefix = testPrefix();
  run.cleanups.push({ name: 'delete the Redis keys', run: () => deletePrefix(TEST_REDIS_URL, prefix) });
  const database = createDatabase(`sqlite:${path.join(dataDir, 'integrador.sqlite')}`);
  await migrateToLatest(database);
  await database.destroy();

  const load = os.loadavg().map((value) => round(value, 2));
  run.log(`integrador --help, ${RUNS} runs each`);
  const help = await measure(HELP, timeCommand);
  run.log(`fleet start → /healthz 200, ${RUNS} runs each`);
  const fleet = await measure(FLEET, (variant) => timeFleet(variant, dataDir, prefix));

  type Row = (typeof help)[number];
  const named = (rows: Row[], start: string) => rows.find((r) => r.variant.startsWith(start));
  const ratio = (rows: Row[], start: string) => {
    const source = named(rows, 'source');
    const other = named(rows, start);
    return source && other ? round(source.medianMs / other.medianMs, 2) : null;
  };
  const summary = {
    stamp: run.stamp,
    node: process.version,
    cpus: os.cpus().length,
    loadAverageAtStart: load,
    loadAverageAtEnd: os.loadavg().map((value) => round(value, 2)),
    runs: RUNS,
    help: {
      variants: help,
      speedup: ratio(help, 'compiled'),
      goalMs: HELP_GOAL_MS,
      met: (named(help, 'compiled')?.medianMs ?? Infinity) < HELP_GOAL_MS,
    },
    fleet: {
      variants: fleet,
      speedupCompiled: ratio(fleet, 'compiled'),
      goalMs: HEALTHZ_GOAL_MS,
      met: (named(fleet, 'npm start')?.medianMs ?? Infinity) < HEALTHZ_GOAL_MS,
    },
  };
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  fs.writeFileSync(path.join(RESULTS_DIR, `startup-${run.stamp}.json`), `${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
}

main()
  .catch((err: unknown) => {
    run.log(`failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  })
  .finally(() => run.cleanUp());
