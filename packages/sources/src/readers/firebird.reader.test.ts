import { Secret } from '@integrador/connections';
import { openAfter, startSilentListener } from '@integrador/test-support/silent-listener';
import { startTcpRelay } from '@integrador/test-support/tcp-relay';
import { sourceTarget } from '../source-target';
import { databaseConnection, firebirdPassword, optionalParts, TEST_SOURCE_SERVERS } from '../test/scratch-sources';
import { openFirebirdReader } from './firebird.reader';

const parts = optionalParts(['firebird']);
const ONE = { sql: 'SELECT 1 FROM RDB$DATABASE', parameters: [] };

const target = (port: number, database: string, password: string) =>
  sourceTarget(
    databaseConnection('firebird', {
      host: '127.0.0.1',
      port,
      database,
      user: TEST_SOURCE_SERVERS.firebirdUser,
      password: new Secret(password),
    }),
  );

// A worker retries a failing GET: each attempt that left its socket open would keep one more connection to the ERP.
describe('Firebird reader: attaches that fail close their connection', () => {
  // No Firebird needed: the driver alone opens the socket that must be closed.
  it('when the server never answers', async () => {
    const silent = await startSilentListener();
    const stalled = openFirebirdReader(target(silent.port, 'employee', 'x'), { connectTimeoutMs: 300 });
    try {
      await expect(stalled.query(ONE)).rejects.toThrow(/timeout|no answer/i);
      expect(await openAfter(silent.openClients)).toBe(0);
    } finally {
      await stalled.close();
      await silent.close();
    }
  });

  (parts.has('firebird') ? it : it.skip)('when the database file is missing (a real Firebird)', async () => {
    const firebird = await startTcpRelay(`firebird://${TEST_SOURCE_SERVERS.firebirdHost}:${TEST_SOURCE_SERVERS.firebirdPort}/`);
    const missing = openFirebirdReader(target(Number(new URL(firebird.url).port), '/tmp/nao/existe/erp.fdb', firebirdPassword()));
    try {
      await expect(missing.query(ONE)).rejects.toThrow(/I\/O error .*\/tmp\/nao\/existe\/erp\.fdb/);
      expect(await openAfter(firebird.openClients)).toBe(0);
    } finally {
      await missing.close();
      await firebird.close();
    }
  });
});
