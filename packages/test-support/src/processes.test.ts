import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './processes';
import { deletePrefix, TEST_REDIS_URL, testPrefix } from './redis-server';

/**
 * A test runner stand-in: starts worker-cti (its build, a node:cluster primary with two worker processes) through
 * spawnCompiledApp, prints the pids once both workers started, and stays until it is killed.
 */
const RUNNER = `
const { spawnCompiledApp } = require(${JSON.stringify(path.join(__dirname, 'processes.ts'))});
const app = spawnCompiledApp('worker-cti', JSON.parse(process.env.APP_ENV));
const started = () => app.lines.filter((line) => line.msg === 'worker started').map((line) => Number(line.pid));
const timer = setInterval(() => {
  if (started().length < 2) return;
  clearInterval(timer);
  process.stdout.write(JSON.stringify([app.child.pid, ...started()]) + '\\n');
}, 50);
setInterval(() => undefined, 1000);
`;

/** Whether a process is still running (a zombie no one reaped yet counts as gone). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

// Killing the test runner (jest) must not leave the apps its tests started running, holding their ports for the next run.
describe('apps started by a test die with the test runner', () => {
  it.each(['SIGKILL', 'SIGTERM'] as const)(
    'a runner killed with %s leaves no app process behind: the cluster primary and its workers',
    async (signal) => {
      const prefix = testPrefix();
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'itest-reaper-'));
      const env = { REDIS_URL: TEST_REDIS_URL, KEY_PREFIX: prefix, DATA_DIR: dataDir, WORKER_PROCESSES: '2', LOG_LEVEL: 'info' };
      const runner = spawn(process.execPath, ['--import', 'tsx', '-e', RUNNER], {
        cwd: ROOT,
        env: { ...process.env, APP_ENV: JSON.stringify(env) },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let pids: number[] = [];
      try {
        pids = await new Promise<number[]>((resolve, reject) => {
          let out = '';
          runner.stdout?.on('data', (chunk: Buffer) => {
            out += chunk.toString();
            if (out.includes('\n')) resolve(JSON.parse(out.slice(0, out.indexOf('\n'))) as number[]);
          });
          runner.once('exit', (code) => reject(new Error(`the runner exited (${code}) before its app started`)));
        });
        expect(pids).toHaveLength(3);
        expect(pids.every(running)).toBe(true);
        runner.kill(signal);
        for (const deadline = Date.now() + 15_000; pids.some(running) && Date.now() < deadline; ) {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        // Before the fix the primary and its two workers stayed, reparented, holding the app's ports.
        expect(pids.filter(running)).toEqual([]);
      } finally {
        runner.kill('SIGKILL');
        for (const pid of pids.filter(running)) process.kill(pid, 'SIGKILL');
        await deletePrefix(TEST_REDIS_URL, prefix);
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    },
    60_000,
  );
});
