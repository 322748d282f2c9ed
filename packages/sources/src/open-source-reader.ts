import type { DatabaseConnection } from '@integrador/connections';
import type { SourceReaderOptions } from './reader-options';
import { openFirebirdReader } from './readers/firebird.reader';
import { openMssqlReader } from './readers/mssql.reader';
import { openMysqlReader } from './readers/mysql.reader';
import { openOdbcReader } from './readers/odbc.reader';
import { openOracleReader } from './readers/oracle.reader';
import { openPostgresReader } from './readers/postgres.reader';
import { openSqliteReader } from './readers/sqlite.reader';
import { assertSourceHostAllowed } from './source-guard';
import type { SourceReader } from './source-reader';
import { type SourceTarget, sourceTarget } from './source-target';

function openFor(target: SourceTarget, options: SourceReaderOptions | undefined): SourceReader {
  switch (target.driver) {
    case 'postgres':
      return openPostgresReader(target, options);
    case 'mysql':
      return openMysqlReader(target, options);
    case 'firebird':
      return openFirebirdReader(target, options);
    case 'mssql':
      return openMssqlReader(target, options);
    case 'oracle':
      return openOracleReader(target, options);
    case 'sqlite':
      return openSqliteReader(target);
    case 'odbc':
      return openOdbcReader(target, options);
  }
}

/**
 * Opens a reader on a customer's database. The host is checked against internal address ranges first
 * (OutboundAddressError unless the connection sets allowPrivateNetwork); pools connect lazily, on the first query.
 */
export async function openSourceReader(connection: DatabaseConnection, options?: SourceReaderOptions): Promise<SourceReader> {
  const target = sourceTarget(connection);
  await assertSourceHostAllowed(target);
  return openFor(target, options);
}
