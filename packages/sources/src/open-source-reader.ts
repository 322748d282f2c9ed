import { assertPublicDatabase, type DatabaseConnection } from '@integrador/connections';
import type { SourceReaderOptions } from './reader-options';
import type { SourceReader } from './source-reader';
import { type SourceTarget, sourceTarget } from './source-target';

/** Loads only the driver asked for (tedious, oracledb, node-firebird… cost start-up time to every process that loads them). */
async function openFor(target: SourceTarget, options: SourceReaderOptions | undefined): Promise<SourceReader> {
  switch (target.driver) {
    case 'postgres':
      return (await import('./readers/postgres.reader')).openPostgresReader(target, options);
    case 'mysql':
      return (await import('./readers/mysql.reader')).openMysqlReader(target, options);
    case 'firebird':
      return (await import('./readers/firebird.reader')).openFirebirdReader(target, options);
    case 'mssql':
      return (await import('./readers/mssql.reader')).openMssqlReader(target, options);
    case 'oracle':
      return (await import('./readers/oracle.reader')).openOracleReader(target, options);
    case 'sqlite':
      return (await import('./readers/sqlite.reader')).openSqliteReader(target);
    case 'odbc':
      return (await import('./readers/odbc.reader')).openOdbcReader(target, options);
  }
}

/**
 * Opens a reader on a customer's database. Every server its driver would reach (its host, a host its URL's query string
 * names, Oracle's connectString, an ODBC SERVER=) is checked against internal address ranges first (OutboundAddressError
 * unless the connection sets allowPrivateNetwork); pools connect lazily, on the first query. pg and mysql2 connect
 * through the guarded lookup too (guardedDatabaseSocket, guardedMysqlStream); the other drivers connect by name
 * afterwards, so unlike the HTTP agents (which check at every connect) a DNS answer changed since is not seen by them.
 */
export async function openSourceReader(connection: DatabaseConnection, options?: SourceReaderOptions): Promise<SourceReader> {
  await assertPublicDatabase(connection);
  const target = sourceTarget(connection);
  return openFor(target, options);
}
