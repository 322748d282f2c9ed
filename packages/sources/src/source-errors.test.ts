import net from 'node:net';
import { OutboundAddressError, Secret } from '@integrador/connections';
import { freePort } from '@integrador/test-support/ports';
import { DatabaseError } from 'pg';
import * as tedious from 'tedious';
import { openTestSession } from './connection-test/sessions';
import { classifySourceError, redact } from './source-errors';
import { sourceTarget } from './source-target';
import { databaseConnection } from './test/scratch-sources';

// SQL Server and Oracle do not run here: their login errors are built with the drivers' own classes and messages as
// the servers send them, and their network errors are the real ones, from the real drivers against local ports.

async function loginError(driver: 'mssql' | 'oracle', port: number, timeoutMs = 2_000): Promise<unknown> {
  const target = sourceTarget(
    databaseConnection(driver, { host: '127.0.0.1', port, database: 'crmsenior', user: 'crm', password: new Secret('x-senha') }),
  );
  return openTestSession(target, timeoutMs).then(
    async (session) => {
      await session.close();
      throw new Error('expected the login to fail');
    },
    (error: unknown) => error,
  );
}

describe('classifySourceError: SQL Server (tedious)', () => {
  it.each([
    [[18456], "Login failed for user 'crm'.", 'LOGIN_REFUSED'],
    [[4060, 18456], "Login failed for user 'crm'.", 'DATABASE_MISSING'], // tedious keeps the last message only
    [[], 'Cannot open database "crmsenior" requested by the login. The login failed.', 'DATABASE_MISSING'],
    [[18470], "Login failed for user 'crm'. Reason: The account is disabled.", 'LOGIN_REFUSED'],
  ] as const)('maps the login messages %j (%s) to %s', (numbers, message, code) => {
    const error = Object.assign(new tedious.ConnectionError(message, 'ELOGIN'), { numbers: [...numbers] });
    expect(classifySourceError('mssql', error)).toBe(code);
  });

  it('maps a certificate the client refuses, and a failed statement', () => {
    const tls = new tedious.ConnectionError('Failed to connect to erp:1433 - self-signed certificate', 'ESOCKET');
    expect(classifySourceError('mssql', tls)).toBe('TLS_FAILED');
    const request = Object.assign(new tedious.RequestError("Invalid object name 'E085CLI'.", 'EREQUEST'), { number: 208 });
    expect(classifySourceError('mssql', request)).toBe('QUERY_FAILED');
  });

  it('maps the real driver error of a closed port and of a server that never answers', async () => {
    expect(classifySourceError('mssql', await loginError('mssql', await freePort()))).toBe('PORT_CLOSED');
    const silent = net.createServer(() => {});
    const sockets = new Set<net.Socket>();
    silent.on('connection', (socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const error = await loginError('mssql', (silent.address() as net.AddressInfo).port, 500);
      expect(error).toMatchObject({ code: 'ETIMEOUT' });
      expect(classifySourceError('mssql', error)).toBe('TIMEOUT');
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe('classifySourceError: Oracle (oracledb thin)', () => {
  it.each([
    ['ORA-01017: invalid credential or not authorized; logon denied', 'LOGIN_REFUSED'],
    ['ORA-01017: invalid username/password; logon denied', 'LOGIN_REFUSED'],
    ['ORA-28000: The account is locked.', 'LOGIN_REFUSED'],
    [
      'NJS-518: cannot connect to Oracle Database. Service "CRMSENIOR" is not registered with the listener at host 10.0.0.5 port 1521. (Similar to ORA-12514)',
      'DATABASE_MISSING',
    ],
    ['ORA-12514: Cannot connect to database. Service CRMSENIOR is not registered with the listener', 'DATABASE_MISSING'],
    ['ORA-12541: Cannot connect. No listener at host 10.0.0.5 port 1521.', 'PORT_CLOSED'],
    ['NJS-510: connection to host 10.0.0.5 port 1521 timed out. Request exceeded "connectTimeout" of 10 seconds.', 'TIMEOUT'],
    ['ORA-00942: table or view does not exist', 'QUERY_FAILED'],
  ] as const)('maps %s to %s', (message, code) => {
    expect(classifySourceError('oracle', Object.assign(new Error(message), { code: message.slice(0, 9) }))).toBe(code);
  });

  it('maps the real driver error of a closed port', async () => {
    const error = await loginError('oracle', await freePort());
    expect(String((error as Error).message)).toMatch(/^NJS-/);
    expect(classifySourceError('oracle', error)).toBe('PORT_CLOSED');
  });
});

describe('classifySourceError: PostgreSQL, MySQL, Firebird and the network', () => {
  it('reads pg SQLSTATEs', () => {
    const pgError = (code: string) => Object.assign(new DatabaseError('x', 1, 'error'), { code });
    expect(classifySourceError('postgres', pgError('28P01'))).toBe('LOGIN_REFUSED');
    expect(classifySourceError('postgres', pgError('3D000'))).toBe('DATABASE_MISSING');
    expect(classifySourceError('postgres', pgError('42P01'))).toBe('QUERY_FAILED');
  });

  it('reads mysql errnos and Firebird status codes', () => {
    expect(classifySourceError('mysql', Object.assign(new Error("Access denied for user 'crm'@'10.0.0.9'"), { errno: 1045 }))).toBe(
      'LOGIN_REFUSED',
    );
    expect(classifySourceError('mysql', Object.assign(new Error("Unknown database 'erp'"), { errno: 1049 }))).toBe('DATABASE_MISSING');
    expect(
      classifySourceError('firebird', Object.assign(new Error('Your user name and password are not defined.'), { gdscode: 335544472 })),
    ).toBe('LOGIN_REFUSED');
    expect(classifySourceError('firebird', new Error('I/O error during "open" operation for file "C:\\ERP\\ERP.FDB"'))).toBe(
      'DATABASE_MISSING',
    );
  });

  it('finds the network cause in a chain or a dual-stack AggregateError', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED ::1:5432'), { code: 'ECONNREFUSED' });
    expect(classifySourceError('postgres', new AggregateError([refused, refused]))).toBe('PORT_CLOSED');
    expect(classifySourceError('mysql', new Error('wrapped', { cause: Object.assign(new Error('x'), { code: 'ENOTFOUND' }) }))).toBe(
      'HOST_UNREACHABLE',
    );
    expect(classifySourceError('firebird', new OutboundAddressError('erp', '10.0.0.1', 'private'))).toBe('ADDRESS_FORBIDDEN');
    expect(classifySourceError('postgres', new Error('something else'))).toBe('CONNECTION_FAILED');
  });
});

describe('classifySourceError: ODBC (node-odbc odbcErrors)', () => {
  const odbcError = (...records: [state: string, message: string][]) =>
    Object.assign(new Error('[odbc] Error connecting to the database'), {
      odbcErrors: records.map(([state, message]) => ({ state, code: 0, message })),
    });

  it('reads the SQLSTATE a driver sets, and the vendor text where it reports 08001 for everything', () => {
    expect(classifySourceError('odbc', odbcError(['28000', '[IBM][CLI Driver] SQL30082N Security processing failed']))).toBe(
      'LOGIN_REFUSED',
    );
    expect(classifySourceError('odbc', odbcError(['3D000', 'unknown catalog']))).toBe('DATABASE_MISSING');
    expect(classifySourceError('odbc', odbcError(['08001', 'FATAL:  database "erp" does not exist']))).toBe('DATABASE_MISSING');
    expect(classifySourceError('odbc', odbcError(['08001', 'port 5999 failed: Connection refused']))).toBe('PORT_CLOSED');
    expect(classifySourceError('odbc', odbcError(['HYT00', 'Timeout expired']))).toBe('TIMEOUT');
    expect(classifySourceError('odbc', odbcError(['08S01', 'Communication link failure']))).toBe('CONNECTION_FAILED');
    expect(classifySourceError('odbc', odbcError(['42S02', 'Table not found']))).toBe('QUERY_FAILED');
  });
});

describe('redact', () => {
  it('takes passwords and URL credentials out of a driver message', () => {
    expect(redact('cannot connect to mysql://crm:S3nha@db:3306/erp with S3nha', ['S3nha'])).toBe(
      'cannot connect to mysql://crm:***@db:3306/erp with ***',
    );
    expect(redact('no secret here', [undefined, ''])).toBe('no secret here');
  });
});
