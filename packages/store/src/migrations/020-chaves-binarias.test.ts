import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { sql } from 'kysely';
import { migrateTo, migrateToLatest } from '../migrate';

// Migration 020: every column the engine matches outside keys on tells `P1` from `p1` and `PÉ1` from `PE1` under its
// unique index, on every dialect; on MySQL/MariaDB down() restores the table's collation and up() runs again.
describe.each(ALL_DIALECTS)('020-chaves-binarias on %s', (dialect) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await database?.drop();
  });

  const KEYS = ['P1', 'p1', 'PÉ1', 'PE1'];

  it('keeps keys differing only by case or accent apart in every key column', async () => {
    const { db } = database;
    for (const table of ['cidades', 'contas', 'oportunidades'] as const) {
      const rows = KEYS.map((id_erp) => ({ empresa_id: 1, id_erp, nome: id_erp, titulo: id_erp }));
      const values = rows.map(({ titulo, nome, ...row }) => (table === 'oportunidades' ? { ...row, titulo } : { ...row, nome }));
      await db.insertInto(table).values(values).execute();
      const found = await db.selectFrom(table).select('id_erp').where('empresa_id', '=', 1).where('id_erp', '=', 'p1').execute();
      expect(found).toEqual([{ id_erp: 'p1' }]);
    }
    await db
      .insertInto('contatos')
      .values(KEYS.map((k, i) => ({ empresa_id: 1, nome: k, codigo: k, id_erp: KEYS[(i + 1) % KEYS.length] as string })))
      .execute();
    await db
      .insertInto('eventos')
      .values(KEYS.map((chave) => ({ empresa_id: 1, tipo: 'x', chave })))
      .execute();
    await db
      .insertInto('integracao_sincronizacao_chaves')
      .values(KEYS.map((chave) => ({ empresa_id: 1, integracao_id: 1, chave, assinatura: 'a' })))
      .execute();
    const chaves = await db.selectFrom('integracao_sincronizacao_chaves').select('chave').where('chave', 'in', ['PE1']).execute();
    expect(chaves).toEqual([{ chave: 'PE1' }]);
  });

  if (dialect === 'mysql')
    it('down() gives the table collation back (with no clashing keys left), and up() runs again', async () => {
      const { db } = database;
      for (const table of ['cidades', 'contas', 'contatos', 'oportunidades', 'eventos', 'integracao_sincronizacao_chaves'])
        await db.deleteFrom(table as 'contas').execute();
      const collations = async () =>
        (
          await sql<{ collation: string }>`SELECT COLLATION_NAME AS collation FROM information_schema.COLUMNS
            WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'contas' AND COLUMN_NAME = 'id_erp'`.execute(db)
        ).rows[0]?.collation;
      expect(await collations()).toBe('utf8mb4_bin');
      await migrateTo(database, '019-crm-mudancas-escopo');
      expect(await collations()).not.toBe('utf8mb4_bin');
      await migrateToLatest(database);
      expect(await collations()).toBe('utf8mb4_bin');
    });

  if (dialect === 'mysql')
    it('down() gives a table of another character set its own collation back (not utf8mb4 with a latin1 collation)', async () => {
      const { db } = database;
      // Only the table's default changes; its columns stay as they are (utf8mb4_bin for id_erp).
      await sql`ALTER TABLE cidades DEFAULT CHARACTER SET latin1 COLLATE latin1_swedish_ci`.execute(db);
      const column = async () =>
        (
          await sql<{ charset: string; collation: string }>`SELECT CHARACTER_SET_NAME AS charset, COLLATION_NAME AS collation
            FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'cidades' AND COLUMN_NAME = 'id_erp'`.execute(
            db,
          )
        ).rows[0];
      try {
        await migrateTo(database, '019-crm-mudancas-escopo');
        expect(await column()).toEqual({ charset: 'latin1', collation: 'latin1_swedish_ci' });
      } finally {
        await sql`ALTER TABLE cidades DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`.execute(db);
        await migrateToLatest(database);
      }
      expect(await column()).toEqual({ charset: 'utf8mb4', collation: 'utf8mb4_bin' });
    });
});
