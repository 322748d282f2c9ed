import { createEmpresa, issueApiKey } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { generateSigningSecret } from '@integrador/webhooks';
import type { FastifyInstance } from 'fastify';
import { startTestIngress, type TestIngress } from '../../../test/support/test-ingress';

// F31: secrets sealed under WEBHOOK_SECRET_KEY, the ingress started without it. The test button and a rotation answer
// a worded 503 (the key is missing on this host), not a 500.
describe('webhook routes on a host without the key its secrets were sealed under', () => {
  let database: TestDatabase;
  let ingress: TestIngress;
  let app: FastifyInstance;
  let keyA: string;
  let keyB: string;
  let sealedId: number;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    const empresaA = await createEmpresa(database.db, 'Sealed A');
    keyA = await issueApiKey(database.db, empresaA, null, 'a');
    keyB = await issueApiKey(database.db, await createEmpresa(database.db, 'Sealed B'), null, 'b');
    // Written by a host that had the key (the stored form only: no key is needed to insert it).
    const row = await database.db
      .insertInto('webhook_endpoints')
      .values({
        empresa_id: empresaA,
        nome: 'ERP',
        url: 'https://erp.exemplo.com.br/hook',
        gatilhos: '["contato.criado"]',
        ativo: 1,
        cabecalhos: '{}',
        segredo: `v1:${Buffer.from(generateSigningSecret()).toString('base64')}`,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    sealedId = row.id;
    ingress = await startTestIngress(database);
    app = ingress.app;
  });

  afterAll(async () => {
    await ingress.close();
    await database.drop();
  });

  const auth = (key: string, lang = 'pt-BR') => ({ authorization: `Bearer ${key}`, 'accept-language': lang });

  it('test answers 503 WEBHOOK_SECRET_KEY_MISSING in the caller language; another tenant gets 404', async () => {
    const pt = await app.inject({ method: 'POST', url: `/v1/webhooks/${sealedId}/test`, headers: auth(keyA) });
    expect(pt.statusCode).toBe(503);
    expect(pt.json()).toEqual({
      error: { code: 'WEBHOOK_SECRET_KEY_MISSING', message: expect.stringMatching(/WEBHOOK_SECRET_KEY não está definida neste servidor/) },
    });
    const en = await app.inject({ method: 'POST', url: `/v1/webhooks/${sealedId}/test`, headers: auth(keyA, 'en') });
    expect(en.json().error.message).toMatch(/WEBHOOK_SECRET_KEY is not set on this host/);
    const other = await app.inject({ method: 'POST', url: `/v1/webhooks/${sealedId}/test`, headers: auth(keyB) });
    expect(other.statusCode).toBe(404);
  });

  it('rotate-secret is refused with the same 503 and stores nothing; another tenant gets 404', async () => {
    const before = await database.db
      .selectFrom('webhook_endpoints')
      .select(['segredo', 'segredo_anterior'])
      .where('id', '=', sealedId)
      .executeTakeFirst();
    const refused = await app.inject({ method: 'POST', url: `/v1/webhooks/${sealedId}/rotate-secret`, headers: auth(keyA) });
    expect(refused.statusCode).toBe(503);
    expect(refused.json().error.code).toBe('WEBHOOK_SECRET_KEY_MISSING');
    const other = await app.inject({ method: 'POST', url: `/v1/webhooks/${sealedId}/rotate-secret`, headers: auth(keyB) });
    expect(other.statusCode).toBe(404);
    const after = await database.db
      .selectFrom('webhook_endpoints')
      .select(['segredo', 'segredo_anterior'])
      .where('id', '=', sealedId)
      .executeTakeFirst();
    expect(after).toEqual(before);
  });
});
