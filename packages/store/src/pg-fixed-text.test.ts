import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { type Kysely, sql } from 'kysely';
import { fixedTextStatement } from './pg-fixed-text';
import { pgUnnest } from './pg-unnest';
import type { Database } from './schema';

describe('statements built by Kysely once (real PostgreSQL)', () => {
  let database: TestDatabase;
  let db: Kysely<Database>;

  beforeAll(async () => {
    database = await createTestDatabase('postgres', { migrate: false });
    db = database.db;
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('builds on the first call only; later calls bind their own arrays in the same places', async () => {
    let builds = 0;
    const pairs = fixedTextStatement((db, names: string[], numbers: number[]) => {
      builds += 1;
      return db.selectNoFrom(
        sql<string>`(SELECT string_agg(p.n || '=' || p.v, ',' ORDER BY p.v) FROM ${pgUnnest([
          [numbers, 'integer'],
          [names, 'text'],
        ])} AS p (v, n))`.as('joined'),
      );
    });
    const first = await db.executeQuery<{ joined: string }>(pairs(db, ['a', 'b'], [1, 2]));
    const second = await db.executeQuery<{ joined: string }>(pairs(db, ['x', 'y', 'z'], [7, 8, 9]));
    expect(first.rows[0]?.joined).toBe('a=1,b=2');
    expect(second.rows[0]?.joined).toBe('x=7,y=8,z=9');
    expect(builds).toBe(1);
  });

  it('refuses a statement with a parameter that is not one of its arrays (it would be bound once and for all)', () => {
    const withConstant = fixedTextStatement((db, ids: number[]) =>
      db.selectNoFrom(sql<number>`cardinality(${ids}::integer[]) + ${1}`.as('n')),
    );
    expect(() => withConstant(db, [1, 2])).toThrow(/every parameter must be one of the arguments/);
  });
});
