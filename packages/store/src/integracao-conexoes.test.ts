import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { listConexoesOfEmpresas, listIntegracoes, listTenantConexoes } from './integracao.repository';
import { createEmpresa } from './tenants.repository';

// The dashboard's Conexões page reads every empresa its viewer sees at once: each must get exactly what its own
// listTenantConexoes and listIntegracoes give, another empresa's rows and shared rows only others use never.
describe.each(ALL_DIALECTS)('listConexoesOfEmpresas on %s', (dialect) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('gives each empresa its own and the shared connections its integrações name, and its integrações', async () => {
    const { db } = database;
    const [a, b, c] = [await createEmpresa(db, 'A'), await createEmpresa(db, 'B'), await createEmpresa(db, 'C')];
    // Without RETURNING on MySQL/MariaDB: the id read back by its unique name.
    const conexao = async (nome: string, empresaId: number | null) => {
      await db.insertInto('conexao_integracao').values({ tipo_conexao: 'database', nome_conexao: nome, empresa_id: empresaId }).execute();
      return Number((await db.selectFrom('conexao_integracao').select('id').where('nome_conexao', '=', nome).executeTakeFirstOrThrow()).id);
    };
    const ownA = await conexao('own_a', a);
    const sharedA = await conexao('shared_a', null);
    const ownB = await conexao('own_b', b);
    const sharedB = await conexao('shared_b', null);
    await conexao('shared_unused', null);
    await conexao('own_c', c);
    await db
      .insertInto('integracao')
      .values([
        { nome: 'A-empresa', tipo_servico: 'GET', empresa_id: a, empresa_filial_id: null, conexao_integracao_id: sharedA, ordem: 2 },
        { nome: 'A-filial-1', tipo_servico: 'GET', empresa_id: a, empresa_filial_id: 1, conexao_integracao_id: ownA, ordem: 1 },
        { nome: 'A-filial-2', tipo_servico: 'GET', empresa_id: a, empresa_filial_id: 2, conexao_integracao_id: ownA, ordem: 0 },
        { nome: 'B', tipo_servico: 'GET', empresa_id: b, empresa_filial_id: null, conexao_integracao_id: sharedB, ordem: 0 },
        { nome: 'C', tipo_servico: 'GET', empresa_id: c, empresa_filial_id: null, conexao_integracao_id: sharedB, ordem: 0 },
      ] as never)
      .execute();
    const names = (rows: Array<{ nome_conexao?: string; nome?: string }>) => rows.map((row) => row.nome_conexao ?? row.nome);

    const both = await listConexoesOfEmpresas(db, [a, b], null);
    expect([...both.keys()].sort()).toEqual([a, b].sort());
    expect(names(both.get(a)?.conexoes ?? [])).toEqual(['own_a', 'shared_a']);
    expect(names(both.get(a)?.integracoes ?? [])).toEqual(['A-filial-2', 'A-filial-1', 'A-empresa']);
    expect(names(both.get(b)?.conexoes ?? [])).toEqual(['own_b', 'shared_b']);
    expect(names(both.get(b)?.integracoes ?? [])).toEqual(['B']);
    expect(both.get(b)?.conexoes.map((row) => Number(row.id))).toEqual([ownB, sharedB]);
    // The same as each empresa's own reads.
    for (const empresaId of [a, b]) {
      expect(both.get(empresaId)?.conexoes).toEqual(await listTenantConexoes(db, empresaId));
      expect(both.get(empresaId)?.integracoes).toEqual(await listIntegracoes(db, { empresaId, filialId: null, nome: '' }));
    }

    // Only the empresas asked for: C, which shares shared_b, is not read, nor is A for B alone.
    const onlyB = await listConexoesOfEmpresas(db, [b], null);
    expect([...onlyB.keys()]).toEqual([b]);
    // A filial viewer reads its filial's integrações and the empresa-wide ones; the connections stay the empresa's.
    const filial = await listConexoesOfEmpresas(db, [a], 1);
    expect(names(filial.get(a)?.integracoes ?? [])).toEqual(['A-filial-1', 'A-empresa']);
    expect(names(filial.get(a)?.conexoes ?? [])).toEqual(['own_a', 'shared_a']);
    expect((await listConexoesOfEmpresas(db, [], null)).size).toBe(0);
  });
});
