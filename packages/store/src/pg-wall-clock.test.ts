import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { sql } from 'kysely';
import { pgWallClock } from './pg-wall-clock';

describe('pgWallClock: the text of zone-less PostgreSQL values read through a CRM handle', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('postgres', { migrate: false });
  });
  afterAll(async () => database.drop());

  it('notes a date and a timestamp in one row, whichever comes first, and never an instant', async () => {
    const { rows } = await sql<{ d: Date; t: Date; z: Date; t2: Date; d2: Date }>`SELECT '1990-05-20'::date AS d,
      '2026-12-10 09:00:00.123456'::timestamp AS t, '2026-12-10 09:00:00+00'::timestamptz AS z,
      '2026-03-08 02:30:00'::timestamp AS t2, '2026-03-08'::date AS d2`.execute(database.db);
    const [row] = rows;
    expect(row?.d).toBeInstanceOf(Date);
    expect([row?.d, row?.t, row?.z, row?.t2, row?.d2].map(pgWallClock)).toEqual([
      '1990-05-20',
      '2026-12-10 09:00:00',
      undefined,
      '2026-03-08 02:30:00',
      '2026-03-08',
    ]);
  });
});
