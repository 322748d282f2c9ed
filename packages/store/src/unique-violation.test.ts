import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { sql } from 'kysely';
import { isUniqueViolation } from './unique-violation';

describe.each(ALL_DIALECTS)('isUniqueViolation on %s', (dialect) => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase(dialect, { migrate: false });
    await sql`create table uv_probe (id integer primary key, code varchar(20) not null, unique (code))`.execute(database.db);
    await sql`insert into uv_probe (id, code) values (1, 'a')`.execute(database.db);
  });
  afterAll(() => database.drop());

  const failureOf = (statement: Promise<unknown>) =>
    statement.then(
      () => undefined,
      (err: unknown) => err,
    );

  it('recognizes a duplicate of a unique column and of the primary key', async () => {
    expect(isUniqueViolation(await failureOf(sql`insert into uv_probe (id, code) values (2, 'a')`.execute(database.db)))).toBe(true);
    expect(isUniqueViolation(await failureOf(sql`insert into uv_probe (id, code) values (1, 'b')`.execute(database.db)))).toBe(true);
  });

  it('does not take another constraint failure for one', async () => {
    const notNull = await failureOf(sql`insert into uv_probe (id, code) values (3, null)`.execute(database.db));
    expect(notNull).toHaveProperty('code'); // it failed
    expect(isUniqueViolation(notNull)).toBe(false);
    expect(isUniqueViolation(new Error('duplicate key value violates unique constraint'))).toBe(false);
  });
});
