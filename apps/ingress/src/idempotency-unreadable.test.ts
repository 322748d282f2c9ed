import { randomBytes } from 'node:crypto';
import { createEmpresa, issueApiKey } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { testPrefix } from '@integrador/test-support/redis-server';
import { createWebhookHttpClient, DEFAULT_WEBHOOK_SETTINGS } from '@integrador/webhooks';
import { startTestIngress, type TestIngress } from '../../../test/support/test-ingress';

/**
 * WEBHOOK_SECRET_KEY changed between a request and its replay (an ingress restarted with another key): the kept first
 * answer no longer opens. The replay is refused with 409 IDEMPOTENCY_ANSWER_UNREADABLE — the first request did its
 * work, so running the route again would create a second webhook or rotate the secret twice.
 */
describe('Idempotency-Key replay whose kept answer no longer opens', () => {
  const prefix = testPrefix();
  let database: TestDatabase;
  let before: TestIngress;
  let after: TestIngress;
  let keyA: string;

  const withKey = (secretKey: Buffer) => {
    const settings = { ...DEFAULT_WEBHOOK_SETTINGS, secretKey };
    return { prefix, deps: { webhooks: { settings, http: createWebhookHttpClient(settings) } } };
  };

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    keyA = await issueApiKey(database.db, await createEmpresa(database.db, 'Empresa A'), null, 'a');
    before = await startTestIngress(database, withKey(randomBytes(32)));
    after = await startTestIngress(database, withKey(randomBytes(32)));
  });

  afterAll(async () => {
    await before.close();
    await after.close();
    await database.drop();
  });

  const post = (ingress: TestIngress, url: string, idem: string, payload?: object, lang = 'pt-BR') =>
    ingress.app.inject({
      method: 'POST',
      url,
      headers: { authorization: `Bearer ${keyA}`, 'idempotency-key': idem, 'accept-language': lang },
      ...(payload ? { payload } : {}),
    });

  it('answers 409 IDEMPOTENCY_ANSWER_UNREADABLE and creates no second webhook nor rotates again', async () => {
    const body = { nome: 'rot', url: 'https://erp.exemplo.com.br/hook', gatilhos: ['contato.criado'] };
    const created = await post(before, '/v1/webhooks', 'rot-1', body);
    expect(created.statusCode).toBe(201);
    const id = created.json().id as number;
    expect((await post(before, `/v1/webhooks/${id}/rotate-secret`, 'rot-2')).statusCode).toBe(200);
    const secrets = () => database.db.selectFrom('webhook_endpoints').select(['segredo', 'segredo_anterior']).executeTakeFirstOrThrow();
    const rotated = await secrets();

    const replay = await post(after, '/v1/webhooks', 'rot-1', body);
    expect(replay.statusCode).toBe(409);
    expect(replay.json().error).toEqual({
      code: 'IDEMPOTENCY_ANSWER_UNREADABLE',
      message: expect.stringContaining('não pode mais ser lida (a chave WEBHOOK_SECRET_KEY mudou'),
    });
    const rotate = await post(after, `/v1/webhooks/${id}/rotate-secret`, 'rot-2', undefined, 'en');
    expect([rotate.statusCode, rotate.json().error.code]).toEqual([409, 'IDEMPOTENCY_ANSWER_UNREADABLE']);
    expect(rotate.json().error.message).toMatch(/use a new Idempotency-Key/);
    expect(await database.db.selectFrom('webhook_endpoints').select('id').execute()).toEqual([{ id }]);
    expect(await secrets()).toEqual(rotated);
    // The key still opens where it was sealed: the kept answer is still there, untouched.
    const again = await post(before, '/v1/webhooks', 'rot-1', body);
    expect([again.statusCode, again.json().id, again.json().deduplicated]).toEqual([201, id, true]);
  });
});
