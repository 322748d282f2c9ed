import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { testEnv } from './test-env';

export const ROOT = path.resolve(__dirname, '../../..');

/** A fleet process started by a test, with its JSON log lines collected. */
export interface AppProcess {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  /** The stdout lines that are not JSON (a library's raw console output breaking the log). */
  rawLines: string[];
  stderr: string[];
  /** Resolves with the first log line whose msg matches. */
  waitForLog(msg: string | RegExp, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<number | string>;
}

/** How a test process is started beside its command line. */
export interface SpawnOptions {
  /**
   * Leader of its own process group (pgid = pid), so a test can signal the group as systemd or a terminal does. Every
   * process is started so now (the reaper needs the group); the option stays for the tests that say why they need it.
   */
  detached?: boolean;
  /** An IPC channel to the app (child.send / child.disconnect), as the fleet's supervisor opens one to each app. */
  ipc?: boolean;
}

/**
 * The reaper: one small process per test runner process, in a session of its own (no terminal's Ctrl-C reaches it),
 * reading the process groups of the apps started here on its stdin (`+pgid`, `-pgid` once one exited). When the runner
 * dies — killed with SIGKILL or SIGTERM, or exiting with apps still running — its end of the pipe closes: the reaper
 * sends each group still alive SIGTERM, SIGKILL after 5 s, and exits. A cluster primary's workers are in its group.
 */
const REAPER = `
const groups = new Set();
let text = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  text += chunk;
  for (let at = text.indexOf('\\n'); at >= 0; at = text.indexOf('\\n')) {
    const line = text.slice(0, at);
    text = text.slice(at + 1);
    const pgid = Number(line.slice(1));
    if (pgid > 1) line[0] === '+' ? groups.add(pgid) : groups.delete(pgid);
  }
});
const signal = (name) => {
  for (const pgid of groups) {
    try { process.kill(-pgid, name); } catch { groups.delete(pgid); }
  }
};
process.stdin.on('error', () => undefined);
process.stdin.on('close', () => {
  signal('SIGTERM');
  const started = Date.now();
  const timer = setInterval(() => {
    signal(0);
    if (groups.size > 0 && Date.now() - started < 5000) return;
    signal('SIGKILL');
    clearInterval(timer);
    process.exit(0);
  }, 100);
});
`;

let reaper: ChildProcess | undefined;

/** Hands a started app's process group to the reaper (started on first use), and takes it back once the app exited. */
function reapWithRunner(child: ChildProcess): void {
  if (child.pid === undefined) return;
  if (!reaper || reaper.exitCode !== null || reaper.signalCode !== null) {
    reaper = spawn(process.execPath, ['-e', REAPER], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    reaper.stdin?.on('error', () => undefined);
    // Neither keeps the runner alive: the pipe closing as the runner goes is the reaper's signal.
    reaper.unref();
    (reaper.stdin as (NodeJS.WritableStream & { unref?: () => void }) | null)?.unref?.();
  }
  const own = reaper;
  const pgid = child.pid;
  own.stdin?.write(`+${pgid}\n`);
  child.once('exit', () => own.stdin?.write(`-${pgid}\n`));
}

/** An app's entry (`apps/<app>/src/main.ts`, or the ingress's `src/server.ts`): the file scripts/build.mjs compiles. */
const APP_ENTRY = /^apps\/([^/]+)\/src\/(?:main|server)\.ts$/;

/**
 * Starts an entry file (relative to the repo root). An app's entry runs from its build (spawnCompiledApp), which the
 * jest global setup refreshes when a source changed: tsx compiling every app at every start was most of the suite's
 * process start-up. Other TypeScript entries (test doubles, fixtures) run through tsx (spawnSource).
 */
export function spawnApp(entry: string, env: Record<string, string>, args: string[] = [], options: SpawnOptions = {}): AppProcess {
  const app = APP_ENTRY.exec(entry)?.[1];
  return app === undefined ? spawnSource(entry, env, args, options) : spawnCompiledApp(app, env, args, [], options);
}

/** Starts a TypeScript file (relative to the repo root) with `node --import tsx`, as `npm run dev` does. */
export function spawnSource(entry: string, env: Record<string, string>, args: string[] = [], options: SpawnOptions = {}): AppProcess {
  return spawnNode(['--import', 'tsx', entry, ...args], env, options);
}

/** Stops the apps a test started (SIGTERM to each still running) and waits for every one to exit; empties the list. */
export async function stopApps(apps: AppProcess[]): Promise<void> {
  for (const app of apps.splice(0)) {
    if (app.child.exitCode === null && app.child.signalCode === null) app.child.kill('SIGTERM');
    await app.exited;
  }
}

/**
 * Builds the apps when a source changed since the last build (`npm run build`), as `npm start` does; `root` is the
 * repository whose scripts/build.mjs runs (the script builds the tree it sits in).
 */
export function buildApps(root: string = ROOT): void {
  execFileSync(process.execPath, [path.join(root, 'scripts/build.mjs'), '--quiet', '--if-stale'], { cwd: root, stdio: 'inherit' });
}

/**
 * Starts an app's build (apps/<app>/dist/main.js) with source maps, as `npm start` and the image do; see buildApps.
 * `nodeFlags` (--cpu-prof, a heap size) go before the script.
 */
export function spawnCompiledApp(
  app: string,
  env: Record<string, string>,
  args: string[] = [],
  nodeFlags: readonly string[] = [],
  options: SpawnOptions = {},
): AppProcess {
  return spawnBuild(`apps/${app}/dist/main.js`, env, args, nodeFlags, options);
}

/** Starts a compiled script (an app's dist/main.js, or a copy of an older build for A/B benchmarks) with source maps. */
export function spawnBuild(
  file: string,
  env: Record<string, string>,
  args: string[] = [],
  nodeFlags: readonly string[] = [],
  options: SpawnOptions = {},
): AppProcess {
  return spawnNode([...nodeFlags, '--enable-source-maps', file, ...args], env, options);
}

function spawnNode(nodeArgs: string[], env: Record<string, string>, options: SpawnOptions): AppProcess {
  const child = spawn(process.execPath, nodeArgs, {
    cwd: ROOT,
    // A group of its own, always: the reaper signals it (the app and its cluster workers) if the runner dies first.
    detached: true,
    // Tests start several workers at once: no metrics port unless a test asks for one (METRICS_PORT in env).
    env: { ...testEnv().inherited, METRICS_PORT: '0', ...env },
    stdio: options.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  reapWithRunner(child);
  const lines: Record<string, unknown>[] = [];
  const rawLines: string[] = [];
  const stderr: string[] = [];
  const waiters: { match: (line: Record<string, unknown>) => boolean; resolve: (line: Record<string, unknown>) => void }[] = [];
  let buffer = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let at = buffer.indexOf('\n');
    while (at >= 0) {
      const text = buffer.slice(0, at);
      buffer = buffer.slice(at + 1);
      at = buffer.indexOf('\n');
      try {
        const line = JSON.parse(text) as Record<string, unknown>;
        lines.push(line);
        for (const waiter of [...waiters]) {
          if (waiter.match(line)) {
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.resolve(line);
          }
        }
      } catch {
        if (text.trim()) rawLines.push(text);
      }
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));

  const waitForLog = (msg: string | RegExp, timeoutMs = 30000) => {
    const match = (line: Record<string, unknown>) => (typeof msg === 'string' ? line.msg === msg : msg.test(String(line.msg)));
    const seen = lines.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no log line "${String(msg)}" within ${timeoutMs} ms; stderr: ${stderr.join('')}`)),
        timeoutMs,
      );
      waiters.push({
        match,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
    });
  };
  return { child, lines, rawLines, stderr, waitForLog, exited };
}
