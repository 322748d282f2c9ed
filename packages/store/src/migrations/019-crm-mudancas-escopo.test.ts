import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { migrateTo, migrateToLatest } from '../migrate';
import { createEmpresa } from '../tenants.repository';

// Migration 019 rolled back: back to one chave per empresa, only the filiais' claims of a chave another scope also used
// go (the unique key could not hold both); a filial's claim nothing else used stays, as the empresa's.
describe.each(ALL_DIALECTS)('019-crm-mudancas-escopo down on %s', (dialect) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('removes only the filial claims whose chave another scope also used', async () => {
    const { db } = database;
    const empresa = await createEmpresa(db, 'Escopos');
    const other = await createEmpresa(db, 'Outra');
    const claim = (empresa_id: number, filial_escopo: number, chave: string) => ({
      empresa_id,
      filial_escopo,
      chave,
      tabela: 'contatos',
      operacao: 'alterado',
    });
    await db
      .insertInto('crm_mudancas')
      .values([
        claim(empresa, 0, 'shared'),
        claim(empresa, 5, 'shared'),
        claim(empresa, 5, 'own'),
        claim(empresa, 6, 'two-filiais'),
        claim(empresa, 7, 'two-filiais'),
        // Another empresa's claim of the same chave is no clash.
        claim(other, 5, 'own'),
      ] as never)
      .execute();
    await migrateTo(database, '018-outbox-status');
    const rows = await db
      .selectFrom('crm_mudancas' as never)
      .select(['empresa_id', 'chave'] as never)
      .execute();
    const kept = (rows as Array<{ empresa_id: number; chave: string }>)
      .map((row) => `${row.empresa_id === empresa ? 'e' : 'o'}:${row.chave}`)
      .sort();
    expect(kept).toEqual(['e:own', 'e:shared', 'o:own']);
    expect(await migrateToLatest(database)).toEqual([
      '019-crm-mudancas-escopo',
      '020-chaves-binarias',
      '021-set-retencao',
      '022-mensagens-conexao',
      '023-retencao-historico',
      '024-set-registro-em-voo',
      '025-mensagens-registro',
      '026-webhook-registros',
      '027-execucoes-chave-binaria',
      '028-execucoes-hot',
      '029-execucoes-sem-coluna-gerada',
    ]);
  });
});
