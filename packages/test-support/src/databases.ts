import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type CrmDatabase, createDatabase, type DialectName, migrateToLatest } from '@integrador/store';
import { createConnection as createMysqlConnection } from 'mysql2/promise';
import { Client as PgClient } from 'pg';
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

function withDatabase(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * The migrated schema a test file's databases are copied from, per dialect: migrating costs a second or more per
 * database (27 migrations, each its own DDL), copying a few milliseconds. Migrated once per test file (this module is
 * evaluated afresh in each), into a PostgreSQL database used as CREATE DATABASE's template or a SQLite file, dropped
 * after the file's last test. Only under Jest (the drop is its afterAll); MariaDB has no template: each of its
 * databases is migrated.
 */
const templates = new Map<'postgres' | 'sqlite', Promise<string>>();
const canDropTemplates = typeof afterAll === 'function';
if (canDropTemplates) {
  afterAll(async () => {
    const made = [...templates].map(async ([dialect, name]) => [dialect, await name.catch(() => undefined)] as const);
    templates.clear();
    for (const [dialect, name] of await Promise.all(made)) {
      if (name === undefined) continue;
      if (dialect === 'postgres') await dropPostgresDatabase(name);
      else for (const suffix of ['', '-wal', '-shm']) fs.rmSync(`${name}${suffix}`, { force: true });
    }
  });
}

function databaseName(): string {
  return `itest_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

async function onPostgresServer(statement: string): Promise<void> {
  const admin = new PgClient({ connectionString: TEST_SERVERS.postgres });
  await admin.connect();
  try {
    await admin.query(statement);
  } finally {
    await admin.end();
  }
}

function dropPostgresDatabase(name: string): Promise<void> {
  return onPostgresServer(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
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

function template(dialect: 'postgres' | 'sqlite'): Promise<string> {
  let made = templates.get(dialect);
  if (!made) {
    const name = databaseName();
    made =
      dialect === 'postgres'
        ? (async () => {
            await onPostgresServer(`CREATE DATABASE ${name}`);
            await migrated(withDatabase(TEST_SERVERS.postgres, name)).catch(async (err: unknown) => {
              await dropPostgresDatabase(name);
              throw err;
            });
            return name;
          })()
        : (async () => {
            const file = path.join(os.tmpdir(), `${name}.template.sqlite`);
            await migrated(`sqlite:${file}`);
            return file;
          })();
    // A failed migration fails this call and the next tries again (its error is the test's).
    made.catch(() => templates.delete(dialect));
    templates.set(dialect, made);
  }
  return made;
}

/**
 * Creates a throw-away database (its own PostgreSQL/MySQL database, or a temp SQLite file), migrated to the latest
 * schema unless `migrate: false` (a copy of the file's migrated template on PostgreSQL and SQLite).
 */
export async function createTestDatabase(dialect: DialectName, options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = databaseName();
  const migrate = options.migrate !== false;
  const copied = migrate && canDropTemplates && dialect !== 'mysql';
  let url: string;
  let dropServerDatabase: () => Promise<void>;
  if (dialect === 'postgres') {
    await onPostgresServer(copied ? `CREATE DATABASE ${name} TEMPLATE ${await template('postgres')}` : `CREATE DATABASE ${name}`);
    url = withDatabase(TEST_SERVERS.postgres, name);
    dropServerDatabase = () => dropPostgresDatabase(name);
  } else if (dialect === 'mysql') {
    const admin = await createMysqlConnection(TEST_SERVERS.mysql);
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    url = withDatabase(TEST_SERVERS.mysql, name);
    dropServerDatabase = async () => {
      const c = await createMysqlConnection(TEST_SERVERS.mysql);
      await c.query(`DROP DATABASE IF EXISTS ${name}`);
      await c.end();
    };
  } else {
    const file = path.join(os.tmpdir(), `${name}.sqlite`);
    if (copied) fs.copyFileSync(await template('sqlite'), file);
    url = `sqlite:${file}`;
    dropServerDatabase = async () => {
      for (const suffix of ['', '-wal', '-shm']) fs.rmSync(`${file}${suffix}`, { force: true });
    };
  }
  const database = createDatabase(url, { poolSize: 4 });
  if (migrate && !copied) await migrateToLatest(database);
  return {
    ...database,
    url,
    async drop() {
      await database.destroy();
      await dropServerDatabase();
    },
  };
}
