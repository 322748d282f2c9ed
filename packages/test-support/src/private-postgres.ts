import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client as PgClient } from 'pg';
import { freePort } from './redis-server';

/** A throw-away PostgreSQL cluster the test may stop, restart and cut connections of (never the machine's server). */
export interface PrivatePostgres {
  port: number;
  /** The URL of a database of this cluster. */
  url(database: string): string;
  createDatabase(name: string): Promise<void>;
  start(): void;
  /** pg_ctl stop -m fast: every connection is cut, as in a restart or failover. */
  stop(): void;
  restart(): void;
  /** pg_terminate_backend of every connection to a database ("terminating connection due to administrator command"). */
  terminate(database: string): Promise<number>;
  destroy(): void;
}

function binDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  const found = versions.map((v) => path.join(root, v, 'bin')).find((dir) => fs.existsSync(path.join(dir, 'initdb')));
  if (!found) throw new Error('initdb not found under /usr/lib/postgresql/*/bin: install the postgresql package');
  return found;
}

/** initdb + pg_ctl as the postgres user (PostgreSQL refuses to run as root) on a free port under /tmp. */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = binDir();
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'itest-pg-'));
  const data = path.join(dir, 'data');
  const asPostgres = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--'] : [];
  const run = (cmd: string, args: string[]) => {
    const [file, ...rest] = [...asPostgres, path.join(bin, cmd), ...args];
    execFileSync(file as string, rest, { stdio: 'ignore', timeout: 120_000 });
  };
  if (asPostgres.length) execFileSync('chown', ['postgres:postgres', dir]);
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  const start = () => run('pg_ctl', ['-D', data, '-o', options, '-l', path.join(dir, 'log'), '-w', '-t', '60', 'start']);
  const stop = () => run('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']);
  start();
  const url = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`;
  const admin = async <T>(work: (client: PgClient) => Promise<T>): Promise<T> => {
    const client = new PgClient({ connectionString: url('postgres') });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };
  return {
    port,
    url,
    createDatabase: (name) => admin(async (c) => void (await c.query(`CREATE DATABASE ${name}`))),
    start,
    stop,
    restart: () => run('pg_ctl', ['-D', data, '-o', options, '-l', path.join(dir, 'log'), '-m', 'fast', '-w', '-t', '60', 'restart']),
    terminate: (database) =>
      admin(
        async (c) =>
          (
            await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [
              database,
            ])
          ).rowCount ?? 0,
      ),
    destroy: () => {
      try {
        stop();
      } catch {
        // already stopped
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
