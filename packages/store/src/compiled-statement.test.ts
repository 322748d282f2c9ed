import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { sql } from 'kysely';
import { compiledStatement } from './compiled-statement';
import { pgUnnest, sameLengthColumns } from './pg-unnest';
import { createEmpresa } from './tenants.repository';

describe.each(ALL_DIALECTS)('statements compiled once on %s', (dialect) => {
  let database: TestDatabase;
  let empresaId: number;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    empresaId = await createEmpresa(database.db, 'Acme');
    await database.db
      .insertInto('contas')
      .values([
        { empresa_id: empresaId, nome: 'Um', telefone: '1' },
        { empresa_id: empresaId, nome: 'Dois', telefone: '2' },
      ])
      .execute();
  });
  afterAll(() => database.drop());

  it('binds each run its own values, keeps the constants the builder wrote, and compiles once per handle', async () => {
    let builds = 0;
    const byTelefone = compiledStatement(2, (db, empresa: number, telefone: string) => {
      builds++;
      return db
        .selectFrom('contas')
        .select('nome')
        .where('empresa_id', '=', empresa)
        .where('telefone', '=', telefone)
        .where('nome', '<>', 'Nenhum');
    });
    const run = async (telefone: string) => (await database.db.executeQuery(byTelefone.bind(database.db, empresaId, telefone))).rows;
    expect(await run('2')).toEqual([{ nome: 'Dois' }]);
    expect(await run('1')).toEqual([{ nome: 'Um' }]);
    expect(await database.db.executeQuery(byTelefone.bind(database.db, empresaId + 1, '1'))).toMatchObject({ rows: [] });
    expect(builds).toBe(1);
  });

  it('refuses a builder that leaves a value out of the statement (it would run another statement)', () => {
    const dropped = compiledStatement(2, (db, empresa: number, _telefone: string) =>
      db.selectFrom('contas').select('nome').where('empresa_id', '=', empresa),
    );
    expect(() => dropped.bind(database.db, empresaId, '1')).toThrow('2 values expected in the statement, 1 placed');
  });

  it('refuses a bind with more or fewer values than the statement has (a 17th value is never silently dropped)', () => {
    const byEmpresa = compiledStatement(1, (db, empresa: number) =>
      db.selectFrom('contas').select('nome').where('empresa_id', '=', empresa),
    );
    const values: unknown[] = [empresaId, 'extra'];
    expect(() => byEmpresa.bind(database.db, ...(values as [number]))).toThrow('1 values expected, 2 given');
    expect(() => byEmpresa.bind(database.db, ...([] as unknown[] as [number]))).toThrow('1 values expected, 0 given');
  });
});

describe('statements compiled once, fed by unnest arrays (real PostgreSQL)', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('postgres', { migrate: false });
  });
  afterAll(() => database?.drop());

  const pairsOf = (builds: { count: number }) =>
    compiledStatement(2, (db, names: string[], numbers: number[]) => {
      builds.count++;
      return db.selectNoFrom(
        sql<string>`(SELECT string_agg(p.n || '=' || p.v, ',' ORDER BY p.v) FROM ${pgUnnest([
          [numbers, 'integer'],
          [names, 'text'],
        ])} AS p (v, n))`.as('joined'),
      );
    });

  it('compiles pgUnnest with placeholders once; each call binds its own arrays, of any length', async () => {
    const builds = { count: 0 };
    const pairs = pairsOf(builds);
    const { db } = database;
    expect((await db.executeQuery(pairs.bind(db, ['a', 'b'], [1, 2]))).rows).toEqual([{ joined: 'a=1,b=2' }]);
    expect((await db.executeQuery(pairs.bind(db, ['x', 'y', 'z'], [7, 8, 9]))).rows).toEqual([{ joined: 'x=7,y=8,z=9' }]);
    expect(builds.count).toBe(1);
  });

  it("shares the compiled text with the handle's transactions (a claim runs in one each time)", async () => {
    const builds = { count: 0 };
    const pairs = pairsOf(builds);
    const { db } = database;
    await db.executeQuery(pairs.bind(db, ['a'], [1]));
    const inTransaction = await db.transaction().execute((trx) => trx.executeQuery(pairs.bind(trx, ['b'], [2])));
    await db.transaction().execute((trx) => trx.executeQuery(pairs.bind(trx, ['c'], [3])));
    expect(inTransaction.rows).toEqual([{ joined: 'b=2' }]);
    expect(builds.count).toBe(1);
  });

  it('refuses arrays of unequal lengths instead of letting unnest pad the shorter with NULLs', async () => {
    const pairs = pairsOf({ count: 0 });
    const { db } = database;
    // What the check prevents: the compiled text takes any arrays, and PostgreSQL pads the shorter one.
    const padded = await db.executeQuery(pairs.bind(db, ['a'], [1, 2]));
    expect(padded.rows).toEqual([{ joined: 'a=1' }]);
    expect(() => pairs.bind(db, ...sameLengthColumns([['a'], [1, 2]] as [string[], number[]]))).toThrow(
      'pgUnnest: every column needs one value per row',
    );
    expect(() =>
      pgUnnest([
        [['a'], 'text'],
        [[1, 2], 'integer'],
      ]),
    ).toThrow('pgUnnest: every column needs one value per row');
  });
});
