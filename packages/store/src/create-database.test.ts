import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { sql } from 'kysely';
import { createDatabase } from './create-database';

describe('createDatabase on MariaDB', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('mysql', { migrate: false });
  });
  afterAll(async () => {
    await database.drop();
  });

  it('answers the rows an UPDATE matched even when the URL asks for -FOUND_ROWS', async () => {
    const url = new URL(database.url);
    url.searchParams.set('flags', '-FOUND_ROWS');
    const crm = createDatabase(url.toString(), { poolSize: 1 });
    try {
      await sql`CREATE TABLE found_rows_check (id INT PRIMARY KEY, v INT)`.execute(crm.db);
      await sql`INSERT INTO found_rows_check VALUES (1, 7)`.execute(crm.db);
      // The value does not change: only FOUND_ROWS makes the server count the row.
      const result = await sql`UPDATE found_rows_check SET v = 7 WHERE id = 1`.execute(crm.db);
      expect(result.numAffectedRows).toBe(1n);
    } finally {
      await crm.destroy();
    }
  });
});

describe('createDatabase on PostgreSQL', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('postgres', { migrate: false });
  });
  afterAll(async () => {
    await database.drop();
  });

  const applicationName = async (url: string, options: { applicationName?: string }) => {
    const crm = createDatabase(url, { poolSize: 1, ...options });
    try {
      return (await sql<{ name: string }>`SELECT current_setting('application_name') AS name`.execute(crm.db)).rows[0]?.name;
    } finally {
      await crm.destroy();
    }
  };

  it("names the app's connections (application_name), a name in the URL winning", async () => {
    expect(await applicationName(database.url, { applicationName: 'integrador-worker-set' })).toBe('integrador-worker-set');
    const url = new URL(database.url);
    url.searchParams.set('application_name', 'dba-choice');
    expect(await applicationName(url.toString(), { applicationName: 'integrador-worker-set' })).toBe('dba-choice');
  });
});
