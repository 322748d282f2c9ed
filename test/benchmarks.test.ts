import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { BENCHMARKS } from '../bench/support/report-specs';

const ROOT = path.resolve(__dirname, '..');

// `npm run bench` in its short mode (BENCH_SHORT=1: one tiny run of each benchmark): every benchmark of bench/ still
// runs to the end and its output still reads into the report. No timing is asserted — the figures of a short run mean
// nothing. About a minute on an idle 2-core machine; several on a loaded one.
describe('npm run bench, short mode', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-report-'));
  const report = path.join(dir, 'BENCHMARKS.md');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('runs every benchmark once and writes one report with a table for each', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'bench/run-all.ts'], {
      cwd: ROOT,
      env: { ...process.env, BENCH_SHORT: '1', BENCH_REPORT: report },
      maxBuffer: 16 * 1024 * 1024,
    });
    const result = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { benchmarks: { name: string; ok: number }[] };
    expect(result.benchmarks).toEqual(BENCHMARKS.map((spec) => ({ name: spec.name, ok: 1, runs: 1 })));
    const text = fs.readFileSync(report, 'utf8');
    expect(text).toContain('load average at start');
    expect(text).not.toContain('A run failed');
    for (const spec of BENCHMARKS) {
      const section = text.split(`## ${spec.title}`)[1]?.split('\n## ')[0] ?? '';
      expect({ spec: spec.name, hasTable: section.includes('| Measure | Baseline') }).toEqual({ spec: spec.name, hasTable: true });
    }
    expect(text).toMatch(/## Redis Cluster\n\n(Not run|From `bench\/results\/cluster\.json`)/);
  }, 900000);
});
