import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BENCHMARKS, type BenchSpec, type Row } from './support/report-specs';
import { median, round } from './support/stats';

// `npm run bench`: every benchmark of bench/, BENCH_RUNS times each (default 3), then docs/BENCHMARKS.md with the
// medians. BENCH_SHORT=1: one small run of each (proves they still run; its figures mean nothing).
// BENCH_ONLY=set-push,limits runs a subset; BENCH_REPORT=<file> writes the report elsewhere (the short-mode test);
// BENCH_ARGS_<NAME>="--rows 200000" replaces one benchmark's arguments (NAME upper-cased, '-' as '_').

const ROOT = path.resolve(__dirname, '..');
const SHORT = process.env.BENCH_SHORT === '1';
const RUNS = SHORT ? 1 : Number(process.env.BENCH_RUNS ?? '3');
const ONLY = process.env.BENCH_ONLY?.split(',').filter(Boolean);
const REPORT = process.env.BENCH_REPORT ?? path.join(ROOT, 'docs', 'BENCHMARKS.md');
const CLUSTER_RESULT = path.join(ROOT, 'bench', 'results', 'cluster.json');

if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`BENCH_RUNS must be a positive integer, got "${process.env.BENCH_RUNS}"`);

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

interface RunOutcome {
  ok: boolean;
  rows: Row[];
  /** The largest resident set of any process of the run (GNU time's %M: the benchmark, its workers, its servers' clients). */
  peakRssMb: number | null;
  wallMs: number;
  error?: string;
}

/** A benchmark's arguments: BENCH_ARGS_<NAME> when set, else the short or full ones of its spec. */
function argsOf(spec: BenchSpec): string[] {
  const override = process.env[`BENCH_ARGS_${spec.name.toUpperCase().replace(/-/g, '_')}`];
  if (override !== undefined) return override.split(/\s+/).filter(Boolean);
  return SHORT ? spec.shortArgs : spec.args;
}

/** One benchmark process under /usr/bin/time (for its peak RSS); stdout is parsed by the spec, stderr kept for errors. */
function runOnce(spec: BenchSpec): Promise<RunOutcome> {
  const rssFile = path.join(os.tmpdir(), `bench-rss-${process.pid}-${spec.name}`);
  const args = ['-f', '%M', '-o', rssFile, process.execPath, '--import', 'tsx', spec.file, ...argsOf(spec)];
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn('/usr/bin/time', args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    child.on('close', (code) => {
      const wallMs = Date.now() - started;
      const kb = Number(fs.existsSync(rssFile) ? fs.readFileSync(rssFile, 'utf8').trim().split('\n').pop() : Number.NaN);
      fs.rmSync(rssFile, { force: true });
      const peakRssMb = Number.isFinite(kb) ? round(kb / 1024) : null;
      if (code !== 0) {
        resolve({ ok: false, rows: [], peakRssMb, wallMs, error: `exit ${code}: ${stderr.trim().split('\n').slice(-5).join(' | ')}` });
        return;
      }
      try {
        resolve({ ok: true, rows: spec.parse(stdout), peakRssMb, wallMs });
      } catch (err) {
        resolve({ ok: false, rows: [], peakRssMb, wallMs, error: `output not understood: ${(err as Error).message}` });
      }
    });
  });
}

/** Per measure, the median over the runs of the baseline, the product and their ratio. */
function medianRows(outcomes: RunOutcome[]): Row[] {
  const byMeasure = new Map<string, Row[]>();
  for (const outcome of outcomes) for (const row of outcome.rows) byMeasure.set(row.measure, [...(byMeasure.get(row.measure) ?? []), row]);
  return [...byMeasure.values()].map((rows) => {
    const first = rows[0] as Row;
    const mid = (pick: (r: Row) => number | null) => {
      const values = rows.map(pick).filter((v): v is number => v !== null && Number.isFinite(v));
      return values.length ? round(median(values), 3) : null;
    };
    const ratio = mid((r) => r.ratio);
    const absolute = mid((r) => r.absolute);
    return {
      ...first,
      baseline: mid((r) => r.baseline),
      absolute,
      ratio,
      met: first.goal ? first.goal.check({ ratio, absolute }) : null,
      runs: rows.map((r) => r.ratio ?? r.absolute),
    };
  });
}

const fmt = (value: number | null | undefined, unit = '') => (value === null || value === undefined ? '—' : `${value}${unit}`);

function machineSection(loadAtStart: number[], loadAtEnd: number[], started: Date, ended: Date): string[] {
  const cpus = os.cpus();
  return [
    '## Machine',
    '',
    `- ${cpus.length} cores (${cpus[0]?.model ?? 'unknown'}), ${round(os.totalmem() / 2 ** 30)} GB, Node ${process.version}, ${os.platform()} ${os.release()}`,
    `- load average at start ${loadAtStart.map((v) => round(v, 2)).join(' / ')} (1 / 5 / 15 min), at the end ${loadAtEnd.map((v) => round(v, 2)).join(' / ')}`,
    `- ${started.toISOString()} → ${ended.toISOString()}, ${RUNS} run(s) of each benchmark (the memory run once)${SHORT ? ' — **short mode (BENCH_SHORT=1): tiny workloads, the figures mean nothing**' : ''}`,
    '',
  ];
}

function benchSection(spec: BenchSpec, outcomes: RunOutcome[]): string[] {
  const okRuns = outcomes.filter((o) => o.ok);
  const lines = [
    `## ${spec.title}`,
    '',
    spec.workload,
    '',
    `Command: \`${spec.command}\` with \`${argsOf(spec).join(' ') || '(defaults)'}\`.`,
    '',
  ];
  for (const failed of outcomes.filter((o) => !o.ok)) lines.push(`- **A run failed**: ${failed.error}`);
  if (!okRuns.length) return [...lines, '**Not measured**: every run failed.', ''];
  const rss = okRuns.map((o) => o.peakRssMb).filter((v): v is number => v !== null);
  lines.push('| Measure | Baseline (same run) | Product | Ratio | Goal | Met | Runs |', '| --- | --- | --- | --- | --- | --- | --- |');
  for (const row of medianRows(okRuns)) {
    const met = row.met === null ? '—' : row.met ? 'met' : '**not met**';
    lines.push(
      `| ${row.measure} | ${fmt(row.baseline, row.unit ? ` ${row.unit}` : '')} | ${fmt(row.absolute, row.unit ? ` ${row.unit}` : '')} | ${fmt(row.ratio)} | ${row.goal?.text ?? '—'} | ${met} | ${row.runs?.map((v) => fmt(v)).join(', ')} |`,
    );
  }
  lines.push(
    '',
    `Peak RSS of the largest process of a run: ${rss.length ? `median ${round(median(rss))} MB (${rss.join(', ')})` : 'not read'}; wall time per run ${okRuns.map((o) => `${round(o.wallMs / 1000, 0)} s`).join(', ')}.`,
    '',
  );
  return lines;
}

function clusterSection(): string[] {
  const lines = ['## Redis Cluster', ''];
  if (!fs.existsSync(CLUSTER_RESULT)) return [...lines, 'Not run (no `bench/results/cluster.json`; the cluster run writes it).', ''];
  const result = JSON.parse(fs.readFileSync(CLUSTER_RESULT, 'utf8')) as Record<string, unknown>;
  return [
    ...lines,
    'From `bench/results/cluster.json` (written by the cluster run, not by `npm run bench`):',
    '',
    '```json',
    JSON.stringify(result, null, 2),
    '```',
    '',
  ];
}

async function main(): Promise<void> {
  const specs = BENCHMARKS.filter((spec) => !ONLY || ONLY.includes(spec.name));
  const loadAtStart = os.loadavg();
  const started = new Date();
  const sections: string[] = [];
  const summary: { name: string; ok: number; runs: number }[] = [];
  for (const spec of specs) {
    const outcomes: RunOutcome[] = [];
    const runs = SHORT ? 1 : (spec.runs ?? RUNS);
    for (let i = 0; i < runs; i++) {
      log(`${spec.name}: run ${i + 1}/${runs}`);
      const outcome = await runOnce(spec);
      log(`${spec.name}: ${outcome.ok ? 'ok' : `FAILED ${outcome.error}`} in ${round(outcome.wallMs / 1000, 0)} s`);
      outcomes.push(outcome);
    }
    sections.push(...benchSection(spec, outcomes));
    summary.push({ name: spec.name, ok: outcomes.filter((o) => o.ok).length, runs });
  }
  const doc = [
    '# Benchmarks',
    '',
    'Written by `npm run bench` (bench/run-all.ts); how each benchmark works, and the analysis of past runs, is in',
    '[bench/README.md](../bench/README.md). Every benchmark measures its own **baseline in the same run** and the ratio is',
    'the product over that baseline; figures are medians over the runs (each run listed). Absolute figures are only',
    'comparable within one run: the machine below is shared, and its load average is part of the result.',
    '',
    ...machineSection(loadAtStart, os.loadavg(), started, new Date()),
    ...sections,
    ...clusterSection(),
  ].join('\n');
  fs.mkdirSync(path.dirname(REPORT), { recursive: true });
  fs.writeFileSync(REPORT, `${doc.trimEnd()}\n`);
  log(`written ${path.relative(ROOT, REPORT)}`);
  process.stdout.write(`${JSON.stringify({ report: REPORT, benchmarks: summary })}\n`);
  if (summary.some((s) => s.ok === 0)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
});
