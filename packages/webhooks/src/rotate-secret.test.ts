import { createEmpresa } from '@integrador/store';
import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { rotateWebhookSecret } from './endpoints.repository';

// Rotation moves current → previous in one UPDATE: concurrent rotations keep a consistent pair (the previous secret is
// another rotation's new one), where a read then an update let them all read the same current secret and lose the
// others. On MySQL/MariaDB too, whose UPDATE assigns left to right.
describe.each(ALL_DIALECTS)('concurrent webhook secret rotations on %s', (dialect) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await database.drop();
  });

  it('keep a consistent pair: current and previous are two of the new secrets, the original gone', async () => {
    const { db } = database;
    const empresaId = await createEmpresa(db, 'Rot');
    await db
      .insertInto('webhook_endpoints')
      .values({
        empresa_id: empresaId,
        nome: 'ERP',
        url: 'https://erp.exemplo.com.br/hook',
        gatilhos: '["contato.criado"]',
        ativo: 1,
        cabecalhos: '{}',
        segredo: 'plain:original',
      } as never)
      .execute();
    const { id } = await db.selectFrom('webhook_endpoints').select('id').where('empresa_id', '=', empresaId).executeTakeFirstOrThrow();
    const secrets = Array.from({ length: 8 }, (_, i) => `plain:new-${i}`);
    const grace = new Date(Date.now() + 3600_000);
    const rotated = await Promise.all(secrets.map((sealed) => rotateWebhookSecret(db, empresaId, Number(id), sealed, grace)));
    expect(rotated).toEqual(secrets.map(() => true));
    const row = await db
      .selectFrom('webhook_endpoints')
      .select(['segredo', 'segredo_anterior'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(secrets).toContain(row.segredo);
    expect(secrets).toContain(row.segredo_anterior);
    expect(row.segredo_anterior).not.toBe(row.segredo);
    // Another empresa's id rotates nothing.
    expect(await rotateWebhookSecret(db, empresaId + 1, Number(id), 'plain:x', grace)).toBe(false);
  });
});
