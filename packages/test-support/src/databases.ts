import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type CrmDatabase, createDatabase, type DialectName, migrateToLatest } from '@integrador/store';
import { createConnection as createMysqlConnection } from 'mysql2/promise';
import { Client as PgClient } from 'pg';
import { mysqlCopyReader, mysqlCopyScript } from './mysql-template';
import { testEnv } from './test-env';

/** Server URLs the test suite uses; the machine's services by default, overridable for other set-ups. */
export const TEST_SERVERS = {
  postgres: testEnv().postgresUrl,
  mysql: testEnv().mysqlUrl,
} as const;

export const ALL_DIALECTS: DialectName[] = ['sqlite', 'postgres', 'mysql'];

/** A fresh, empty database of one dialect, dropped by `drop()`. */
export interface TestDatabase extends CrmDatabase {
  url: string;
  drop(): Promise<void>;
}

/**
 * The migrated schema a test file's databases are copied from, per dialect: migrating costs a second or more per
 * database (27 migrations, each its own DDL), copying less. Migrated once per test file (this module is evaluated
 * afresh in each): into a PostgreSQL database used as CREATE DATABASE's template or a SQLite file, dropped after the
 * file's last test (only under Jest: the drop is its afterAll). MariaDB's first database of a file is migrated itself,
 * and the statements that copy it are read before its test gets it (createMysqlDatabase).
 */
interface Template {
  name: string;
}
const templates = new Map<'postgres' | 'sqlite', Promise<Template>>();
const canDropTemplates = typeof afterAll === 'function';
if (canDropTemplates) {
  afterAll(async () => {
    const made = [...templates].map(async ([dialect, name]) => [dialect, await name.catch(() => undefined)] as const);
    templates.clear();
    for (const [dialect, template] of await Promise.all(made)) {
      if (template !== undefined) await dropDatabase(dialect, template.name);
    }
  });
}

/**
 * Names carry the host and the creating process's pid: what a killed run left (its afterAll and drop() never ran) is
 * recognised by a pid no longer alive here, and dropped when a later test file first uses the dialect
 * (dropStaleTestDatabases). A run on another host sharing the servers has another host tag and is left alone.
 */
const HOST_TAG = createHash('sha256').update(os.hostname()).digest('hex').slice(0, 8);
const OWNED = new RegExp(`^(?:itest|itpl)_${HOST_TAG}_([0-9]+)_[0-9a-f]{8}$`);
const SQLITE_SUFFIXES = ['.sqlite', '.sqlite-wal', '.sqlite-shm'];

/** A database name of this host and `pid`: `itest_…` for a test database, `itpl_…` for a template. */
export function testDatabaseName(kind: 'itest' | 'itpl', pid = process.pid): string {
  return `${kind}_${HOST_TAG}_${pid}_${randomBytes(4).toString('hex')}`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Of `names`, those this host's processes made and left behind: their pid is not alive. */
function stale(names: string[]): string[] {
  return names.filter((name) => {
    const pid = OWNED.exec(name)?.[1];
    return pid !== undefined && !alive(Number(pid));
  });
}

/** Drops the test databases and templates of one dialect that killed runs on this host left; returns their names. */
export async function dropStaleTestDatabases(dialect: DialectName): Promise<string[]> {
  let names: string[];
  if (dialect === 'postgres') {
    const rows = await onPostgresServer<{ name: string }>(`SELECT datname AS name FROM pg_database WHERE datname ~ '^(itest|itpl)_'`);
    names = stale(rows.map((row) => row.name));
  } else if (dialect === 'mysql') {
    const rows = await onMysqlServer<{ name: string }>(
      `SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME REGEXP '^(itest|itpl)_'`,
    );
    names = stale(rows.map((row) => row.name));
  } else {
    const files = fs.readdirSync(os.tmpdir()).filter((file) => SQLITE_SUFFIXES.some((suffix) => file.endsWith(suffix)));
    names = stale([...new Set(files.map((file) => file.slice(0, file.lastIndexOf('.sqlite'))))]);
  }
  // Another test file may be dropping the same leftover at this moment: whichever loses has nothing left to do.
  for (const name of names) await dropDatabase(dialect, name).catch(() => undefined);
  return names;
}

async function onPostgresServer<R extends object = object>(statement: string): Promise<R[]> {
  const admin = new PgClient({ connectionString: TEST_SERVERS.postgres });
  await admin.connect();
  try {
    return (await admin.query(statement)).rows as R[];
  } finally {
    await admin.end();
  }
}

async function onMysqlServer<R extends object = object>(statement: string): Promise<R[]> {
  const admin = await createMysqlConnection(TEST_SERVERS.mysql);
  try {
    const [result] = await admin.query(statement);
    return Array.isArray(result) ? (result as R[]) : [];
  } finally {
    await admin.end();
  }
}

function sqliteFile(name: string): string {
  return path.join(os.tmpdir(), `${name}.sqlite`);
}

async function dropDatabase(dialect: DialectName, name: string): Promise<void> {
  if (dialect === 'postgres') await onPostgresServer(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  else if (dialect === 'mysql') await onMysqlServer(`DROP DATABASE IF EXISTS ${name}`);
  else for (const suffix of ['', '-wal', '-shm']) fs.rmSync(`${sqliteFile(name)}${suffix}`, { force: true });
}

/** The URL of database `name` on the dialect's test server (a SQLite file in the temp directory). */
function databaseUrl(dialect: DialectName, name: string): string {
  if (dialect === 'sqlite') return `sqlite:${sqliteFile(name)}`;
  const url = new URL(TEST_SERVERS[dialect]);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Migrates a new database (its URL given its name) and closes it: the template's content. */
async function migrated(url: string): Promise<void> {
  const database = createDatabase(url, { poolSize: 1 });
  try {
    await migrateToLatest(database);
  } finally {
    await database.destroy();
  }
}

async function makeTemplate(dialect: 'postgres' | 'sqlite'): Promise<Template> {
  await dropStaleTestDatabases(dialect);
  const name = testDatabaseName('itpl');
  if (dialect === 'postgres') await onPostgresServer(`CREATE DATABASE ${name}`);
  try {
    await migrated(databaseUrl(dialect, name));
    return { name };
  } catch (err) {
    await dropDatabase(dialect, name);
    throw err;
  }
}

function template(dialect: 'postgres' | 'sqlite'): Promise<Template> {
  let made = templates.get(dialect);
  if (!made) {
    made = makeTemplate(dialect);
    // A failed migration fails this call and the next tries again (its error is the test's).
    made.catch(() => templates.delete(dialect));
    templates.set(dialect, made);
  }
  return made;
}

/** The statements that make a MariaDB database a copy of the file's first (mysql-template.ts); unset until it exists. */
let mysqlCopy: Promise<string> | undefined;

/** The file's first MariaDB database, migrated, and the statements read from it that copy it. */
async function migrateFirstMysql(name: string): Promise<string> {
  await dropStaleTestDatabases('mysql');
  await onMysqlServer(`CREATE DATABASE ${name}`);
  try {
    await migrated(databaseUrl('mysql', name));
    const admin = await createMysqlConnection({ uri: TEST_SERVERS.mysql, ...mysqlCopyReader });
    try {
      return await mysqlCopyScript(admin, name);
    } finally {
      await admin.end();
    }
  } catch (err) {
    await dropDatabase('mysql', name);
    throw err;
  }
}

/**
 * Creates MariaDB database `name`; with `migrate`, migrated: the file's first by its migrations, the others as copies
 * of it made in one round trip — a copy costs about half a migration, and no template is left to drop.
 */
async function createMysqlDatabase(name: string, migrate: boolean): Promise<void> {
  if (migrate && mysqlCopy === undefined) {
    const made = migrateFirstMysql(name);
    // A failed migration fails this call and the next tries again (its error is the test's).
    made.catch(() => {
      if (mysqlCopy === made) mysqlCopy = undefined;
    });
    mysqlCopy = made;
    await made;
    return;
  }
  const script = migrate ? await mysqlCopy : undefined;
  const admin = await createMysqlConnection({ uri: TEST_SERVERS.mysql, multipleStatements: true });
  try {
    await admin.query(script ? `CREATE DATABASE ${name}; USE ${name};\n${script}` : `CREATE DATABASE ${name}`);
  } catch (err) {
    await admin.query(`DROP DATABASE IF EXISTS ${name}`).catch(() => undefined);
    throw err;
  } finally {
    await admin.end();
  }
}

/**
 * Creates a throw-away database (its own PostgreSQL/MySQL database, or a temp SQLite file), migrated to the latest
 * schema unless `migrate: false` (under Jest a copy of the file's migrated template; on MariaDB of the file's first
 * database), named for this host and process (testDatabaseName).
 */
export async function createTestDatabase(dialect: DialectName, options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = testDatabaseName('itest');
  const migrate = options.migrate !== false;
  // Outside Jest (benchmarks) nothing would drop a template: each database is migrated.
  const copied = migrate && canDropTemplates;
  if (dialect === 'postgres') {
    await onPostgresServer(copied ? `CREATE DATABASE ${name} TEMPLATE ${(await template(dialect)).name}` : `CREATE DATABASE ${name}`);
  } else if (dialect === 'mysql') {
    await createMysqlDatabase(name, copied);
  } else if (copied) {
    fs.copyFileSync(sqliteFile((await template(dialect)).name), sqliteFile(name));
  }
  const url = databaseUrl(dialect, name);
  const database = createDatabase(url, { poolSize: 4 });
  if (migrate && !copied) await migrateToLatest(database);
  return {
    ...database,
    url,
    async drop() {
      await database.destroy();
      await dropDatabase(dialect, name);
    },
  };
}
