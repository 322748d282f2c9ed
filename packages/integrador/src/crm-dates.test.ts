import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { sql } from 'kysely';
import { crmDateText } from './crm-dates';

// A date column and a timestamp at the same midnight, read from the CRM side by side: the column's type decides day or
// instant (the value alone cannot tell them apart), on PostgreSQL and MySQL/MariaDB alike.
describe.each(['postgres', 'mysql'] as const)('crmDateText on a %s CRM', (dialect) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(dialect, { migrate: false });
  });
  afterAll(async () => {
    await database.drop();
  });

  it('sends a date column as its day and a zone-less timestamp at midnight as an instant with the Brasília offset', async () => {
    const query =
      dialect === 'postgres'
        ? sql<{
            dia: Date;
            meia_noite: Date;
            instante: Date;
          }>`SELECT '2021-06-01'::date AS dia, '2021-06-01 00:00:00'::timestamp AS meia_noite, '2021-06-01 00:00:00-03'::timestamptz AS instante`
        : sql<{
            dia: Date;
            meia_noite: Date;
            instante: Date;
          }>`SELECT CAST('2021-06-01' AS DATE) AS dia, CAST('2021-06-01 00:00:00' AS DATETIME) AS meia_noite`;
    const [row] = (await query.execute(database.db)).rows;
    expect(crmDateText(row?.dia as Date)).toBe('2021-06-01');
    expect(crmDateText(row?.meia_noite as Date)).toBe('2021-06-01T00:00:00-03:00');
    if (dialect === 'postgres') expect(crmDateText(row?.instante as Date)).toBe('2021-06-01T00:00:00-03:00');
  });
});
