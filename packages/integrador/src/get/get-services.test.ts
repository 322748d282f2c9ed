import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type ConnectionsRegistry, loadConnections } from '@integrador/connections';
import { classifySourceError, type SourceReader } from '@integrador/sources';
import { TEST_SOURCE_SERVERS } from '@integrador/sources/testing';
import { createConnection as createMysqlConnection } from 'mysql2/promise';
import { Client as PgClient } from 'pg';
import { createSourceReaderFactory, type SourceReaderFactory } from './get-services';

// #11: an ERP login that changes under a running worker (a rotated password, another login) must not leave the worker
// building connections from the old definition until it restarts. Real servers: a PostgreSQL role and a MariaDB user
// of this test's own, created and dropped here. The machine's PostgreSQL trusts loopback, so there the login is refused by
// turning the role's LOGIN off (and the file names another role); MariaDB checks passwords, so there the password itself
// changes, as it does on a PostgreSQL that checks them (TEST_POSTGRES_PASSWORD_URL).

const SELECT_ONE = { sql: 'SELECT 1 AS um', parameters: [] };

/** The reader's query, answered as the SourceErrorCode of its failure, or 'ok'. */
async function outcome(reader: SourceReader): Promise<string> {
  try {
    await reader.query(SELECT_ONE);
    return 'ok';
  } catch (error) {
    return classifySourceError(reader.driver, error);
  }
}

/** Queries until the server refuses the login (a connection the server just killed may first fail as lost). */
async function untilRefused(reader: SourceReader): Promise<string> {
  let last = '';
  for (let tries = 0; tries < 10 && last !== 'LOGIN_REFUSED'; tries++) last = await outcome(reader);
  return last;
}

interface Scenario {
  driver: 'postgres' | 'mysql';
  /** The connections file's entry for the login as it is at the start, and as the operator edits it. */
  entry: (phase: 'before' | 'after') => string[];
  env: Record<string, string>;
  setUp(): Promise<void>;
  /** What the operator did on the ERP: the old login is refused from now on (live sessions killed). */
  rotate(): Promise<void>;
  tearDown(): Promise<void>;
}

/**
 * A server that checks passwords (TEST_POSTGRES_PASSWORD_URL, an admin URL with its password) lets the password itself
 * change, as in the operator's case; the machine's trusting server refuses the old role's LOGIN instead.
 */
const PASSWORD_POSTGRES = process.env.TEST_POSTGRES_PASSWORD_URL;

function postgresScenario(adminUrl: string, checksPasswords: boolean): Scenario {
  const tag = randomBytes(4).toString('hex');
  const [oldRole, newRole] = [`fixop2_old_${tag}`, `fixop2_new_${tag}`];
  const admin = new PgClient({ connectionString: adminUrl });
  const url = new URL(adminUrl);
  const kill = (role: string) => admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [role]);
  return {
    driver: 'postgres',
    env: { ERP_SENHA: 'senha-antiga', ERP_SENHA_NOVA: 'senha-nova' },
    entry: (phase) => [
      '    driver: postgres',
      `    host: ${url.hostname}`,
      `    port: ${url.port || 5432}`,
      `    database: ${url.pathname.slice(1) || 'postgres'}`,
      `    user: ${phase === 'before' || checksPasswords ? oldRole : newRole}`,
      `    password: \${${phase === 'before' ? 'ERP_SENHA' : 'ERP_SENHA_NOVA'}}`,
    ],
    async setUp() {
      await admin.connect();
      await admin.query(`CREATE ROLE ${oldRole} LOGIN PASSWORD 'senha-antiga'`);
      await admin.query(`CREATE ROLE ${newRole} LOGIN PASSWORD 'senha-nova'`);
    },
    async rotate() {
      await admin.query(checksPasswords ? `ALTER ROLE ${oldRole} PASSWORD 'senha-nova'` : `ALTER ROLE ${oldRole} NOLOGIN`);
      await kill(oldRole);
    },
    async tearDown() {
      for (const role of [oldRole, newRole]) {
        await kill(role).catch(() => {});
        await admin.query(`DROP ROLE IF EXISTS ${role}`).catch(() => {});
      }
      await admin.end();
    },
  };
}

function mysqlScenario(): Scenario {
  const user = `fixop2_${randomBytes(4).toString('hex')}`;
  const url = new URL(TEST_SOURCE_SERVERS.mysql);
  let admin: Awaited<ReturnType<typeof createMysqlConnection>> | undefined;
  return {
    driver: 'mysql',
    env: { ERP_SENHA: 'senha-antiga', ERP_SENHA_NOVA: 'senha-nova' },
    // The login stays; the file's reference now names the variable holding the new password.
    entry: (phase) => [
      '    driver: mysql',
      `    host: ${url.hostname}`,
      `    port: ${url.port || 3306}`,
      '    database: information_schema',
      `    user: ${user}`,
      `    password: \${${phase === 'before' ? 'ERP_SENHA' : 'ERP_SENHA_NOVA'}}`,
    ],
    async setUp() {
      admin = await createMysqlConnection({ uri: TEST_SOURCE_SERVERS.mysql.replace(/^mariadb:/i, 'mysql:') });
      await admin.query(`CREATE USER '${user}'@'%' IDENTIFIED BY 'senha-antiga'`);
    },
    async rotate() {
      await admin?.query(`ALTER USER '${user}'@'%' IDENTIFIED BY 'senha-nova'`);
      const [rows] = await (admin as NonNullable<typeof admin>).query(
        'SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = ?',
        [user],
      );
      for (const row of rows as { id: number }[]) await admin?.query(`KILL ${Number(row.id)}`).catch(() => {});
    },
    async tearDown() {
      await admin?.query(`DROP USER IF EXISTS '${user}'@'%'`).catch(() => {});
      await admin?.end();
    },
  };
}

const SCENARIOS: [string, () => Scenario][] = [
  ['postgres, role refused', () => postgresScenario(TEST_SOURCE_SERVERS.postgres, false)],
  ['mariadb, password changed', mysqlScenario],
  ...(PASSWORD_POSTGRES
    ? [['postgres, password changed', () => postgresScenario(PASSWORD_POSTGRES, true)] as [string, () => Scenario]]
    : []),
];

describe.each(SCENARIOS)('a GET source whose login changes under the worker (%s)', (_name, scenarioOf) => {
  const scenario = scenarioOf();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fixop2-connections-'));
  const file = path.join(dir, 'connections.yaml');
  const reloads: { refused: string; changed: string[]; error?: Error }[] = [];
  let connections: ConnectionsRegistry;
  let sources: SourceReaderFactory;

  /** The connections file: `erp`, whose login the test rotates, and `outro`, another database connection. */
  const writeFile = (phase: 'before' | 'after', outroDatabase = 'um') => {
    fs.writeFileSync(path.join(dir, `${outroDatabase}.sqlite`), ''); // an empty file is an empty SQLite database
    fs.writeFileSync(
      file,
      [
        'connections:',
        '  erp:',
        '    tipo: database',
        '    allowPrivateNetwork: true',
        ...scenario.entry(phase),
        '  outro:',
        '    tipo: database',
        '    driver: sqlite',
        `    database: ${path.join(dir, `${outroDatabase}.sqlite`)}`,
      ].join('\n'),
    );
  };

  beforeAll(async () => {
    await scenario.setUp();
    writeFile('before');
    connections = await loadConnections({ connectionsFile: file, secretSource: scenario.env });
    sources = createSourceReaderFactory({ connections, onReload: (outcome) => void reloads.push(outcome) });
  });
  afterAll(async () => {
    await sources?.close();
    await scenario.tearDown();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a refused login drops the pool and reads the file again: the next attempt logs in with the new definition', async () => {
    const first = await sources.readerFor(connections.require('erp'));
    expect(await outcome(first)).toBe('ok');
    const outro = await sources.readerFor(connections.require('outro'));
    expect(await outcome(outro)).toBe('ok');

    await scenario.rotate();
    // The operator edits the file meanwhile (and `outro` points elsewhere now).
    writeFile('after', 'dois');
    expect(await untilRefused(first)).toBe('LOGIN_REFUSED');
    expect(reloads).toEqual([{ refused: 'erp', changed: ['erp', 'outro'] }]);

    // The next attempt: the definition the file holds now, a new pool, a login that works.
    const next = await sources.readerFor(connections.require('erp'));
    expect(next).not.toBe(first);
    expect(await outcome(next)).toBe('ok');
    // The readers of the old definitions were closed: a query on them cannot reach the server any more.
    expect(await outcome(first)).not.toBe('ok');
    expect(await outcome(outro)).not.toBe('ok');
    const outroNow = await sources.readerFor(connections.require('outro'));
    expect(outroNow).not.toBe(outro);
    expect(await outcome(outroNow)).toBe('ok');
  }, 30_000);

  it('a definition that did not change keeps its reader (one pool per connection, shared by the runs)', async () => {
    const reader = await sources.readerFor(connections.require('erp'));
    expect(await sources.readerFor(connections.require('erp'))).toBe(reader);
    expect(await connections.reload()).toEqual([]);
    await sources.retireChanged(connections);
    expect(await sources.readerFor(connections.require('erp'))).toBe(reader);
    expect(await outcome(reader)).toBe('ok');
  });
});
