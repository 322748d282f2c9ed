import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DatabaseConnection } from '@integrador/connections';
import { Secret } from '@integrador/connections';
import { freePort } from '@integrador/test-support/ports';
import { openAfter, startSilentListener } from '@integrador/test-support/silent-listener';
import { startTcpRelay } from '@integrador/test-support/tcp-relay';
import Database from 'better-sqlite3';
import { createConnection as createMysqlConnection } from 'mysql2/promise';
import * as Firebird from 'node-firebird';
import {
  databaseConnection,
  firebirdPassword,
  odbcPostgresConnectionString,
  optionalParts,
  TEST_SOURCE_SERVERS,
} from '../test/scratch-sources';
import { type ConnectionTestResult, testSourceConnection } from './test-connection';

// Firebird, ODBC, SQL Server and Oracle where they are; otherwise one line says how to enable them.
const parts = optionalParts(['firebird', 'odbc', 'mssql', 'oracle']);
const PG = new URL(TEST_SOURCE_SERVERS.postgres);
const MY = new URL(TEST_SOURCE_SERVERS.mysql);

/** The test's steps as [name, ok] pairs. */
function stepsOf(result: ConnectionTestResult) {
  return result.steps.map((step) => [step.step, step.ok]);
}

describe('testSourceConnection on PostgreSQL', () => {
  const base = () =>
    databaseConnection('postgres', {
      host: PG.hostname,
      port: Number(PG.port || 5432),
      database: 'postgres',
      user: PG.username || 'postgres',
    });

  it('passes every step and reports the server version', async () => {
    const result = await testSourceConnection(base());
    expect(stepsOf(result)).toEqual([
      ['reachability', true],
      ['login', true],
      ['query', true],
      ['version', true],
    ]);
    expect(result).toMatchObject({ ok: true, connection: 'scratch_postgres', kind: 'database', driver: 'postgres' });
    expect(result.serverVersion).toMatch(/^\d+(\.\d+)?/);
    expect(result.error).toBeUndefined();
    expect(result.steps[0]?.message).toBe(`${PG.hostname} aceitou a conexão na porta ${PG.port || 5432}`);
    expect(result.steps.every((step) => step.ms >= 0)).toBe(true);
  });

  it('tells a wrong host (DNS) apart from a closed port', async () => {
    const host = await testSourceConnection({ ...base(), host: 'erp-nao-existe.invalid' });
    expect(host).toMatchObject({ ok: false, error: { code: 'HOST_UNREACHABLE' } });
    expect(stepsOf(host)).toEqual([['reachability', false]]);
    expect(host.error?.message).toMatch(
      /^o servidor erp-nao-existe\.invalid não foi encontrado ou não responde \(.*getaddrinfo ENOTFOUND.*\): confira o nome\/IP do host na conexão e o DNS$/,
    );

    const port = await freePort();
    const closed = await testSourceConnection({ ...base(), port });
    expect(closed).toMatchObject({ ok: false, error: { code: 'PORT_CLOSED' } });
    expect(closed.error?.message).toBe(
      `o servidor 127.0.0.1 recusou a conexão na porta ${port}: confira a porta, se o serviço do banco está no ar e se o firewall libera o acesso`,
    );
  });

  it('reports an unknown login and a missing database (28000 / 3D000) at the login step', async () => {
    // The machine's PostgreSQL trusts 127.0.0.1, so a wrong password is tested on MariaDB and Firebird; an unknown role here.
    const login = await testSourceConnection({ ...base(), user: 'ninguem_aqui' });
    expect(login).toMatchObject({ ok: false, error: { code: 'LOGIN_REFUSED' } });
    expect(stepsOf(login)).toEqual([
      ['reachability', true],
      ['login', false],
    ]);
    expect(login.error?.message).toMatch(
      /^o banco recusou o login do usuário "ninguem_aqui" \(.*ninguem_aqui.*\): confira usuário e senha/,
    );

    const missing = await testSourceConnection({ ...base(), database: 'erp_inexistente' }, { locale: 'en' });
    expect(missing).toMatchObject({ ok: false, error: { code: 'DATABASE_MISSING' } });
    expect(missing.error?.message).toMatch(
      /^database "erp_inexistente" does not exist on 127\.0\.0\.1 or cannot be opened \(.*\): check the database name/,
    );
  });

  it('refuses an internal address unless the connection allows it', async () => {
    const result = await testSourceConnection({ ...base(), allowPrivateNetwork: false });
    expect(result).toMatchObject({ ok: false, error: { code: 'ADDRESS_FORBIDDEN' } });
    // The refused range is worded as every outbound-guard refusal words it (the webhooks', the endpoints'); loopback is
    // the hub's own machine, which allowPrivateNetwork alone does not open (OUTBOUND_ALLOW_LOOPBACK, the operator's).
    expect(result.error?.message).toBe(
      'o endereço 127.0.0.1 fica na máquina do próprio hub (loopback, a própria máquina), onde escuta o que só ele alcança (um Redis ou PostgreSQL local, as métricas): a conexão "scratch_postgres" só o alcança com allowPrivateNetwork: true e a escolha do operador OUTBOUND_ALLOW_LOOPBACK=true',
    );
    // A range other than the three the text once listed is named as it is (carrier-grade NAT, 100.64.0.0/10).
    const cgnat = await testSourceConnection({ ...base(), host: '100.64.0.1', allowPrivateNetwork: false }, { locale: 'en' });
    expect(cgnat.error).toEqual({
      code: 'ADDRESS_FORBIDDEN',
      message:
        'address 100.64.0.1 is internal (carrier-grade NAT) and the connection does not allow it: if the ERP is on the local network, set allowPrivateNetwork: true on connection "scratch_postgres"',
    });
  });

  it('times out a server that accepts the connection but never answers the login, and closes the connection', async () => {
    const silent = await startSilentListener();
    try {
      const result = await testSourceConnection({ ...base(), port: silent.port }, { stepTimeoutMs: 500 });
      expect(stepsOf(result)).toEqual([
        ['reachability', true],
        ['login', false],
      ]);
      expect(result.error?.code).toBe('TIMEOUT');
      // M6 (trial): the port accepted: a server that did not finish the login, not a firewall dropping packets.
      expect(result.error?.message).toContain(`127.0.0.1:${silent.port} aceitou a conexão, mas não concluiu o login em 500 ms`);
      expect(result.error?.message).not.toContain('firewall');
      expect(await openAfter(silent.openClients)).toBe(0);
    } finally {
      await silent.close();
    }
  });
});

describe('testSourceConnection on MariaDB', () => {
  const user = `itest_src_${process.pid}`;
  const password = 'S3nha-Muito-Secreta';
  const base = (): DatabaseConnection =>
    databaseConnection('mysql', {
      host: MY.hostname,
      port: Number(MY.port || 3306),
      database: MY.pathname.slice(1) || 'test',
      user,
      password: new Secret(password),
    });

  beforeAll(async () => {
    const admin = await createMysqlConnection(TEST_SOURCE_SERVERS.mysql);
    await admin.query(`CREATE USER IF NOT EXISTS '${user}'@'%' IDENTIFIED BY '${password}'`);
    await admin.query(`CREATE USER IF NOT EXISTS '${user}'@'localhost' IDENTIFIED BY '${password}'`);
    await admin.query(`GRANT SELECT ON test.* TO '${user}'@'%'`);
    await admin.query(`GRANT SELECT ON test.* TO '${user}'@'localhost'`);
    await admin.end();
  });
  afterAll(async () => {
    const admin = await createMysqlConnection(TEST_SOURCE_SERVERS.mysql);
    await admin.query(`DROP USER IF EXISTS '${user}'@'%'`);
    await admin.query(`DROP USER IF EXISTS '${user}'@'localhost'`);
    await admin.end();
  });

  it('passes with the right password', async () => {
    const result = await testSourceConnection(base());
    expect(result).toMatchObject({ ok: true, driver: 'mysql' });
    expect(result.serverVersion).toMatch(/MariaDB|^\d+\.\d+/);
  });

  it('refuses a wrong password (1045) without ever showing a password', async () => {
    const wrong = 'Senha-Errada-123';
    const result = await testSourceConnection({ ...base(), password: new Secret(wrong) });
    expect(result).toMatchObject({ ok: false, error: { code: 'LOGIN_REFUSED' } });
    expect(result.error?.message).toMatch(new RegExp(`^o banco recusou o login do usuário "${user}" \\(Access denied for user`));
    const text = JSON.stringify(result);
    expect(text).not.toContain(wrong);
    expect(text).not.toContain(password);
  });

  it('reports a missing database (1049)', async () => {
    const result = await testSourceConnection({ ...base(), user: 'root', password: undefined, database: 'erp_inexistente' });
    expect(result).toMatchObject({ ok: false, error: { code: 'DATABASE_MISSING' } });
    expect(result.error?.message).toContain('o banco "erp_inexistente" não existe em 127.0.0.1');
  });
});

(parts.has('firebird') ? describe : describe.skip)('testSourceConnection on Firebird', () => {
  const file = path.join(os.tmpdir(), `itest_src_conn_${process.pid}.fdb`);
  const base = (): DatabaseConnection =>
    databaseConnection('firebird', {
      host: TEST_SOURCE_SERVERS.firebirdHost,
      port: TEST_SOURCE_SERVERS.firebirdPort,
      database: 'employee',
      user: TEST_SOURCE_SERVERS.firebirdUser,
      password: new Secret(firebirdPassword()),
    });

  it('passes against the server and reports the engine version', async () => {
    const created = await new Promise<{ detach(cb: () => void): void }>((resolve, reject) =>
      Firebird.create(
        {
          host: TEST_SOURCE_SERVERS.firebirdHost,
          port: TEST_SOURCE_SERVERS.firebirdPort,
          database: file,
          user: TEST_SOURCE_SERVERS.firebirdUser,
          password: firebirdPassword(),
        },
        (error, db) => (error ? reject(error) : resolve(db)),
      ),
    );
    await new Promise<void>((resolve) => created.detach(() => resolve()));
    try {
      const result = await testSourceConnection({ ...base(), database: file });
      expect(result).toMatchObject({ ok: true, driver: 'firebird' });
      expect(result.serverVersion).toMatch(/^3\.\d/);
    } finally {
      fs.rmSync(file, { force: true });
    }
  });

  it('refuses a wrong password and reports a missing database file', async () => {
    const login = await testSourceConnection({ ...base(), password: new Secret('errada-demais') });
    expect(login).toMatchObject({ ok: false, error: { code: 'LOGIN_REFUSED' } });
    expect(JSON.stringify(login)).not.toContain('errada-demais');

    const missing = await testSourceConnection({ ...base(), database: '/tmp/nao/existe/erp.fdb' }, { locale: 'en' });
    expect(missing).toMatchObject({ ok: false, error: { code: 'DATABASE_MISSING' } });
    expect(missing.error?.message).toMatch(
      /^database "\/tmp\/nao\/existe\/erp\.fdb" does not exist on 127\.0\.0\.1 or cannot be opened \(.*open.*\)/,
    );
  });

  // The server keeps the socket of a failed attach open for the client to try another database: the test closes it.
  it('closes its connection when the attach fails or the server never answers', async () => {
    const firebird = await startTcpRelay(`firebird://${TEST_SOURCE_SERVERS.firebirdHost}:${TEST_SOURCE_SERVERS.firebirdPort}/`);
    const silent = await startSilentListener();
    try {
      const port = Number(new URL(firebird.url).port);
      const missing = await testSourceConnection({ ...base(), port, database: '/tmp/nao/existe/erp.fdb' });
      expect(missing).toMatchObject({ ok: false, error: { code: 'DATABASE_MISSING' } });
      expect(await openAfter(firebird.openClients)).toBe(0);

      const timedOut = await testSourceConnection({ ...base(), port: silent.port }, { stepTimeoutMs: 300 });
      expect(stepsOf(timedOut)).toEqual([
        ['reachability', true],
        ['login', false],
      ]);
      expect(timedOut.error?.code).toBe('TIMEOUT');
      expect(await openAfter(silent.openClients)).toBe(0);
    } finally {
      await firebird.close();
      await silent.close();
    }
  });
});

// SQL Server and Oracle: against the servers MSSQL_URL / ORACLE_URL name (infra/compose.yaml), skipped otherwise.
const SERVERS = [
  { driver: 'mssql' as const, url: process.env.MSSQL_URL, missing: 'DATABASE_MISSING' },
  { driver: 'oracle' as const, url: process.env.ORACLE_URL, missing: 'DATABASE_MISSING' },
];
const AVAILABLE = SERVERS.filter((server) => parts.has(server.driver));
(AVAILABLE.length > 0 ? describe.each(AVAILABLE) : describe.skip.each(SERVERS))(
  'testSourceConnection on $driver',
  ({ driver, url, missing }) => {
    const base = () => databaseConnection(driver, { url: url as string });
    const withUrl = (change: (parsed: URL) => void) => {
      const parsed = new URL(url as string);
      change(parsed);
      return databaseConnection(driver, { url: parsed.toString() });
    };

    it('passes every step and reports the server version', async () => {
      const result = await testSourceConnection(base());
      expect(result).toMatchObject({ ok: true, driver });
      expect(result.serverVersion).toMatch(/\d+\.\d+/);
    });

    it('refuses a wrong password and reports a missing database', async () => {
      const login = await testSourceConnection(withUrl((parsed) => (parsed.password = 'Errada_123')));
      expect(login).toMatchObject({ ok: false, error: { code: 'LOGIN_REFUSED' } });
      expect(JSON.stringify(login)).not.toContain('Errada_123');
      const absent = await testSourceConnection(withUrl((parsed) => (parsed.pathname = '/ERP_INEXISTENTE')));
      expect(absent).toMatchObject({ ok: false, error: { code: missing } });
    });
  },
);

// Through Debian's psqlODBC: the driver reports every failed connect as 08001, the vendor's text tells which.
(parts.has('odbc') ? describe : describe.skip)('testSourceConnection over ODBC (psqlODBC)', () => {
  const odbc = (connectionString: string, fields: Partial<DatabaseConnection> = {}): DatabaseConnection => ({
    ...databaseConnection('odbc', { host: PG.hostname, port: Number(PG.port || 5432), options: { versionQuery: 'SHOW server_version' } }),
    connectionString: new Secret(connectionString),
    ...fields,
  });
  const good = () => odbcPostgresConnectionString('postgres');

  it('passes every step, with the trivial query and the version the entry asks for', async () => {
    const result = await testSourceConnection(odbc(good()));
    expect(stepsOf(result)).toEqual([
      ['reachability', true],
      ['login', true],
      ['query', true],
      ['version', true],
    ]);
    expect(result).toMatchObject({ ok: true, driver: 'odbc' });
    expect(result.serverVersion).toMatch(/^\d+(\.\d+)?/);
    const custom = await testSourceConnection(odbc(good(), { host: undefined, port: undefined, options: { testQuery: 'SELECT 2' } }));
    expect(stepsOf(custom)).toEqual([
      ['login', true],
      ['query', true],
      ['version', true],
    ]);
    expect(custom.steps[1]?.message).toContain('SELECT 2');
    // The version the driver cannot tell is said in the locale's words (it was English, 'ODBC (options.versionQuery not
    // set)', in a pt-BR line).
    expect(custom.serverVersion).toBeUndefined();
    // No user nor database on the entry (the connection string has them): no empty quotes in the login line.
    expect(custom.steps[0]?.message).toBe('login aceito pela fonte ODBC (DSN ou cadeia de conexão da entrada)');
    expect(custom.steps[2]?.message).toBe(
      'versão do servidor: o driver ODBC não informa (defina options.versionQuery na entrada para perguntá-la ao servidor)',
    );
  });

  it('maps a closed port, an unknown host, an unknown login and a missing database — never showing the PWD', async () => {
    const port = await freePort();
    const closed = await testSourceConnection(odbc(good().replace(/PORT=\d+/, `PORT=${port}`), { host: undefined, port: undefined }));
    expect(closed).toMatchObject({ ok: false, error: { code: 'PORT_CLOSED' } });
    expect(stepsOf(closed)).toEqual([['login', false]]);
    const host = await testSourceConnection(odbc(good().replace(/SERVER=[^;]+/, 'SERVER=erp-nao-existe.invalid'), { host: undefined }));
    expect(host).toMatchObject({ ok: false, error: { code: 'HOST_UNREACHABLE' } });
    const login = await testSourceConnection(odbc(good().replace(/UID=[^;]*;PWD=[^;]*/, 'UID=ninguem_aqui;PWD=Segredo_123')));
    expect(login).toMatchObject({ ok: false, error: { code: 'LOGIN_REFUSED' } });
    expect(login.error?.message).toContain('ninguem_aqui');
    expect(JSON.stringify(login)).not.toContain('Segredo_123');
    const absent = await testSourceConnection(odbc(good().replace('DATABASE=postgres', 'DATABASE=erp_inexistente')));
    expect(absent).toMatchObject({ ok: false, error: { code: 'DATABASE_MISSING' } });
    expect(absent.error?.message).toContain('erp_inexistente');
  });

  it('reports a driver unixODBC does not know at the login step', async () => {
    // A HOSTNAME that resolves: the outbound guard refuses one that does not before the driver manager is asked.
    const result = await testSourceConnection(odbc('DRIVER={IBM DB2 ODBC DRIVER};DATABASE=ERP;HOSTNAME=127.0.0.1;UID=u;PWD=Segredo_123;'));
    expect(stepsOf(result)).toEqual([
      ['reachability', true],
      ['login', false],
    ]);
    expect(result.error?.code).toBe('CONNECTION_FAILED');
    expect(result.error?.message).toMatch(/Can't open lib 'IBM DB2 ODBC DRIVER'/);
    expect(JSON.stringify(result)).not.toContain('Segredo_123');
  });
});

describe('testSourceConnection on SQLite', () => {
  it('checks the file, opens it read-only and reads the version', async () => {
    const file = path.join(os.tmpdir(), `itest_src_conn_${process.pid}.sqlite`);
    new Database(file).close();
    try {
      const result = await testSourceConnection(databaseConnection('sqlite', { database: file }));
      expect(stepsOf(result)).toEqual([
        ['file', true],
        ['login', true],
        ['query', true],
        ['version', true],
      ]);
      expect(result.serverVersion).toMatch(/^3\.\d+/);
    } finally {
      fs.rmSync(file, { force: true });
    }
  });

  it('reports a missing file as DATABASE_MISSING', async () => {
    const result = await testSourceConnection(databaseConnection('sqlite', { database: '/tmp/nao-existe.sqlite' }));
    expect(result).toMatchObject({ ok: false, error: { code: 'DATABASE_MISSING' } });
    expect(stepsOf(result)).toEqual([['file', false]]);
  });
});
