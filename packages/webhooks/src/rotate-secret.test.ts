import { createEmpresa } from '@integrador/store';
import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { Webhook } from 'standardwebhooks';
import { attemptHeaders, signingSecrets } from './deliver';
import { findWebhookEndpoint, rotateWebhookSecret } from './endpoints.repository';
import { DEFAULT_WEBHOOK_SETTINGS } from './settings';
import { rotateSecret } from './webhooks.service';

// A second rotation inside the grace period would move the new secret to "previous" and drop the one the receiver
// may still verify with, at once: it is refused (409) until the grace ends, one UPDATE deciding, so that of
// concurrent rotations one wins and the original stays the previous secret. On MySQL/MariaDB too, whose UPDATE
// assigns left to right.
describe.each(ALL_DIALECTS)('webhook secret rotations on %s', (dialect) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await database.drop();
  });

  async function endpoint(nome: string) {
    const { db } = database;
    const empresaId = await createEmpresa(db, nome);
    const values = {
      empresa_id: empresaId,
      nome: 'ERP',
      url: 'https://erp.exemplo.com.br/hook',
      gatilhos: '["contato.criado"]',
      ativo: 1,
      cabecalhos: '{}',
      segredo: 'plain:whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    };
    await db
      .insertInto('webhook_endpoints')
      .values(values as never)
      .execute();
    const { id } = await db.selectFrom('webhook_endpoints').select('id').where('empresa_id', '=', empresaId).executeTakeFirstOrThrow();
    return { empresaId, id: Number(id), original: values.segredo };
  }

  it('concurrent rotations: one wins, the original stays the previous secret', async () => {
    const { db } = database;
    const { empresaId, id, original } = await endpoint('Rot');
    const secrets = Array.from({ length: 8 }, (_, i) => `plain:new-${i}`);
    const grace = new Date(Date.now() + 3600_000);
    const rotated = await Promise.all(secrets.map((sealed) => rotateWebhookSecret(db, empresaId, id, sealed, grace)));
    expect(rotated.filter(Boolean)).toHaveLength(1);
    const row = await db
      .selectFrom('webhook_endpoints')
      .select(['segredo', 'segredo_anterior'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row.segredo).toBe(secrets[rotated.indexOf(true)]);
    expect(row.segredo_anterior).toBe(original);
    // Once the grace has ended, a rotation goes through again; another empresa's id rotates nothing.
    expect(await rotateWebhookSecret(db, empresaId + 1, id, 'plain:x', grace, new Date(grace.getTime() + 1))).toBe(false);
    expect(await rotateWebhookSecret(db, empresaId, id, 'plain:after', grace, new Date(grace.getTime() + 1))).toBe(true);
  });

  it('a second rotation inside the grace answers 409 and the secret in use keeps verifying', async () => {
    const { db } = database;
    const { empresaId, id, original } = await endpoint('Rot2');
    const caller = { empresaId, filialId: null };
    const settings = { ...DEFAULT_WEBHOOK_SETTINGS, secretKey: undefined };
    const first = await rotateSecret(db, settings, caller, id);
    const second = rotateSecret(db, settings, caller, id);
    await expect(second).rejects.toMatchObject({
      code: 'WEBHOOK_ROTATION_IN_GRACE',
      status: 409,
      params: { ate: first.previousValidUntil },
    });
    // Another tenant's id is still a 404.
    await expect(rotateSecret(db, settings, { empresaId: empresaId + 1, filialId: null }, id)).rejects.toMatchObject({ status: 404 });
    const row = await findWebhookEndpoint(db, empresaId, id);
    const body = '[{"id":"1"}]';
    const headers = attemptHeaders({}, signingSecrets(row as never, settings), 'msg_1', body, 'contato.criado');
    for (const secret of [original.slice('plain:'.length), first.secret])
      expect(new Webhook(secret).verify(body, headers)).toEqual([{ id: '1' }]);
  });

  // Review rev2 #4: the 409 left an operator whose secret leaked no way to revoke it before the grace ended.
  it('revokePrevious rotates inside the grace and drops every previous secret now; another tenant gets 404', async () => {
    const { db } = database;
    const { empresaId, id, original } = await endpoint('Rot3');
    const caller = { empresaId, filialId: null };
    const settings = { ...DEFAULT_WEBHOOK_SETTINGS, secretKey: undefined };
    const first = await rotateSecret(db, settings, caller, id);
    await expect(
      rotateSecret(db, settings, { empresaId: empresaId + 1, filialId: null }, id, { revokePrevious: true }),
    ).rejects.toMatchObject({
      code: 'WEBHOOK_NOT_FOUND',
      status: 404,
    });
    const revoked = await rotateSecret(db, settings, caller, id, { revokePrevious: true });
    expect(revoked.previousValidUntil).toBeNull();
    const row = await findWebhookEndpoint(db, empresaId, id);
    expect(row).toMatchObject({ segredoAnterior: null, segredoAnteriorExpiraEm: null });
    const body = '[{"id":"2"}]';
    const headers = attemptHeaders({}, signingSecrets(row as never, settings), 'msg_2', body, 'contato.criado');
    expect(new Webhook(revoked.secret).verify(body, headers)).toEqual([{ id: '2' }]);
    for (const secret of [original.slice('plain:'.length), first.secret]) expect(() => new Webhook(secret).verify(body, headers)).toThrow();
    // No grace runs now: an ordinary rotation goes through again.
    await expect(rotateSecret(db, settings, caller, id)).resolves.toMatchObject({ previousValidUntil: expect.any(String) });
  });
});
