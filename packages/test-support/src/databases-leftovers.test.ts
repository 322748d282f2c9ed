import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DialectName } from '@integrador/store';
import { createConnection } from 'mysql2/promise';
import { Client } from 'pg';
import { ALL_DIALECTS, createTestDatabase, dropStaleTestDatabases, TEST_SERVERS, testDatabaseName } from './databases';

/**
 * A test file stand-in: makes a database of each dialect (and so the PostgreSQL and SQLite templates) and a second
 * MariaDB one (a copy of the first), says so, and stays until it is killed — its afterAll, which drops the templates, and the tests' drop() never run. Jest's afterAll is declared so
 * that databases.ts makes templates, as under Jest.
 */
const TEST_FILE = `
globalThis.afterAll = () => undefined;
const { createTestDatabase } = require(${JSON.stringify(path.join(__dirname, 'databases.ts'))});
(async () => {
  await Promise.all(['postgres', 'mysql', 'sqlite'].map((dialect) => createTestDatabase(dialect)));
  await createTestDatabase('mysql');
  process.stdout.write('made\\n');
  setInterval(() => undefined, 1000);
})();
`;

const children: ReturnType<typeof spawn>[] = [];

/** The pid of a test file process that made its databases and was killed (and reaped: no zombie left). */
async function killedTestFile(): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', TEST_FILE], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const exited = once(child, 'exit');
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    if (output.includes('made')) child.kill('SIGKILL');
  });
  await exited;
  if (!output.includes('made')) throw new Error('the test file stand-in exited before making its databases');
  return child.pid as number;
}

/** The databases of `dialect` (SQLite: files in the temp directory) whose name contains `part`. */
async function databasesNamed(dialect: DialectName, part: string): Promise<string[]> {
  if (dialect === 'postgres') {
    const client = new Client({ connectionString: TEST_SERVERS.postgres });
    await client.connect();
    const { rows } = await client.query<{ name: string }>('SELECT datname AS name FROM pg_database WHERE strpos(datname, $1) > 0', [part]);
    await client.end();
    return rows.map((row) => row.name).sort();
  }
  if (dialect === 'mysql') {
    const connection = await createConnection(TEST_SERVERS.mysql);
    const [rows] = await connection.query('SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE INSTR(SCHEMA_NAME, ?) > 0', [
      part,
    ]);
    await connection.end();
    return (rows as { name: string }[]).map((row) => row.name).sort();
  }
  return fs
    .readdirSync(os.tmpdir())
    .filter((file) => file.includes(part) && file.endsWith('.sqlite'))
    .map((file) => file.slice(0, -'.sqlite'.length))
    .sort();
}

async function onServer(dialect: DialectName, statement: (name: string) => string, name: string): Promise<void> {
  if (dialect === 'postgres') {
    const client = new Client({ connectionString: TEST_SERVERS.postgres });
    await client.connect();
    await client.query(statement(name));
    await client.end();
  } else if (dialect === 'mysql') {
    const connection = await createConnection(TEST_SERVERS.mysql);
    await connection.query(statement(name));
    await connection.end();
  }
}

/** An empty database (SQLite: an empty file) named `name`. */
async function createEmpty(dialect: DialectName, name: string): Promise<void> {
  if (dialect === 'sqlite') fs.writeFileSync(path.join(os.tmpdir(), `${name}.sqlite`), '');
  else await onServer(dialect, (n) => `CREATE DATABASE ${n}`, name);
}

async function dropNamed(dialect: DialectName, name: string): Promise<void> {
  if (dialect === 'sqlite') fs.rmSync(path.join(os.tmpdir(), `${name}.sqlite`), { force: true });
  else await onServer(dialect, (n) => `DROP DATABASE IF EXISTS ${n}`, name);
}

// The first test runs before this file makes any database: the file's first database of a dialect is what drops them.
describe('databases and templates a killed test run left', () => {
  const made: [DialectName, string][] = [];
  afterAll(async () => {
    // A test that timed out leaves its stand-in running.
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const [dialect, name] of made) await dropNamed(dialect, name);
  });

  // Two processes migrate a database of each dialect: ~20 s for MariaDB alone on a loaded machine.
  it('are dropped when a later test file first makes a database of that dialect; a live process’s are kept', async () => {
    const killed = await killedTestFile();
    const live = testDatabaseName('itpl', process.pid);
    for (const dialect of ALL_DIALECTS) {
      // The killed file's test database and template; MariaDB's two databases.
      const left = (await databasesNamed(dialect, `_${killed}_`)).map((name) => name.split('_')[0]);
      expect(left).toEqual(dialect === 'mysql' ? ['itest', 'itest'] : ['itest', 'itpl']);
      await createEmpty(dialect, live);
      made.push([dialect, live]);
    }

    await Promise.all(ALL_DIALECTS.map(async (dialect) => (await createTestDatabase(dialect)).drop()));

    for (const dialect of ALL_DIALECTS) {
      expect(await databasesNamed(dialect, `_${killed}_`)).toEqual([]);
      expect(await databasesNamed(dialect, live)).toEqual([live]);
    }
  }, 240_000);

  it('on another host sharing the servers are kept', async () => {
    const exited = spawn(process.execPath, ['-e', '']);
    await once(exited, 'exit');
    const otherHost = testDatabaseName('itpl', exited.pid).replace(/^itpl_[0-9a-f]{8}_/, 'itpl_00000000_');
    for (const dialect of ALL_DIALECTS) {
      await createEmpty(dialect, otherHost);
      made.push([dialect, otherHost]);
      expect(await dropStaleTestDatabases(dialect)).not.toContain(otherHost);
      expect(await databasesNamed(dialect, otherHost)).toEqual([otherHost]);
    }
  });
});
