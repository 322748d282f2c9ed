import { createEmpresa } from '@integrador/store';
import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { compiledStatement } from './compiled-statement';

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
