import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { sql } from 'kysely';
import { assertSchemaCurrent, migrateTo, migrateToLatest, migrationStatus, SchemaBehindError } from '../migrate';
import { createEmpresa } from '../tenants.repository';

// Migration 026 keeps each oportunidade's criacao from the bodies still stored when it runs (the first one that carried
// one), so the records created within the retention before an upgrade keep theirs once their bodies are purged.
describe.each(ALL_DIALECTS)('026-webhook-registros on %s', (dialect) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await database?.drop();
  });

  it("fills the kept criacao from each oportunidade's first stored body that carried one; down drops the table", async () => {
    const { db } = database;
    await migrateTo(database, '025-mensagens-registro');
    const empresa = await createEmpresa(db, 'Datas');
    const body = (criacao: unknown) => JSON.stringify([{ id: '1', criacao, status: 'Aberta' }]);
    const message = (chave: string, tabela: string, registro: string, payload: string) => ({
      empresa_id: empresa,
      chave,
      gatilho: tabela === 'oportunidades' ? 'oportunidade.status_alterado' : 'contato.criado',
      tabela,
      registro_id: registro,
      webhook_id: `msg_${chave}`,
      payload,
    });
    await db
      .insertInto('webhook_mensagens')
      .values([
        message('a', 'oportunidades', '1', body(null)),
        message('b', 'oportunidades', '1', body('2026-10-01 09:00')),
        message('c', 'oportunidades', '1', body('2026-10-02 10:00')),
        message('d', 'oportunidades', '2', 'not json'),
        message('e', 'contatos', '3', body('2026-10-03 11:00')),
      ] as never)
      .execute();
    expect(await migrateToLatest(database)).toEqual([
      '026-webhook-registros',
      '027-execucoes-chave-binaria',
      '028-execucoes-hot',
      '029-execucoes-sem-coluna-gerada',
    ]);
    const kept = await db.selectFrom('webhook_registros').select(['empresa_id', 'tabela', 'registro_id', 'criacao']).execute();
    expect(kept).toEqual([{ empresa_id: empresa, tabela: 'oportunidades', registro_id: '1', criacao: '2026-10-01 09:00' }]);
    await migrateTo(database, '025-mensagens-registro');
    expect((await db.introspection.getTables()).map((t) => t.name)).not.toContain('webhook_registros');
    await migrateToLatest(database);
  });

  it('takes a database that recorded this migration under its old name, 027-webhook-registros: renamed, not run again', async () => {
    const { db } = database;
    // As main left a database between wh4 and fixrev9a: 027-webhook-registros applied, the migrations after it not.
    await migrateTo(database, '026-webhook-registros');
    await sql`UPDATE kysely_migration SET name = '027-webhook-registros' WHERE name = '026-webhook-registros'`.execute(db);
    // Until migrated, the apps that do not migrate say to run `integrador migrate`, not that a newer hub migrated it.
    await expect(assertSchemaCurrent(database)).rejects.toBeInstanceOf(SchemaBehindError);
    // Every migration after 026 runs (the renamed one is not run again; a new migration joins this list).
    const ran = await migrateToLatest(database);
    expect(ran).not.toContain('026-webhook-registros');
    expect(ran).toEqual(['027-execucoes-chave-binaria', '028-execucoes-hot', '029-execucoes-sem-coluna-gerada']);
    const status = await migrationStatus(database);
    expect(status).toMatchObject({ pending: [], unknown: [] });
    expect(status.applied.map((row) => row.name)).toContain('026-webhook-registros');
    // Run again: nothing to rename, nothing to apply.
    expect(await migrateToLatest(database)).toEqual([]);
  });
});
