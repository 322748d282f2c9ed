import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { Pool } from 'pg';
import { copyFromText } from './pg-copy';
import type { Database } from './schema';

describe('copyFromText (COPY … FROM STDIN in a Kysely transaction)', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('postgres', { migrate: false });
    await sql`CREATE TABLE copied (a integer, b text)`.execute(database.db);
  });
  afterAll(async () => database.drop());

  it('copies into the transaction: visible to it, gone when it rolls back, kept when it commits', async () => {
    const rollback = new Error('roll back');
    await expect(
      database.db.transaction().execute(async (trx) => {
        expect(await copyFromText(database.db, trx, 'COPY copied (a, b) FROM STDIN', ['1\tone\n', '2\t\\N\n'])).toBe(true);
        const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM copied`.execute(trx);
        expect(Number(rows[0]?.n)).toBe(2);
        throw rollback;
      }),
    ).rejects.toBe(rollback);
    expect((await sql`SELECT * FROM copied`.execute(database.db)).rows).toEqual([]);
    await database.db.transaction().execute((trx) => copyFromText(database.db, trx, 'COPY copied (a, b) FROM STDIN', ['3\tthree\n']));
    expect((await sql`SELECT a, b FROM copied`.execute(database.db)).rows).toEqual([{ a: 3, b: 'three' }]);
  });

  it('declines (false, nothing written) on a handle createDatabase did not open', async () => {
    const pool = new Pool({ connectionString: database.url, max: 1 });
    const foreign = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    try {
      const copied = await foreign
        .transaction()
        .execute((trx) => copyFromText(foreign, trx, 'COPY copied (a, b) FROM STDIN', ['4\tfour\n']));
      expect(copied).toBe(false);
      expect((await sql`SELECT count(*)::int AS n FROM copied WHERE a = 4`.execute(database.db)).rows).toEqual([{ n: 0 }]);
    } finally {
      await foreign.destroy();
    }
  });
});
