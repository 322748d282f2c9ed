/// <reference path="../types/oracledb.d.ts" />
import { guardedDatabaseSocket } from '@integrador/connections';
import Database from 'better-sqlite3';
import { createConnection as createMysqlConnection } from 'mysql2/promise';
import oracledb from 'oracledb';
import { Client as PgClient } from 'pg';
import * as tedious from 'tedious';
import { attachFirebird, firebirdOptions } from '../readers/firebird.reader';
import { tediousConfig } from '../readers/mssql.reader';
import { connectOdbc, withDriverMessage } from '../readers/odbc.reader';
import { oracleConnectAttributes } from '../readers/oracle.reader';
import type { SourceTarget } from '../source-target';

/** One logged-in connection of the connection test: a trivial query, the server's version, close. */
export interface TestSession {
  /** Runs a statement without parameters and answers its first row's first value. */
  scalar(sql: string): Promise<unknown>;
  /** The server's version, or null when the driver cannot tell it (ODBC without options.versionQuery). */
  version(): Promise<string | null>;
  close(): Promise<void>;
}

const first = (row: unknown): unknown => (row && typeof row === 'object' ? Object.values(row)[0] : undefined);

async function postgresSession(target: SourceTarget, timeoutMs: number): Promise<TestSession> {
  const where = target.url
    ? { connectionString: target.url }
    : { host: target.host, port: target.port, database: target.database, user: target.user, password: target.password };
  const client = new PgClient({
    ...where,
    connectionTimeoutMillis: timeoutMs,
    application_name: 'integrador-test',
    ssl: target.options.ssl as never,
    // The outbound guard where pg connects too (postgres.reader.ts).
    stream: () => guardedDatabaseSocket(target.allowPrivateNetwork),
  });
  client.on('error', () => {});
  await client.connect();
  const scalar = async (sql: string) => first((await client.query(sql)).rows[0]);
  return { scalar, version: async () => String(await scalar('SHOW server_version')), close: () => client.end() };
}

async function mysqlSession(target: SourceTarget, timeoutMs: number): Promise<TestSession> {
  const where = target.url
    ? { uri: target.url.replace(/^mariadb:/i, 'mysql:') }
    : { host: target.host, port: target.port, database: target.database, user: target.user, password: target.password };
  const connection = await createMysqlConnection({ ...where, connectTimeout: timeoutMs, ssl: target.options.ssl as never });
  connection.on('error', () => {});
  const scalar = async (sql: string) => {
    const [rows] = await connection.query(sql);
    return first(Array.isArray(rows) ? rows[0] : undefined);
  };
  return { scalar, version: async () => String(await scalar('SELECT VERSION()')), close: () => connection.end() };
}

function tediousScalar(connection: tedious.Connection, sql: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let value: unknown;
    const request = new tedious.Request(sql, (error) => (error ? reject(error) : resolve(value)));
    request.on('row', (columns: { value: unknown }[]) => {
      value ??= columns[0]?.value;
    });
    connection.execSql(request);
  });
}

async function mssqlSession(target: SourceTarget, timeoutMs: number): Promise<TestSession> {
  const connection = new tedious.Connection(tediousConfig(target, timeoutMs));
  // tedious keeps only the last login message; 4060 (database missing) comes before the 18456 that follows it.
  const numbers: number[] = [];
  connection.on('errorMessage', (token: { number: number }) => numbers.push(token.number));
  connection.on('error', () => {});
  await new Promise<void>((resolve, reject) =>
    connection.connect((error) => (error ? reject(Object.assign(error, { numbers: [...numbers] })) : resolve())),
  );
  const close = () =>
    new Promise<void>((resolve) => {
      connection.once('end', () => resolve());
      connection.close();
    });
  return {
    scalar: (sql) => tediousScalar(connection, sql),
    version: async () => String(await tediousScalar(connection, "SELECT CAST(SERVERPROPERTY('ProductVersion') AS NVARCHAR(128))")),
    close,
  };
}

async function oracleSession(target: SourceTarget, timeoutMs: number): Promise<TestSession> {
  const connection = await oracledb.getConnection(oracleConnectAttributes(target, timeoutMs));
  const scalar = async (sql: string) => first((await connection.execute(sql, [], { outFormat: oracledb.OUT_FORMAT_OBJECT })).rows?.[0]);
  return { scalar, version: async () => connection.oracleServerVersionString, close: () => connection.close() };
}

async function firebirdSession(target: SourceTarget, timeoutMs: number): Promise<TestSession> {
  const db = await attachFirebird(firebirdOptions(target, timeoutMs), timeoutMs);
  const scalar = async (sql: string) => first((await db.queryAsync(sql, []))[0]);
  return {
    scalar,
    version: async () => String(await scalar("SELECT rdb$get_context('SYSTEM', 'ENGINE_VERSION') FROM RDB$DATABASE")),
    close: async () => {
      await db.detachAsync();
    },
  };
}

async function sqliteSession(target: SourceTarget): Promise<TestSession> {
  const db = new Database(target.database, { readonly: true, fileMustExist: true });
  const scalar = async (sql: string) => db.prepare(sql).pluck().get();
  return {
    scalar,
    version: async () => String(await scalar('SELECT sqlite_version()')),
    close: async () => {
      db.close();
    },
  };
}

async function odbcSession(target: SourceTarget, timeoutMs: number): Promise<TestSession> {
  const connection = await connectOdbc(target, timeoutMs);
  const scalar = async (sql: string) =>
    first(
      (
        await connection.query(sql).catch((error: unknown) => {
          throw withDriverMessage(error);
        })
      )[0],
    );
  // node-odbc does not expose SQLGetInfo's DBMS name/version: options.versionQuery asks the backend instead.
  const versionQuery = typeof target.options.versionQuery === 'string' ? target.options.versionQuery : undefined;
  return {
    scalar,
    version: async () => (versionQuery ? String(await scalar(versionQuery)) : null),
    close: () => connection.close(),
  };
}

/** Logs in with the driver itself (one connection, no pool), so a login failure is told apart from a query failure. */
export function openTestSession(target: SourceTarget, timeoutMs: number): Promise<TestSession> {
  switch (target.driver) {
    case 'postgres':
      return postgresSession(target, timeoutMs);
    case 'mysql':
      return mysqlSession(target, timeoutMs);
    case 'mssql':
      return mssqlSession(target, timeoutMs);
    case 'oracle':
      return oracleSession(target, timeoutMs);
    case 'firebird':
      return firebirdSession(target, timeoutMs);
    case 'sqlite':
      return sqliteSession(target);
    case 'odbc':
      return odbcSession(target, timeoutMs);
  }
}
