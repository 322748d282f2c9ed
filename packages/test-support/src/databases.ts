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

/** Creates a throw-away database (its own PostgreSQL/MySQL database, or a temp SQLite file). */
export async function createTestDatabase(dialect: DialectName, options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = `itest_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  let url: string;
  let dropServerDatabase: () => Promise<void>;
  if (dialect === 'postgres') {
    const admin = new PgClient({ connectionString: TEST_SERVERS.postgres });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    url = withDatabase(TEST_SERVERS.postgres, name);
    dropServerDatabase = async () => {
      const c = new PgClient({ connectionString: TEST_SERVERS.postgres });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    };
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
    url = `sqlite:${file}`;
    dropServerDatabase = async () => {
      for (const suffix of ['', '-wal', '-shm']) fs.rmSync(`${file}${suffix}`, { force: true });
    };
  }
  const database = createDatabase(url, { poolSize: 4 });
  if (options.migrate !== false) await migrateToLatest(database);
  return {
    ...database,
    url,
    async drop() {
      await database.destroy();
      await dropServerDatabase();
    },
  };
}
