import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { sql } from 'kysely';
import { assertSchemaCurrent, migrateDownAll, migrateTo, migrateToLatest, migrationStatus, SchemaBehindError } from '../migrate';

const AFTER_025 = ['026-webhook-registros', '027-execucoes-chave-binaria', '028-execucoes-hot', '029-execucoes-sem-coluna-gerada'];

// Main numbered this migration 027-mensagens-registro (b777b5f8 to feece8da) before renaming it 025 (6eae4dd8): a
// database migrated in between records the old name, which every path that reads the migration table takes as 025.
describe.each(ALL_DIALECTS)('025-mensagens-registro recorded as 027-mensagens-registro on %s', (dialect) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await database?.drop();
  });

  /** The database as main left it then: 001 to 024, and this migration under its old name. */
  async function asMainLeftIt(): Promise<void> {
    await migrateTo(database, '025-mensagens-registro');
    await sql`UPDATE kysely_migration SET name = '027-mensagens-registro' WHERE name = '025-mensagens-registro'`.execute(database.db);
  }

  const recordedNames = async () =>
    (await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(database.db)).rows.map((row) => row.name);

  it('status lists it as pending under its new name, not as a newer hub’s; migrate renames it and runs only what follows', async () => {
    await asMainLeftIt();
    const status = await migrationStatus(database);
    expect(status.unknown).toEqual([]);
    expect(status.pending).toEqual(['025-mensagens-registro', ...AFTER_025]);
    await expect(assertSchemaCurrent(database)).rejects.toBeInstanceOf(SchemaBehindError);
    expect(await migrateToLatest(database)).toEqual(AFTER_025);
    expect(await migrationStatus(database)).toMatchObject({ pending: [], unknown: [] });
    expect(await recordedNames()).not.toContain('027-mensagens-registro');
    expect(await migrateToLatest(database)).toEqual([]);
  });

  it('migrateTo renames it first (up to a later migration, and down past it)', async () => {
    await asMainLeftIt();
    await migrateTo(database, '026-webhook-registros');
    expect((await migrationStatus(database)).pending).toEqual(AFTER_025.slice(1));
    await sql`UPDATE kysely_migration SET name = '027-mensagens-registro' WHERE name = '025-mensagens-registro'`.execute(database.db);
    await migrateTo(database, '024-set-registro-em-voo');
    expect(await recordedNames()).not.toContain('027-mensagens-registro');
    expect((await migrationStatus(database)).pending[0]).toBe('025-mensagens-registro');
    await migrateToLatest(database);
  });

  it('migrate --down (migrateDownAll) rolls back a database holding the old names', async () => {
    // Both old names at once: one rollback (slow on MySQL, where each DDL statement commits) covers both pairs.
    await migrateTo(database, '026-webhook-registros');
    await sql`UPDATE kysely_migration SET name = '027-mensagens-registro' WHERE name = '025-mensagens-registro'`.execute(database.db);
    await sql`UPDATE kysely_migration SET name = '027-webhook-registros' WHERE name = '026-webhook-registros'`.execute(database.db);
    await migrateDownAll(database);
    expect((await migrationStatus(database)).applied).toEqual([]);
    expect(await migrateToLatest(database)).toContain('025-mensagens-registro');
  }, 180_000);
});
