import { loadConfig } from '@integrador/config';
import { createEmpresa, issueApiKey } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { createWebhookHttpClient, webhookSettingsFrom } from '@integrador/webhooks';
import type { FastifyInstance } from 'fastify';
import { startTestIngress, type TestIngress } from '../../../test/support/test-ingress';

// WEBHOOK_HTTPS_ONLY=true: the bodies carry personal data (CPF, e-mails), so the operator can refuse receivers that
// would get them in clear. An http:// URL is refused when saved, in words; https:// is accepted; the default accepts
// http:// (the README's local receiver).
describe('webhook URLs under WEBHOOK_HTTPS_ONLY', () => {
  let database: TestDatabase;
  let ingress: TestIngress;
  let app: FastifyInstance;
  let key: string;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    key = await issueApiKey(database.db, await createEmpresa(database.db, 'Https'), null, 'a');
    const settings = webhookSettingsFrom(loadConfig({ WEBHOOK_HTTPS_ONLY: 'true' }).webhooks);
    ingress = await startTestIngress(database, { deps: { webhooks: { settings, http: createWebhookHttpClient(settings) } } });
    app = ingress.app;
  });
  afterAll(async () => {
    await ingress.close();
    await database.drop();
  });

  const send = (method: 'POST' | 'PATCH' | 'PUT', url: string, payload: object, lang = 'pt-BR') =>
    app.inject({ method, url, headers: { authorization: `Bearer ${key}`, 'accept-language': lang }, payload });
  const body = (url: string) => ({ nome: 'ERP', url, gatilhos: ['contato.criado'] });

  it('refuses http:// on create, replace and patch with a worded 400; accepts https://', async () => {
    const refused = await send('POST', '/v1/webhooks', body('http://erp.exemplo.com.br/hook?token=s3cr3t'));
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.code).toBe('WEBHOOK_URL_HTTPS_REQUIRED');
    expect(refused.json().error.message).toBe(
      'este hub só envia webhooks por HTTPS: os dados enviados incluem informações pessoais e, por http://, qualquer um no caminho pode lê-los ou alterá-los. Cadastre a URL com https:// (http://erp.exemplo.com.br/hook?token=***); o operador do hub exige isso em WEBHOOK_HTTPS_ONLY',
    );
    const english = await send('POST', '/v1/webhooks', body('http://erp.exemplo.com.br/hook'), 'en');
    expect(english.json().error.message).toMatch(/^this hub sends webhooks over HTTPS only/);
    const created = await send('POST', '/v1/webhooks', body('https://erp.exemplo.com.br/hook'));
    expect(created.statusCode).toBe(201);
    const id = created.json().id as number;
    expect((await send('PATCH', `/v1/webhooks/${id}`, { url: 'http://erp.exemplo.com.br/hook' })).json().error.code).toBe(
      'WEBHOOK_URL_HTTPS_REQUIRED',
    );
    expect((await send('PUT', `/v1/webhooks/${id}`, body('http://erp.exemplo.com.br/hook'))).statusCode).toBe(400);
    const stored = await database.db.selectFrom('webhook_endpoints').select('url').execute();
    expect(stored).toEqual([{ url: 'https://erp.exemplo.com.br/hook' }]);
  });

  it('shows an http:// endpoint saved before the setting as blocked: active, never failing, and nothing goes out', async () => {
    const created = await send('POST', '/v1/webhooks', body('https://antigo.exemplo.com.br/hook'));
    const id = created.json().id as number;
    expect(created.json().bloqueado).toBeNull();
    // Saved as http:// before the operator set WEBHOOK_HTTPS_ONLY (the API refuses it now).
    await database.db.updateTable('webhook_endpoints').set({ url: 'http://antigo.exemplo.com.br/hook' }).where('id', '=', id).execute();
    const shown = await app.inject({ method: 'GET', url: `/v1/webhooks/${id}`, headers: { authorization: `Bearer ${key}` } });
    expect(shown.json()).toMatchObject({
      ativo: true,
      falhandoDesde: null,
      bloqueado: {
        code: 'HTTPS_REQUIRED',
        message: expect.stringMatching(/^não enviado: este hub só envia webhooks por HTTPS \(WEBHOOK_HTTPS_ONLY\)/),
      },
    });
    const list = await app.inject({
      method: 'GET',
      url: '/v1/webhooks',
      headers: { authorization: `Bearer ${key}`, 'accept-language': 'en' },
    });
    const listed = (list.json().items as { id: number; bloqueado: { message: string } | null }[]).find((e) => e.id === id);
    expect(listed?.bloqueado?.message).toMatch(/^not sent: this hub sends webhooks over HTTPS only/);
  });

  it('is off by default (a receiver on this machine over http:// is the README walkthrough)', () => {
    expect(loadConfig({}).webhooks.httpsOnly).toBe(false);
    expect(() => loadConfig({ WEBHOOK_HTTPS_ONLY: 'yes' })).toThrow(/WEBHOOK_HTTPS_ONLY/);
  });
});
