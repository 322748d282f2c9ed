import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type ConnectionsRegistry, loadConnections } from '@integrador/connections';
import { JOB_FAILURE_REASONS, jobFailureLabel, jobFailureText } from '@integrador/queue';
import { classifySourceError } from '@integrador/sources';
import { TEST_SOURCE_SERVERS } from '@integrador/sources/testing';
import Database from 'better-sqlite3';
import { createConnection as createMysqlConnection } from 'mysql2/promise';
import { Client as PgClient } from 'pg';
import { isPermanent } from '../runs/run-errors';
import { sideError } from './get-errors';
import {
  createSourceReaderFactory,
  SourceDefinitionReplacedError,
  type SourceReaderFactory,
  SourceReadersClosedError,
} from './get-services';

// #11: an ERP login that changes under a running worker (a rotated password, another login) must not leave the worker
// building connections from the old definition until it restarts. Real servers: a PostgreSQL role and a MariaDB user
// of this test's own, created and dropped here. The machine's PostgreSQL trusts loopback, so there the login is refused by
// turning the role's LOGIN off (and the file names another role); MariaDB checks passwords, so there the password itself
// changes, as it does on a PostgreSQL that checks them (TEST_POSTGRES_PASSWORD_URL).

const SELECT_ONE = { sql: 'SELECT 1 AS um', parameters: [] };
const ROWS = 900;

interface Scenario {
  driver: 'postgres' | 'mysql';
  /** The connections file's entry for the login as it is at the start, and as the operator edits it. */
  entry: (phase: 'before' | 'after') => string[];
  /** A query of ROWS rows, streamed in chunks (a run reading while the file is read again). */
  rows: { sql: string; parameters: unknown[] };
  env: Record<string, string>;
  setUp(): Promise<void>;
  /** What the operator did on the ERP: the old login is refused from now on (live sessions killed). */
  rotate(): Promise<void>;
  /** The ERP refuses the file's current login too (its live sessions killed), the file left as it is. */
  lockOut(): Promise<void>;
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
    rows: { sql: `SELECT n FROM generate_series(1, ${ROWS}) AS n`, parameters: [] },
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
      // Live sessions go on (a run reading keeps its connection); new logins of the old definition are refused.
      await admin.query(checksPasswords ? `ALTER ROLE ${oldRole} PASSWORD 'senha-nova'` : `ALTER ROLE ${oldRole} NOLOGIN`);
    },
    async lockOut() {
      const role = checksPasswords ? oldRole : newRole;
      await admin.query(checksPasswords ? `ALTER ROLE ${role} PASSWORD 'outra-senha'` : `ALTER ROLE ${role} NOLOGIN`);
      await kill(role);
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
    rows: {
      sql: `WITH RECURSIVE s (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < ${ROWS}) SELECT n FROM s`,
      parameters: [],
    },
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
      // Live sessions go on (a run reading keeps its connection); new logins with the old password are refused.
      await admin?.query(`ALTER USER '${user}'@'%' IDENTIFIED BY 'senha-nova'`);
    },
    async lockOut() {
      await admin?.query(`ALTER USER '${user}'@'%' IDENTIFIED BY 'outra-senha'`);
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
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fixreload-connections-'));
  const file = path.join(dir, 'connections.yaml');
  const outcomes: { refused: string; replaced: boolean; read: boolean; error?: Error }[] = [];
  let reloads = 0;
  let connections: ConnectionsRegistry;
  let sources: SourceReaderFactory;

  const writeFile = (phase: 'before' | 'after') =>
    fs.writeFileSync(
      file,
      ['connections:', '  erp:', '    tipo: database', '    allowPrivateNetwork: true', ...scenario.entry(phase)].join('\n'),
    );
  /** One run: the reader's answer to SELECT 1, or the error it failed with. */
  const run = (connection = connections.require('erp')) =>
    sources
      .withReader(connection, (reader) => reader.query(SELECT_ONE))
      .then(
        () => 'ok',
        (error: unknown) => error,
      );

  beforeAll(async () => {
    await scenario.setUp();
    writeFile('before');
    ({ connections } = await loadConnections({ connectionsFile: file, secretSource: scenario.env }));
    connections.onReload(() => void reloads++);
    sources = createSourceReaderFactory({ connections, onReload: (outcome) => void outcomes.push(outcome) });
  });
  afterAll(async () => {
    await sources?.close();
    await scenario.tearDown();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a login refused after the file changed: one reload, the runs retry with the new login, a run reading goes on to the end', async () => {
    const before = connections.require('erp');
    // Run A reads in chunks and stops after the first one until the reload is over.
    let resume!: () => void;
    const resumed = new Promise<void>((resolve) => {
      resume = resolve;
    });
    let firstChunk!: () => void;
    const started = new Promise<void>((resolve) => {
      firstChunk = resolve;
    });
    const runA = sources.withReader(before, async (reader) => {
      let rows = 0;
      for await (const chunk of reader.stream(scenario.rows, { chunkSize: 100 })) {
        if (rows === 0) {
          firstChunk();
          await resumed;
        }
        rows += chunk.length;
      }
      return rows;
    });
    await Promise.race([started, runA]);

    // The operator changes the login on the ERP and in the file.
    await scenario.rotate();
    writeFile('after');
    // Runs B and C log in with the old definition at once: refused; the file is read once, both fail as transient.
    const [b, c] = await Promise.all([run(before), run(before)]);
    for (const failure of [b, c]) {
      expect(failure).toBeInstanceOf(SourceDefinitionReplacedError);
      expect(isPermanent(failure)).toBe(false);
      expect(String((failure as Error).message)).not.toContain('senha-');
    }
    expect(reloads).toBe(1);
    // The file was read for one of them: the other decided with that read.
    expect(outcomes).toHaveLength(2);
    expect(outcomes).toEqual(
      expect.arrayContaining([
        { refused: 'erp', replaced: true, read: true },
        { refused: 'erp', replaced: true, read: false },
      ]),
    );

    // Their next attempts take the definition the file holds now and log in.
    expect(connections.isCurrent(before)).toBe(false);
    expect(await run()).toBe('ok');
    // A run still holding the replaced definition opens nothing with it and reads nothing again: it retries too.
    expect(await run(before)).toBeInstanceOf(SourceDefinitionReplacedError);
    expect(reloads).toBe(1);

    // Run A's reader was retired under it but not closed: it streams to the end.
    resume();
    expect(await runA).toBe(ROWS);
  }, 30_000);

  it('a login refused while the file still says the same fails for good as LOGIN_REFUSED, as before', async () => {
    await scenario.lockOut();
    // A connection the server just killed may first fail as lost; the next one the pool opens is refused.
    let failure: unknown;
    for (let tries = 0; tries < 5 && classifySourceError(scenario.driver, failure) !== 'LOGIN_REFUSED'; tries++) failure = await run();
    expect(classifySourceError(scenario.driver, failure)).toBe('LOGIN_REFUSED');
    expect(failure).not.toBeInstanceOf(SourceDefinitionReplacedError);
    expect(outcomes.at(-1)).toMatchObject({ refused: 'erp', replaced: false });
  }, 30_000);
});

// The factory's guard without a refusal, on a SQLite source file: a run resolved before the connections file was read
// again must open nothing with a definition the file no longer holds, whatever became of it.
describe('a GET source factory with the process connections', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'get-services-'));
  const file = path.join(dir, 'connections.yaml');
  const source = path.join(dir, 'erp.db');
  let connections: ConnectionsRegistry;
  let sources: SourceReaderFactory;
  let opened = 0;

  const writeFile = (name: string) =>
    fs.writeFileSync(
      file,
      ['connections:', `  ${name}:`, '    tipo: database', '    driver: sqlite', `    database: ${source}`].join('\n'),
    );
  const run = (connection: Parameters<SourceReaderFactory['withReader']>[0]) =>
    sources
      .withReader(connection, async (reader) => {
        opened++;
        return reader.query(SELECT_ONE);
      })
      .then(
        () => 'ok',
        (error: unknown) => error,
      );

  beforeEach(async () => {
    new Database(source).close();
    writeFile('erp');
    ({ connections } = await loadConnections({ connectionsFile: file, secretSource: {} }));
    sources = createSourceReaderFactory({ connections });
    opened = 0;
  });
  afterEach(() => sources.close());
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('opens nothing for a definition the file renamed: the run fails as transient, worded by its own code', async () => {
    const before = connections.require('erp');
    writeFile('erp_renomeado');
    await connections.reload();
    const failure = await run(before);
    expect(failure).toBeInstanceOf(SourceDefinitionReplacedError);
    expect(isPermanent(failure)).toBe(false);
    expect(opened).toBe(0);
    // As run-get passes a source's failure on: not wrapped (its source named once), its code worded in both languages.
    expect(sideError('source', 'ERP source "erp"', failure)).toBe(failure);
    expect((failure as SourceDefinitionReplacedError).code).toBe('CONNECTION_REPLACED');
    expect(jobFailureText('pt-BR', 'CONNECTION_REPLACED', (failure as Error).message)).toContain(
      'a próxima tentativa usa a definição nova',
    );
    expect(jobFailureText('en', 'CONNECTION_REPLACED', (failure as Error).message)).toContain('the next attempt uses the new definition');
    expect(await run(connections.require('erp_renomeado'))).toBe('ok');
  });

  it('opens nothing once closed: the run fails as transient, not as a replaced definition', async () => {
    const connection = connections.require('erp');
    await sources.close();
    const failure = await run(connection);
    expect(failure).toBeInstanceOf(Error);
    expect(failure).not.toBeInstanceOf(SourceDefinitionReplacedError);
    expect(isPermanent(failure)).toBe(false);
    expect(opened).toBe(0);
    // Its own code, worded for the run's record in both languages (the recorder reads it through run-get's wrapper).
    const wrapped = sideError('source', 'ERP source "erp"', failure) as Error;
    expect((wrapped.cause as { code?: string }).code).toBe('SOURCE_READERS_CLOSED');
    expect(jobFailureLabel('pt-BR', 'SOURCE_READERS_CLOSED')).toContain('o worker estava encerrando');
    expect(jobFailureLabel('en', 'SOURCE_READERS_CLOSED')).toContain('the worker was shutting down');
  });

  it("words every code of the GET factory's own failures in the job failure catalogue", () => {
    for (const failure of [new SourceDefinitionReplacedError('x'), new SourceReadersClosedError('x')])
      expect({ code: failure.code, worded: JOB_FAILURE_REASONS.has(failure.code) }).toEqual({ code: failure.code, worded: true });
  });
});
