/// <reference path="../types/oracledb.d.ts" />
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DatabaseConnection, DatabaseDriver } from '@integrador/connections';
import { Secret } from '@integrador/connections';
import { FIREBIRD_SERVER, firebirdPassword, TEST_ODBC_DRIVER } from '@integrador/test-support/optional-parts';
import Database from 'better-sqlite3';
import { createConnection as createMysqlConnection } from 'mysql2/promise';
import * as Firebird from 'node-firebird';
import oracledb from 'oracledb';
import { Client as PgClient } from 'pg';
import { openSourceReader } from '../open-source-reader';
import { batchRows } from '../parameter-limits';
import { oracleConnectAttributes } from '../readers/oracle.reader';
import { formatSqliteDate } from '../readers/sqlite.reader';
import { sourceTarget } from '../source-target';
import { CUSTOMER_COLUMNS, customers, customerValues } from './customers';

export { firebirdPassword, optionalParts } from '@integrador/test-support/optional-parts';
// Other packages' tests import these helpers by name, as @integrador/sources/testing.
export { customer } from './customers';

// Throw-away source databases for the readers' tests, one per suite, on the machine's servers (TEST_* overrides).

export const TEST_SOURCE_SERVERS = {
  postgres: process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  mysql: process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test',
  firebirdHost: FIREBIRD_SERVER.host,
  firebirdPort: FIREBIRD_SERVER.port,
  firebirdUser: FIREBIRD_SERVER.user,
} as const;

export interface ScratchSource {
  driver: DatabaseDriver;
  /** The customers table: E085CLI in a database of its own, E085CLI_<random> on a shared SQL Server / Oracle. */
  table: string;
  connection: DatabaseConnection;
  /** The driver's n-th placeholder (1-based). */
  placeholder(n: number): string;
  /** A column name as the database spells an unquoted identifier (PostgreSQL folds to lower case). */
  column(name: string): string;
  /** Runs DDL/DML on the scratch database with the test's own client. */
  execute(sqlText: string, parameters?: unknown[]): Promise<void>;
  drop(): Promise<void>;
}

const PLACEHOLDERS: Record<DatabaseDriver, (n: number) => string> = {
  postgres: (n) => `$${n}`,
  mysql: () => '?',
  sqlite: () => '?',
  firebird: () => '?',
  mssql: (n) => `@${n}`,
  oracle: (n) => `:${n}`,
  odbc: () => '?',
};

const TABLE_DDL = (
  types: { int: string; text: (n: number) => string; num14: string; char: (n: number) => string; timestamp: string },
  table = 'E085CLI',
) =>
  `CREATE TABLE ${table} (CODCLI ${types.int} NOT NULL PRIMARY KEY, NOMCLI ${types.text(100)} NOT NULL, APECLI ${types.text(50)},
   CGCCPF ${types.num14}, TIPCLI ${types.char(1)}, CEPCLI ${types.int}, ENDCLI ${types.text(100)}, CIDCLI ${types.text(60)},
   SIGUFS ${types.char(2)}, FONCLI ${types.text(20)}, INTNET ${types.text(100)}, SITCLI ${types.char(1)}, DATALT ${types.timestamp})`;

const COMMON_TYPES = { int: 'INTEGER', text: (n: number) => `VARCHAR(${n})`, num14: 'NUMERIC(14,0)', char: (n: number) => `CHAR(${n})` };

/** INSERT statements for `count` customers, batched within the driver's parameter limit. */
function insertStatements(driver: DatabaseDriver, count: number, table = 'E085CLI'): { sql: string; parameters: unknown[] }[] {
  return batchRows(customers(count), driver, CUSTOMER_COLUMNS.length).map((batch) => {
    let n = 0;
    const rows = batch.map(() => `(${CUSTOMER_COLUMNS.map(() => PLACEHOLDERS[driver](++n)).join(', ')})`);
    return {
      sql: `INSERT INTO ${table} (${CUSTOMER_COLUMNS.join(', ')}) VALUES ${rows.join(', ')}`,
      parameters: batch.flatMap(customerValues),
    };
  });
}

function scratchName(): string {
  return `itest_src_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

async function postgresSource(count: number): Promise<ScratchSource> {
  const name = scratchName();
  const admin = new PgClient({ connectionString: TEST_SOURCE_SERVERS.postgres });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(TEST_SOURCE_SERVERS.postgres);
  url.pathname = `/${name}`;
  const client = new PgClient({ connectionString: url.toString() });
  await client.connect();
  await client.query(TABLE_DDL({ ...COMMON_TYPES, timestamp: 'TIMESTAMP' }));
  for (const statement of insertStatements('postgres', count)) await client.query(statement.sql, statement.parameters);
  return {
    driver: 'postgres',
    table: 'E085CLI',
    connection: databaseConnection('postgres', { url: url.toString() }),
    placeholder: PLACEHOLDERS.postgres,
    column: (column) => column.toLowerCase(),
    async execute(sqlText, parameters = []) {
      await client.query(sqlText, parameters);
    },
    async drop() {
      await client.end();
      const c = new PgClient({ connectionString: TEST_SOURCE_SERVERS.postgres });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

async function mysqlSource(count: number): Promise<ScratchSource> {
  const name = scratchName();
  const admin = await createMysqlConnection(TEST_SOURCE_SERVERS.mysql);
  await admin.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4`);
  await admin.end();
  const url = new URL(TEST_SOURCE_SERVERS.mysql);
  url.pathname = `/${name}`;
  const client = await createMysqlConnection(url.toString());
  await client.query(TABLE_DDL({ ...COMMON_TYPES, timestamp: 'DATETIME' }));
  for (const statement of insertStatements('mysql', count)) await client.query(statement.sql, statement.parameters);
  return {
    driver: 'mysql',
    table: 'E085CLI',
    connection: databaseConnection('mysql', { url: url.toString() }),
    placeholder: PLACEHOLDERS.mysql,
    column: (column) => column,
    async execute(sqlText, parameters = []) {
      await client.query(sqlText, parameters);
    },
    async drop() {
      await client.end();
      const c = await createMysqlConnection(TEST_SOURCE_SERVERS.mysql);
      await c.query(`DROP DATABASE IF EXISTS ${name}`);
      await c.end();
    },
  };
}

async function sqliteSource(count: number): Promise<ScratchSource> {
  const file = path.join(os.tmpdir(), `${scratchName()}.sqlite`);
  const db = new Database(file);
  db.exec(TABLE_DDL({ ...COMMON_TYPES, timestamp: 'TIMESTAMP' }));
  const toSqlite = (value: unknown) => (value instanceof Date ? formatSqliteDate(value) : value);
  db.transaction(() => {
    for (const statement of insertStatements('sqlite', count)) db.prepare(statement.sql).run(...statement.parameters.map(toSqlite));
  })();
  return {
    driver: 'sqlite',
    table: 'E085CLI',
    connection: databaseConnection('sqlite', { database: file }),
    placeholder: PLACEHOLDERS.sqlite,
    column: (column) => column,
    async execute(sqlText, parameters = []) {
      db.prepare(sqlText).run(...parameters.map(toSqlite));
    },
    async drop() {
      db.close();
      for (const suffix of ['', '-wal', '-shm']) fs.rmSync(`${file}${suffix}`, { force: true });
    },
  };
}

function firebirdOptions(database: string): Firebird.Options {
  return {
    host: TEST_SOURCE_SERVERS.firebirdHost,
    port: TEST_SOURCE_SERVERS.firebirdPort,
    database,
    user: TEST_SOURCE_SERVERS.firebirdUser,
    password: firebirdPassword(),
    encoding: 'UTF8',
  };
}

async function firebirdSource(count: number): Promise<ScratchSource> {
  // The server runs as user firebird: /tmp is a directory it can write.
  const file = path.join(os.tmpdir(), `${scratchName()}.fdb`);
  const db = await new Promise<Firebird.Database>((resolve, reject) =>
    Firebird.create({ ...firebirdOptions(file), pageSize: 8192 }, (error, created) => (error ? reject(error) : resolve(created))),
  );
  await db.queryAsync(TABLE_DDL({ ...COMMON_TYPES, timestamp: 'TIMESTAMP' }));
  // Firebird 3 has no multi-row VALUES: one prepared INSERT per row in one transaction.
  const transaction = await db.transactionAsync();
  const insert = `INSERT INTO E085CLI (${CUSTOMER_COLUMNS.join(', ')}) VALUES (${CUSTOMER_COLUMNS.map(() => '?').join(', ')})`;
  for (const row of customers(count)) await transaction.queryAsync(insert, customerValues(row));
  await transaction.commitAsync();
  return {
    driver: 'firebird',
    table: 'E085CLI',
    connection: databaseConnection('firebird', {
      host: TEST_SOURCE_SERVERS.firebirdHost,
      port: TEST_SOURCE_SERVERS.firebirdPort,
      database: file,
      user: TEST_SOURCE_SERVERS.firebirdUser,
      password: new Secret(firebirdPassword()),
    }),
    placeholder: PLACEHOLDERS.firebird,
    column: (column) => column,
    async execute(sqlText, parameters = []) {
      await db.queryAsync(sqlText, parameters);
    },
    async drop() {
      await db.detachAsync();
      const dropper = await new Promise<Firebird.Database>((resolve, reject) =>
        Firebird.attach(firebirdOptions(file), (error, attached) => (error ? reject(error) : resolve(attached))),
      );
      await dropper.dropAsync().catch(() => dropper.detachAsync());
      fs.rmSync(file, { force: true });
    },
  };
}

/** An ODBC connection string to a database of the test PostgreSQL (trust auth: no password). */
export function odbcPostgresConnectionString(database: string): string {
  const url = new URL(TEST_SOURCE_SERVERS.postgres);
  return `DRIVER={${TEST_ODBC_DRIVER}};SERVER=${url.hostname};PORT=${url.port || 5432};DATABASE=${database};UID=${decodeURIComponent(url.username)};PWD=${decodeURIComponent(url.password)};`;
}

/** The ODBC suite's source: a scratch PostgreSQL database read through psqlODBC (the test's own client is pg). */
async function odbcSource(count: number): Promise<ScratchSource> {
  const postgres = await postgresSource(count);
  const database = new URL(postgres.connection.url?.reveal() ?? '').pathname.slice(1);
  const connectionString = new Secret(odbcPostgresConnectionString(database));
  return {
    ...postgres,
    driver: 'odbc',
    connection: { ...databaseConnection('odbc', { host: new URL(TEST_SOURCE_SERVERS.postgres).hostname }), connectionString },
    placeholder: PLACEHOLDERS.odbc,
    // The test's own client stays pg: the `?` of the suite's statements become $1, $2… (they hold no literal `?`).
    execute(sqlText, parameters = []) {
      let n = 0;
      return postgres.execute(
        sqlText.replace(/\?/g, () => `$${++n}`),
        parameters,
      );
    },
  };
}

/** A DatabaseConnection as the connections file would load it, allowed on loopback (the test servers). */
export function databaseConnection(
  driver: DatabaseDriver,
  fields: Partial<Omit<DatabaseConnection, 'url'>> & { url?: string },
): DatabaseConnection {
  const { url, ...rest } = fields;
  return {
    kind: 'database',
    name: `scratch_${driver}`,
    driver,
    options: {},
    allowPrivateNetwork: true,
    ...rest,
    ...(url === undefined ? {} : { url: new Secret(url) }),
  };
}

/** A table name of its own on a server other suites share (MSSQL_URL, ORACLE_URL name one database). */
function sharedServerTable(): string {
  return `E085CLI_${randomBytes(4).toString('hex').toUpperCase()}`;
}

async function mssqlSource(count: number): Promise<ScratchSource> {
  const url = process.env.MSSQL_URL;
  if (!url) throw new Error('MSSQL_URL is not set');
  const connection = databaseConnection('mssql', { url });
  const reader = await openSourceReader(connection);
  const table = sharedServerTable();
  const run = (sqlText: string, parameters: unknown[] = []) => reader.query({ sql: sqlText, parameters }).then(() => undefined);
  await run(
    TABLE_DDL(
      { int: 'INT', text: (n) => `NVARCHAR(${n})`, num14: 'NUMERIC(14,0)', char: (n) => `NCHAR(${n})`, timestamp: 'DATETIME2(0)' },
      table,
    ),
  );
  for (const statement of insertStatements('mssql', count, table)) await run(statement.sql, statement.parameters);
  return {
    driver: 'mssql',
    table,
    connection,
    placeholder: PLACEHOLDERS.mssql,
    column: (column) => column,
    execute: run,
    async drop() {
      await run(`DROP TABLE IF EXISTS ${table}`);
      await reader.close();
    },
  };
}

async function oracleSource(count: number): Promise<ScratchSource> {
  const url = process.env.ORACLE_URL;
  if (!url) throw new Error('ORACLE_URL is not set');
  const connection = databaseConnection('oracle', { url });
  const target = sourceTarget(connection);
  const client = await oracledb.getConnection(oracleConnectAttributes(target, 10_000));
  const table = sharedServerTable();
  await client.execute(
    TABLE_DDL(
      {
        int: 'NUMBER(9)',
        text: (n) => `VARCHAR2(${n} CHAR)`,
        num14: 'NUMBER(14)',
        char: (n) => `CHAR(${n} CHAR)`,
        timestamp: 'TIMESTAMP(0)',
      },
      table,
    ),
  );
  const insert = `INSERT INTO ${table} (${CUSTOMER_COLUMNS.join(', ')}) VALUES (${CUSTOMER_COLUMNS.map((_, i) => `:${i + 1}`).join(', ')})`;
  await client.executeMany(insert, customers(count).map(customerValues), { autoCommit: true });
  return {
    driver: 'oracle',
    table,
    connection,
    placeholder: PLACEHOLDERS.oracle,
    column: (column) => column,
    async execute(sqlText, parameters = []) {
      await client.execute(sqlText, parameters, { autoCommit: true });
    },
    async drop() {
      await client.execute(`DROP TABLE ${table} PURGE`);
      await client.close();
    },
  };
}

const FACTORIES: Record<DatabaseDriver, (count: number) => Promise<ScratchSource>> = {
  postgres: postgresSource,
  mysql: mysqlSource,
  sqlite: sqliteSource,
  firebird: firebirdSource,
  mssql: mssqlSource,
  oracle: oracleSource,
  odbc: odbcSource,
};

/** A fresh source database of `driver` holding an E085CLI table with customers 1..count. */
export async function createScratchSource(driver: DatabaseDriver, count: number): Promise<ScratchSource> {
  return FACTORIES[driver](count);
}
