import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { installCaptureTriggers, removeCaptureTriggers } from './capture-triggers';

describe.each(ALL_DIALECTS)('capture triggers on %s', (dialect) => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await database.drop();
  });

  const outbox = async () =>
    (
      await database.db.selectFrom('webhook_outbox').select(['empresa_id', 'tabela', 'registro_id', 'operacao']).orderBy('id').execute()
    ).map((r) => `${r.empresa_id} ${r.tabela} ${r.registro_id} ${r.operacao}`);

  it('write one outbox row per insert and update, telling status changes apart; installing twice is harmless', async () => {
    await installCaptureTriggers(database);
    await installCaptureTriggers(database);
    const { db } = database;
    await db.insertInto('contatos').values({ id: 1, empresa_id: 7, nome: 'Ana', codigo: 'A1' }).execute();
    await db.updateTable('contatos').set({ nome: 'Ana Maria' }).where('id', '=', 1).execute();
    await db.insertInto('oportunidades').values({ id: 2, empresa_id: 7, titulo: 'Matrícula', status: 'Aberta' }).execute();
    await db.updateTable('oportunidades').set({ titulo: 'Matrícula 2026' }).where('id', '=', 2).execute();
    await db.updateTable('oportunidades').set({ status: 'Ganha' }).where('id', '=', 2).execute();
    await db.insertInto('atividades').values({ id: 3, empresa_id: 8, tipo: 'ligacao', status: 'aberta' }).execute();
    await db.updateTable('atividades').set({ status: 'concluida' }).where('id', '=', 3).execute();
    await db.insertInto('eventos').values({ id: 4, empresa_id: 8, tipo: 'inscricao' }).execute();
    await db.updateTable('eventos').set({ descricao: 'x' }).where('id', '=', 4).execute();
    expect(await outbox()).toEqual([
      '7 contatos 1 criado',
      '7 contatos 1 alterado',
      '7 oportunidades 2 criado',
      '7 oportunidades 2 alterado',
      '7 oportunidades 2 status_alterado',
      '8 atividades 3 criado',
      '8 atividades 3 status_alterado',
      '8 eventos 4 criado',
    ]);
  });

  it('stop writing once removed', async () => {
    await removeCaptureTriggers(database);
    await database.db.deleteFrom('webhook_outbox').execute();
    await database.db.insertInto('contatos').values({ id: 10, empresa_id: 7, nome: 'Bia', codigo: 'B1' }).execute();
    expect(await outbox()).toEqual([]);
  });
});
