import { createLogger } from '@integrador/logging';
import { Coalescer, reportGroupFailuresTo } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { captureLogs } from '@integrador/test-support/log-capture';
import { sql } from 'kysely';
import { logGroupFailures } from './group-failures';

// A group whose shared statement fails runs its items one by one; the worker logs that once per group, with the
// driver's error but none of the rows' values (MariaDB quotes the duplicate value in its message, mysql2 attaches
// the statement with the values inlined).
describe('logGroupFailures', () => {
  let database: TestDatabase;
  const { lines, destination } = captureLogs();

  beforeAll(async () => {
    database = await createTestDatabase('mysql', { migrate: false });
    await sql`CREATE TABLE contatos_teste (email VARCHAR(100) PRIMARY KEY)`.execute(database.db);
    await sql`INSERT INTO contatos_teste VALUES ('maria.secreta@example.com')`.execute(database.db);
    logGroupFailures(createLogger({ name: 'worker-test', destination }));
  });

  afterAll(async () => {
    reportGroupFailuresTo(undefined);
    await database?.drop();
  });

  it('warns once per failed group, naming it, without the values', async () => {
    const insert = (emails: string[]) =>
      sql`INSERT INTO contatos_teste (email) VALUES ${sql.join(emails.map((email) => sql`(${email})`))}`.execute(database.db);
    const inserts = new Coalescer<string, void>({
      name: 'test inserts',
      runGroup: async (emails) => {
        await insert(emails);
        return emails.map(() => undefined);
      },
      runOne: async (email) => void (await insert([email])),
    });

    const outcomes = await Promise.allSettled(
      ['joao.novo@example.com', 'maria.secreta@example.com', 'ana.nova@example.com'].map((e) => inserts.add(e)),
    );

    // The group failed as a whole and each item then ran alone: only the duplicate failed.
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(inserts.stats).toEqual({ groups: 1, fallbacks: 1 });
    const warnings = lines.filter((line) => line.msg === 'grouped statement failed, its items ran one by one');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      level: 40,
      group: 'test inserts',
      size: 3,
      error: { code: 'ER_DUP_ENTRY', message: expect.stringMatching(/^Duplicate entry '\?' for key/) },
    });
    const logged = JSON.stringify(lines);
    for (const value of ['maria.secreta', 'joao.novo', 'ana.nova', 'INSERT']) expect(logged).not.toContain(value);
  });

  it('masks the values PostgreSQL quotes in a data error (22P02) and a value holding a quote in MariaDB', async () => {
    const pg = await createTestDatabase('postgres', { migrate: false });
    try {
      await sql`CREATE TABLE numeros_teste (n integer)`.execute(pg.db);
      const insert = (values: string[]) =>
        sql`INSERT INTO numeros_teste (n) VALUES ${sql.join(values.map((v) => sql`(${v})`))}`.execute(pg.db);
      const inserts = new Coalescer<string, void>({
        name: 'pg inserts',
        runGroup: async (values) => {
          await insert(values);
          return values.map(() => undefined);
        },
        runOne: async (value) => void (await insert([value])),
      });
      await Promise.allSettled(['1', 'cpf-123.456.789-00', '3'].map((v) => inserts.add(v)));
      const quoted = new Coalescer<string, void>({
        name: 'quoted inserts',
        runGroup: async () => {
          await sql`INSERT INTO contatos_teste (email) VALUES (${"o'brien.secreto@example.com"}), (${"o'brien.secreto@example.com"})`.execute(
            database.db,
          );
          return [];
        },
        runOne: async () => undefined,
      });
      await Promise.allSettled([quoted.add('a'), quoted.add('b')]);
    } finally {
      await pg.drop();
    }
    const warnings = lines.filter((line) => line.msg === 'grouped statement failed, its items ran one by one');
    expect(warnings.find((w) => w.group === 'pg inserts')).toMatchObject({
      error: { code: '22P02', message: 'invalid input syntax for type integer: "?"' },
    });
    expect(warnings.find((w) => w.group === 'quoted inserts')).toMatchObject({
      error: { code: 'ER_DUP_ENTRY', message: expect.stringMatching(/^Duplicate entry '\?' for key/) },
    });
    const logged = JSON.stringify(lines);
    for (const value of ['cpf-123', 'brien']) expect(logged).not.toContain(value);
  });
});
