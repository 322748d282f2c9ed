import { sourceTarget } from '../source-target';
import { databaseConnection } from '../test/scratch-sources';
import { tediousConfig } from './mssql.reader';
import { oracleConnectAttributes, oracleNumber } from './oracle.reader';
import { formatSqliteDate, parseSqliteDate } from './sqlite.reader';

describe('SQL Server settings', () => {
  it('checks certificates by default and reads encrypt / trustServerCertificate from the URL or the options', () => {
    const strict = tediousConfig(sourceTarget(databaseConnection('mssql', { url: 'mssql://sa:x@sql:1433/erp' })), 5_000);
    expect(strict.options).toMatchObject({
      encrypt: true,
      trustServerCertificate: false,
      port: 1433,
      database: 'erp',
      useUTC: false,
      connectTimeout: 5_000,
    });
    const lan = tediousConfig(
      sourceTarget(databaseConnection('mssql', { url: 'mssql://sa:x@sql/erp?trustServerCertificate=true&encrypt=false' })),
      5_000,
    );
    expect(lan.options).toMatchObject({ encrypt: false, trustServerCertificate: true });
    const named = tediousConfig(
      sourceTarget(
        databaseConnection('mssql', { host: 'sql', database: 'erp', options: { instanceName: 'SENIOR', trustServerCertificate: true } }),
      ),
      5_000,
    );
    expect(named.options).toMatchObject({ instanceName: 'SENIOR', trustServerCertificate: true });
    expect(named.options?.port).toBeUndefined();
  });
});

describe('Oracle settings', () => {
  it('builds an Easy Connect string host:port/service, or takes options.connectString', () => {
    const target = sourceTarget(databaseConnection('oracle', { url: 'oracle://crm:x@ora:1521/FREEPDB1' }));
    expect(oracleConnectAttributes(target, 10_000)).toMatchObject({
      user: 'crm',
      password: 'x',
      connectString: 'ora:1521/FREEPDB1',
      connectTimeout: 10,
    });
    const tns = sourceTarget(databaseConnection('oracle', { host: 'ora', database: 'X', options: { connectString: 'ERP_TNS' } }));
    expect(oracleConnectAttributes(tns, 1_500).connectString).toBe('ERP_TNS');
  });

  it('reads NUMBER text: integers as numbers while exact, the rest as exact text', () => {
    expect(oracleNumber('42')).toBe(42);
    expect(oracleNumber('-7')).toBe(-7);
    expect(oracleNumber('9007199254740993')).toBe('9007199254740993');
    expect(oracleNumber('12345678901234567890.12')).toBe('12345678901234567890.12');
    expect(oracleNumber(null)).toBeNull();
  });
});

describe('SQLite dates', () => {
  it('reads zone-less ISO text as UTC and text with an offset at its offset', () => {
    expect(parseSqliteDate('2024-02-29 10:20:30')).toEqual(new Date(Date.UTC(2024, 1, 29, 10, 20, 30)));
    expect(parseSqliteDate('2024-02-29')).toEqual(new Date(Date.UTC(2024, 1, 29)));
    expect(parseSqliteDate('2024-02-29T10:20:30.5Z')).toEqual(new Date(Date.UTC(2024, 1, 29, 10, 20, 30, 500)));
    expect(parseSqliteDate('2024-02-29 10:20:30-03:00')).toEqual(new Date(Date.UTC(2024, 1, 29, 13, 20, 30)));
    expect(parseSqliteDate('ontem')).toBeUndefined();
  });

  it('writes a Date as SQLite’s own UTC text', () => {
    expect(formatSqliteDate(new Date(Date.UTC(2024, 1, 29, 10, 20, 30)))).toBe('2024-02-29 10:20:30');
    expect(formatSqliteDate(new Date(Date.UTC(2024, 1, 29, 10, 20, 30, 250)))).toBe('2024-02-29 10:20:30.250');
  });
});
