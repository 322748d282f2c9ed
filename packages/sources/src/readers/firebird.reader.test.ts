import { Secret } from '@integrador/connections';
import { openAfter, startSilentListener } from '@integrador/test-support/silent-listener';
import { startTcpRelay } from '@integrador/test-support/tcp-relay';
import { sourceTarget } from '../source-target';
import { databaseConnection, firebirdPassword, optionalParts, TEST_SOURCE_SERVERS } from '../test/scratch-sources';
import { openFirebirdReader } from './firebird.reader';

const parts = optionalParts(['firebird']);
const ONE = { sql: 'SELECT 1 FROM RDB$DATABASE', parameters: [] };

(parts.has('firebird') ? describe : describe.skip)('Firebird reader', () => {
  const target = (port: number, database: string) =>
    sourceTarget(
      databaseConnection('firebird', {
        host: '127.0.0.1',
        port,
        database,
        user: TEST_SOURCE_SERVERS.firebirdUser,
        password: new Secret(firebirdPassword()),
      }),
    );

  // A worker retries a failing GET: each attempt that left its socket open would keep one more connection to the ERP.
  it('closes the connection of an attach that fails or that the server never answers', async () => {
    const firebird = await startTcpRelay(`firebird://${TEST_SOURCE_SERVERS.firebirdHost}:${TEST_SOURCE_SERVERS.firebirdPort}/`);
    const silent = await startSilentListener();
    const missing = openFirebirdReader(target(Number(new URL(firebird.url).port), '/tmp/nao/existe/erp.fdb'));
    const stalled = openFirebirdReader(target(silent.port, 'employee'), { connectTimeoutMs: 300 });
    try {
      await expect(missing.query(ONE)).rejects.toThrow(/I\/O error .*\/tmp\/nao\/existe\/erp\.fdb/);
      expect(await openAfter(firebird.openClients)).toBe(0);

      await expect(stalled.query(ONE)).rejects.toThrow(/timeout|no answer/i);
      expect(await openAfter(silent.openClients)).toBe(0);
    } finally {
      await missing.close();
      await stalled.close();
      await firebird.close();
      await silent.close();
    }
  });
});
