import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';

/** Private Redis servers started by a test on its own ports (never the machine's shared Redis), removed by stop(). */
export interface PrivateRedis {
  /** host:port of each node. */
  nodes: string[];
  url: string;
  stop(): Promise<void>;
}

/** Why a local Redis Cluster cannot be started here (redis-server or redis-cli missing or too old), or undefined. */
export function clusterUnsupported(): string | undefined {
  const server = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  const version = /v=(\d+)\./.exec(server.stdout ?? '');
  if (server.status !== 0 || !version) return 'redis-server not found';
  if (Number(version[1]) < 6) return `redis-server ${version[1]}.x is older than 6.2`;
  const cli = spawnSync('redis-cli', ['--cluster', 'help'], { encoding: 'utf8' });
  if (cli.status !== 0 && !/create/.test(`${cli.stdout}${cli.stderr}`)) return 'redis-cli without --cluster support';
  return undefined;
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} within ${timeoutMs} ms`);
}

async function ask(port: number, ...command: string[]): Promise<string> {
  const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return String(await redis.call(command[0] as string, ...command.slice(1)));
  } finally {
    redis.disconnect();
  }
}

/**
 * Starts redis-server on each port (no persistence, noeviction as the fleet requires); with `cluster`, in cluster mode
 * joined by `redis-cli --cluster create` into one cluster of masters that share the 16384 slots.
 */
export async function startPrivateRedis(ports: number[], options: { cluster: boolean }): Promise<PrivateRedis> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'itest-redis-'));
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) {
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'];
      args.push('--maxmemory-policy', 'noeviction', '--logfile', path.join(dir, `${port}.log`));
      if (options.cluster) args.push('--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`);
      const child = spawn('redis-server', args, { stdio: 'ignore' });
      children.push(child);
      await until(async () => (await ask(port, 'PING')) === 'PONG', `redis-server on ${port} did not answer`);
    }
    const nodes = ports.map((port) => `127.0.0.1:${port}`);
    if (options.cluster) {
      const created = spawnSync('redis-cli', ['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes'], {
        encoding: 'utf8',
      });
      if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
      for (const port of ports) {
        await until(async () => (await ask(port, 'CLUSTER', 'INFO')).includes('cluster_state:ok'), `cluster not ok on ${port}`);
      }
    }
    return { nodes, url: `redis://${nodes[0]}`, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The hash slot of every key under a prefix, and how many keys each node holds (SCAN on every node). */
export async function keysBySlot(nodes: string[], prefix: string): Promise<{ slots: Set<number>; keysPerNode: number[] }> {
  const slots = new Set<number>();
  const keysPerNode: number[] = [];
  for (const node of nodes) {
    const port = Number(node.split(':')[1]);
    const redis = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
    try {
      let cursor = '0';
      let count = 0;
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        cursor = next;
        count += keys.length;
        for (const key of keys) slots.add(Number(await redis.call('CLUSTER', 'KEYSLOT', key)));
      } while (cursor !== '0');
      keysPerNode.push(count);
    } finally {
      redis.disconnect();
    }
  }
  return { slots, keysPerNode };
}
