import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launchArgs } from './supervisor';

// The fleet starts each app with its own node flags (worker-get's heap cap); an operator who sets the same flag in
// NODE_OPTIONS must get their value, although node lets the command line override NODE_OPTIONS.

const ROOT = path.resolve(__dirname, '../../..');

/** V8's heap limit (MB) of a process started as the fleet starts an app with these flags, under this NODE_OPTIONS. */
function heapLimitMb(nodeFlags: string[], nodeOptions: string | undefined): number {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-flags-'));
  try {
    const entry = path.join(dir, 'main.ts');
    fs.writeFileSync(entry, "import v8 from 'node:v8';\nprocess.stdout.write(String(v8.getHeapStatistics().heap_size_limit));\n");
    const { NODE_OPTIONS: _inherited, ...env } = process.env;
    const args = launchArgs({ name: 'probe', entry, nodeFlags }, 'source', nodeOptions);
    const out = execFileSync(process.execPath, args, {
      cwd: ROOT,
      env: nodeOptions === undefined ? env : { ...env, NODE_OPTIONS: nodeOptions },
      encoding: 'utf8',
    });
    return Number(out) / 2 ** 20;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('launchArgs', () => {
  it('starts an app with its own node flags', () => {
    expect(launchArgs({ name: 'worker-get', entry: 'x.ts', nodeFlags: ['--max-old-space-size=128'] }, 'compiled')).toEqual([
      '--max-old-space-size=128',
      '--enable-source-maps',
      'apps/worker-get/dist/main.js',
    ]);
  });

  it("leaves out a flag the operator's NODE_OPTIONS sets, in either spelling, and keeps the others", () => {
    const spec = { name: 'worker-set', entry: 'x.ts', nodeFlags: ['--max-semi-space-size=32', '--max-old-space-size=128'] };
    expect(launchArgs(spec, 'compiled', '--enable-source-maps  --max_semi_space_size=64')).toEqual([
      '--max-old-space-size=128',
      '--enable-source-maps',
      'apps/worker-set/dist/main.js',
    ]);
  });

  it("gives the app the operator's heap limit when NODE_OPTIONS sets one", () => {
    const capped = heapLimitMb(['--max-old-space-size=128'], undefined);
    const raised = heapLimitMb(['--max-old-space-size=128'], '--max-old-space-size=512');
    // heap_size_limit is the old space plus the young generation's reservation (tens of MB).
    expect(capped).toBeLessThan(256);
    expect(raised).toBeGreaterThan(512);
  });
});
