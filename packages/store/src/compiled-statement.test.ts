import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
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

describe('statements compiled once: what a builder may do with a slot', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite', { migrate: false });
  });
  afterAll(() => database?.drop());

  it('refuses a value derived from a slot (it would be compiled in as the constant "[object Object]%")', () => {
    // The slot is placed too, so the check that every value reaches the statement passes.
    const byPrefix = compiledStatement(1, (db, prefix: string) =>
      db.selectFrom('contas').select('nome').where('telefone', '=', prefix).where('nome', 'like', `${prefix}%`),
    );
    expect(() => byPrefix.bind(database.db, 'Ac')).toThrow('compiledStatement: value 1 was converted while the statement was built');
    const asJson = compiledStatement(1, (db, telefone: string) =>
      db.selectFrom('contas').select('nome').where('telefone', '=', telefone).where('nome', '=', JSON.stringify({ telefone })),
    );
    expect(() => asJson.bind(database.db, '1')).toThrow('compiledStatement: value 1 was converted while the statement was built');
  });

  it('keeps no compiled text for handles with plugins (withSchema makes new ones on every call): they are collected', async () => {
    const byNome = compiledStatement(1, (db, nome: string) => db.selectFrom('contas').select('id').where('nome', '=', nome));
    const refs: WeakRef<object>[] = [];
    const bindScoped = () => {
      for (let i = 0; i < 100; i++) {
        const scoped = database.db.withSchema(`s${i}`);
        const [plugin] = scoped.getExecutor().plugins;
        if (plugin) refs.push(new WeakRef(plugin));
        expect(byNome.bind(scoped, 'Um').sql).toContain(`"s${i}"."contas"`);
      }
    };
    bindScoped();
    expect(refs).toHaveLength(100);
    // A WeakRef's target is kept until the job that made it ends; then a full collection frees what nothing holds.
    await new Promise((resolve) => setImmediate(resolve));
    setFlagsFromString('--expose-gc');
    (runInNewContext('gc') as () => void)();
    await new Promise((resolve) => setImmediate(resolve));
    expect(refs.filter((ref) => ref.deref() !== undefined)).toHaveLength(0);
  });
});

describe('one module-level statement bound on handles of every dialect', () => {
  const databases: TestDatabase[] = [];
  let builds = 0;
  const byNome = compiledStatement(1, (db, nome: string) => {
    builds++;
    return db.selectFrom('contas').select('id').where('nome', '=', nome);
  });

  beforeAll(async () => {
    for (const dialect of ALL_DIALECTS) databases.push(await createTestDatabase(dialect, { migrate: false }));
  });
  afterAll(() => Promise.all(databases.map((database) => database.drop())));

  it("gives each handle its dialect's text ($1 or ?, double quotes or backticks), compiled once per handle", () => {
    const texts = () => Object.fromEntries(databases.map((database) => [database.dialect, byNome.bind(database.db, 'Um').sql]));
    const expected = {
      postgres: 'select "id" from "contas" where "nome" = $1',
      sqlite: 'select "id" from "contas" where "nome" = ?',
      mysql: 'select `id` from `contas` where `nome` = ?',
    };
    expect(texts()).toEqual(expected);
    expect(texts()).toEqual(expected);
    expect(builds).toBe(ALL_DIALECTS.length);
    expect(databases.map((database) => byNome.bind(database.db, 'Dois').parameters)).toEqual(ALL_DIALECTS.map(() => ['Dois']));
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
