import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './ports';
import { testEnv } from './test-env';

export { freePort };

/** The machine's Redis, shared by most tests (each test uses its own key prefix). */
export const TEST_REDIS_URL = testEnv().redisUrl;

/** A unique, Cluster-safe key prefix for one test, e.g. "{t-3f2a9c}". */
export function testPrefix(): string {
  return `{t-${randomBytes(4).toString('hex')}}`;
}

/** Deletes every key of a test prefix. */
export async function deletePrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** True when something on the port answers PING like Redis (a raw socket: a failed ioredis connect leaks a handle). */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setTimeout(1000);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      // A server started with --requirepass answers NOAUTH: it is up all the same.
      resolve(/^(\+PONG|-NOAUTH)/.test(data.toString()));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** A private redis-server the test can stop and start again on the same port. */
export interface PrivateRedis {
  url: string;
  port: number;
  start(): Promise<void>;
  /** Stops the server: SIGKILL (the default) as a crash does, SIGTERM for a clean shutdown (Redis writes its AOF out). */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Sends a signal to the server (SIGSTOP freezes it: connections stay open, nothing answers; SIGCONT resumes). */
  signal(signal: NodeJS.Signals): void;
}

/** Starts a second redis-server on a free port (for Redis-down and configuration tests). */
export async function startPrivateRedis(extraArgs: string[] = []): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'itest-redis-'));
  let child: ChildProcess | undefined;
  const url = `redis://127.0.0.1:${port}`;
  const start = async () => {
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extraArgs],
      {
        stdio: 'ignore',
      },
    );
    const deadline = Date.now() + 10000;
    while (!(await answersPing(port))) {
      if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not start`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stop = async (signal: NodeJS.Signals = 'SIGKILL') => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGCONT'); // a frozen server cannot act on SIGTERM
      running.kill(signal);
    });
  };
  const signal = (name: NodeJS.Signals) => {
    if (child && child.exitCode === null) child.kill(name);
  };
  await start();
  return { url, port, start, stop, signal };
}
