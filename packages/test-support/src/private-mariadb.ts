import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createConnection } from 'mysql2/promise';
import { freePort } from './redis-server';
import { testEnv } from './test-env';

/** A throw-away MariaDB server with its own settings (never the machine's server, whose globals stay untouched). */
export interface PrivateMariadb {
  port: number;
  /** The URL of a database of this server (root, no password, loopback only). */
  url(database: string): string;
  createDatabase(name: string): Promise<void>;
  destroy(): Promise<void>;
}

/** mariadbd (or mysqld) and mariadb-install-db, on the PATH or in /usr/sbin and /usr/bin; undefined when missing. */
export function mariadbBinaries(): { server: string; install: string } | undefined {
  const dirs = [...testEnv().inherited.PATH.split(path.delimiter), '/usr/sbin', '/usr/bin'];
  const find = (...names: string[]) => names.flatMap((name) => dirs.map((dir) => path.join(dir, name))).find((file) => fs.existsSync(file));
  const server = find('mariadbd', 'mysqld');
  const install = find('mariadb-install-db', 'mysql_install_db');
  return server && install ? { server, install } : undefined;
}

/**
 * mariadb-install-db into a temporary directory and mariadbd on a free loopback port, with `serverArgs` (e.g.
 * `--local-infile=0`) and on `options.port` when given (else a free one); resolves once it accepts connections.
 */
export async function startPrivateMariadb(serverArgs: readonly string[] = [], options: { port?: number } = {}): Promise<PrivateMariadb> {
  const binaries = mariadbBinaries();
  if (!binaries) throw new Error('mariadbd and mariadb-install-db not found: apt-get install -y mariadb-server');
  const port = options.port ?? (await freePort());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'itest-mariadb-'));
  const data = path.join(dir, 'data');
  const user = os.userInfo().username;
  execFileSync(
    binaries.install,
    ['--no-defaults', `--datadir=${data}`, '--auth-root-authentication-method=normal', '--skip-test-db', `--user=${user}`],
    { stdio: 'ignore', timeout: 120_000 },
  );
  const logFd = fs.openSync(path.join(dir, 'log'), 'a');
  const server: ChildProcess = spawn(
    binaries.server,
    [
      '--no-defaults',
      `--datadir=${data}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--socket=${path.join(dir, 'sock')}`,
      `--pid-file=${path.join(dir, 'pid')}`,
      `--user=${user}`,
      '--skip-log-bin',
      '--innodb-buffer-pool-size=32M',
      ...serverArgs,
    ],
    { stdio: ['ignore', 'ignore', logFd] },
  );
  // The server holds its own copy of the descriptor.
  fs.closeSync(logFd);
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  const url = (database: string) => `mysql://root@127.0.0.1:${port}/${database}`;
  const destroy = async () => {
    if (server.exitCode === null && server.signalCode === null) server.kill('SIGTERM');
    await exited;
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await (await createConnection(url('mysql'))).end();
      break;
    } catch (err) {
      if (server.exitCode !== null || Date.now() > deadline) {
        const log = fs.existsSync(path.join(dir, 'log')) ? fs.readFileSync(path.join(dir, 'log'), 'utf8').slice(-2000) : '';
        await destroy();
        throw new Error(`private MariaDB did not start: ${(err as Error).message}\n${log}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  return {
    port,
    url,
    createDatabase: async (name) => {
      const admin = await createConnection(url('mysql'));
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
    },
    destroy,
  };
}
