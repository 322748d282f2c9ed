import { Secret } from '@integrador/connections';
import { sourceTarget } from './source-target';
import { databaseConnection } from './test/scratch-sources';

describe('sourceTarget', () => {
  it.each([
    [
      'postgres',
      'postgres://crm:p%40ss@erp.example.com/erp',
      { host: 'erp.example.com', port: 5432, database: 'erp', user: 'crm', password: 'p@ss' },
    ],
    ['mysql', 'mariadb://crm:x@10.0.0.6:3307/erp', { host: '10.0.0.6', port: 3307, database: 'erp' }],
    [
      'mssql',
      'mssql://sa:x@sql.example.com:1433/crmsenior?trustServerCertificate=true',
      { host: 'sql.example.com', port: 1433, database: 'crmsenior' },
    ],
    ['oracle', 'oracle://crm:x@ora.example.com:1521/FREEPDB1', { host: 'ora.example.com', port: 1521, database: 'FREEPDB1' }],
    [
      'firebird',
      'firebird://SYSDBA:x@fb.example.com:3050//var/lib/firebird/data/erp.fdb',
      { port: 3050, database: '/var/lib/firebird/data/erp.fdb' },
    ],
    ['firebird', 'firebird://SYSDBA:x@fb.example.com/C:/ERP/ERP.FDB', { port: 3050, database: 'C:/ERP/ERP.FDB' }],
    ['sqlite', 'sqlite:/var/lib/erp.sqlite', { host: undefined, database: '/var/lib/erp.sqlite' }],
    ['sqlite', 'sqlite:///var/lib/erp.sqlite', { host: undefined, database: '/var/lib/erp.sqlite' }],
  ] as const)('reads a %s URL', (driver, url, expected) => {
    expect(sourceTarget(databaseConnection(driver, { url }))).toMatchObject({ driver, url, ...expected });
  });

  it('reads host/port/database/user/password, with the driver’s port by default', () => {
    const target = sourceTarget(
      databaseConnection('mssql', {
        host: 'sql.example.com',
        database: 'crmsenior',
        user: 'crm',
        password: new Secret('s3nha'),
        allowPrivateNetwork: false,
      }),
    );
    expect(target).toMatchObject({
      host: 'sql.example.com',
      port: 1433,
      database: 'crmsenior',
      user: 'crm',
      password: 's3nha',
      allowPrivateNetwork: false,
    });
  });
});
