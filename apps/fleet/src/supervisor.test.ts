import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '@integrador/logging';
import { launchArgs, Supervisor } from './supervisor';

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

/** A logger whose JSON lines the test reads. */
function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger({ name: 'fleet', level: 'info', destination }) };
}

/** An app entry (a TypeScript file in a temporary directory) with this body. */
function appEntry(body: string): { entry: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-app-'));
  const entry = path.join(dir, 'main.ts');
  fs.writeFileSync(entry, body);
  return { entry, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

describe('Supervisor', () => {
  it('retries an app whose process could not be spawned, without an uncaught exception, and still stops', async () => {
    const { lines, logger } = capture();
    // No such working directory: spawn() fails with ENOENT, reported as the child's 'error' event (no 'exit').
    const supervisor = new Supervisor({ root: '/nonexistent-fleet-root', env: process.env, logger, mode: 'source', stopTimeoutMs: 5000 });
    supervisor.start([{ name: 'probe', entry: 'x.ts' }]);
    while (lines.filter((line) => line.msg === 'app failed to start, restarting').length < 2) await new Promise((r) => setTimeout(r, 20));
    expect(lines[0]).toMatchObject({ app: 'probe', level: 50, err: { code: 'ENOENT' } });
    expect(await supervisor.stop()).toEqual({});
  }, 20_000);

  it('retries an app whose spawn throws (a working directory that is a file: ENOTDIR), and still stops', async () => {
    const { lines, logger } = capture();
    const file = appEntry('');
    const supervisor = new Supervisor({ root: file.entry, env: process.env, logger, mode: 'source', stopTimeoutMs: 5000 });
    try {
      supervisor.start([{ name: 'probe', entry: 'x.ts' }]);
      while (lines.filter((line) => line.msg === 'app failed to start, restarting').length < 2) await new Promise((r) => setTimeout(r, 20));
      expect(lines[0]).toMatchObject({ app: 'probe', level: 50, err: { code: 'ENOTDIR' } });
      expect(await supervisor.stop()).toEqual({});
    } finally {
      file.remove();
    }
  }, 20_000);

  it('clears its stop deadline once every app has exited: nothing is killed or logged later', async () => {
    const { lines, logger } = capture();
    const app = appEntry("import fs from 'node:fs';\nfs.writeFileSync(__filename + '.ready', '');\nsetInterval(() => undefined, 1000);\n");
    const { NODE_OPTIONS: _inherited, ...env } = process.env;
    const supervisor = new Supervisor({ root: ROOT, env, logger, mode: 'source', stopTimeoutMs: 500 });
    try {
      supervisor.start([{ name: 'quick', entry: app.entry }]);
      while (!fs.existsSync(`${app.entry}.ready`)) await new Promise((r) => setTimeout(r, 50));
      expect(await supervisor.stop()).toEqual({ quick: 'SIGTERM' });
      await new Promise((r) => setTimeout(r, 800));
      expect(lines.filter((line) => line.msg === 'apps still running after the stop deadline, killing them')).toEqual([]);
      expect(lines.filter((line) => line.msg === 'app started')).toHaveLength(1);
    } finally {
      app.remove();
    }
  }, 20_000);

  it('kills an app still running at the stop deadline and says so', async () => {
    const { lines, logger } = capture();
    // An app whose drain never ends: it ignores SIGTERM (and says when its handler is in place).
    const app = appEntry(
      "import fs from 'node:fs';\nprocess.on('SIGTERM', () => undefined);\nfs.writeFileSync(__filename + '.ready', '');\nsetInterval(() => undefined, 1000);\n",
    );
    const { NODE_OPTIONS: _inherited, ...env } = process.env;
    const supervisor = new Supervisor({ root: ROOT, env, logger, mode: 'source', stopTimeoutMs: 1500 });
    try {
      supervisor.start([{ name: 'stubborn', entry: app.entry }]);
      while (!fs.existsSync(`${app.entry}.ready`)) await new Promise((r) => setTimeout(r, 50));
      expect(await supervisor.stop()).toEqual({ stubborn: 'SIGKILL' });
      expect(lines.find((line) => line.msg === 'apps still running after the stop deadline, killing them')).toMatchObject({
        level: 50,
        apps: ['stubborn'],
        stopTimeoutMs: 1500,
      });
    } finally {
      app.remove();
    }
  }, 20_000);
});
