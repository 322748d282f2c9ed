import { createEmpresa, createFilial, issueApiKey } from '@integrador/store';
import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { DEFAULT_WEBHOOK_SETTINGS, EndpointFlowControl, requireEndpoint } from '@integrador/webhooks';
import type { FastifyInstance } from 'fastify';
import { startTestIngress, type TestIngress } from '../../../test/support/test-ingress';

// PATCH /v1/webhooks/:id (a partial change: re-enabling without the whole body) and the circuit breaker shown on the
// endpoint (`circuito`), through the real ingress, database and Redis.
describe.each(ALL_DIALECTS)('webhook PATCH and circuit state on %s', (dialect) => {
  let database: TestDatabase;
  let ingress: TestIngress;
  let app: FastifyInstance;
  let empresaA: number;
  let keyA: string;
  let keyFilial: string;
  let keyB: string;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    empresaA = await createEmpresa(database.db, 'Faculdade A');
    keyA = await issueApiKey(database.db, empresaA, null, 'a');
    keyFilial = await issueApiKey(database.db, empresaA, await createFilial(database.db, empresaA, 'Filial 1'), 'a-filial');
    keyB = await issueApiKey(database.db, await createEmpresa(database.db, 'Faculdade B'), null, 'b');
    ingress = await startTestIngress(database);
    app = ingress.app;
  });
  afterAll(async () => {
    await ingress.close();
    await database.drop();
  });

  const as = (key: string, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object, lang = 'pt-BR') =>
    app.inject({ method, url, headers: { authorization: `Bearer ${key}`, 'accept-language': lang }, ...(payload ? { payload } : {}) });
  const settings = {
    nome: 'ERP',
    url: 'https://erp.exemplo.com.br/hook',
    gatilhos: ['contato.criado', 'contato.alterado'],
    cabecalhos: { Authorization: 'Bearer s3' },
    limitePorSegundo: 5,
  };
  const create = async (nome: string) => (await as(keyA, 'POST', '/v1/webhooks', { ...settings, nome })).json().id as number;

  it('PATCH {"ativo": true} re-enables a disabled endpoint, keeping every other setting (headers included)', async () => {
    const id = await create('Desligado');
    const reason = JSON.stringify({ code: 'GONE', status: 410 });
    await database.db.updateTable('webhook_endpoints').set({ ativo: 0, desativado_motivo: reason }).where('id', '=', id).execute();
    // PUT wants the whole body: the finding this route answers.
    expect((await as(keyA, 'PATCH', `/v1/webhooks/${id}`, { ativo: true })).json()).toMatchObject({
      id,
      nome: 'Desligado',
      url: settings.url,
      gatilhos: settings.gatilhos,
      ativo: true,
      desativado: null,
      cabecalhos: ['Authorization'],
      limitePorSegundo: 5,
    });
    expect(await requireEndpoint(database.db, empresaA, id)).toMatchObject({
      ativo: true,
      desativadoMotivo: null,
      cabecalhos: { Authorization: 'Bearer s3' },
    });
    // One setting at a time; the rest stays.
    const renamed = await as(keyA, 'PATCH', `/v1/webhooks/${id}`, { nome: 'ERP 2', limitePorSegundo: null });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json()).toMatchObject({ nome: 'ERP 2', limitePorSegundo: null, ativo: true, gatilhos: settings.gatilhos });
    const off = await as(keyA, 'PATCH', `/v1/webhooks/${id}`, { ativo: false });
    expect(off.json()).toMatchObject({ nome: 'ERP 2', ativo: false });
  });

  it('PATCH checks what it is given as PUT does (400), refuses an empty body, and is bound to the tenant', async () => {
    const id = await create('Validado');
    const before = await requireEndpoint(database.db, empresaA, id);
    const refusals: Array<[object, string, string?]> = [
      [{}, 'VALIDATION_FAILED'],
      [{ nome: '' }, 'VALIDATION_FAILED'],
      [{ ativo: 'sim' }, 'VALIDATION_FAILED'],
      [{ segredo: 'whsec_x' }, 'VALIDATION_FAILED'],
      [{ gatilhos: ['contato.apagado'] }, 'VALIDATION_FAILED'],
      [{ url: 'https://erp.exemplo.com.br/{id}' }, 'WEBHOOK_URL_PLACEHOLDER'],
      [{ url: 'http://127.0.0.1/hook' }, 'WEBHOOK_URL_FORBIDDEN'],
      [{ cabecalhos: { 'webhook-id': 'x' } }, 'WEBHOOK_HEADER_INVALID'],
      // The stored Authorization never follows the URL to another receiver unseen, as on PUT.
      [{ url: 'https://outro.example.net/hook' }, 'WEBHOOK_HEADERS_REQUIRED'],
    ];
    for (const [payload, code] of refusals) {
      const refused = await as(keyA, 'PATCH', `/v1/webhooks/${id}`, payload);
      expect([payload, refused.statusCode, refused.json().error.code]).toEqual([payload, 400, code]);
    }
    expect(await requireEndpoint(database.db, empresaA, id)).toEqual(before);
    expect((await as(keyA, 'PATCH', `/v1/webhooks/${id}`, {})).json().error.message).toBe(
      'campo "body" não deve ter menos que 1 propriedade',
    );
    // Moved with its headers given: accepted.
    const moved = await as(keyA, 'PATCH', `/v1/webhooks/${id}`, { url: 'https://outro.example.net/hook', cabecalhos: {} });
    expect(moved.json()).toMatchObject({ url: 'https://outro.example.net/hook', cabecalhos: [], nome: 'Validado' });
    // Another empresa's key: 404; a filial key of the same empresa: 403; nothing changed.
    expect((await as(keyB, 'PATCH', `/v1/webhooks/${id}`, { ativo: false })).statusCode).toBe(404);
    const filial = await as(keyFilial, 'PATCH', `/v1/webhooks/${id}`, { ativo: false });
    expect([filial.statusCode, filial.json().error.code]).toEqual([403, 'FILIAL_SCOPE']);
    expect((await requireEndpoint(database.db, empresaA, id)).ativo).toBe(true);
    expect((await as(keyA, 'PATCH', '/v1/webhooks/999999', { ativo: true })).statusCode).toBe(404);
  });

  it('refuses a custom header HTTP cannot carry (a value outside Latin-1, a name with a space) with a 400 naming it', async () => {
    const id = await create('Cabecalhos');
    const before = await requireEndpoint(database.db, empresaA, id);
    for (const cabecalhos of [{ 'X-A': 'LEAKME8é€' }, { 'X A': 'LEAKME8' }]) {
      for (const [method, url, payload] of [
        ['PATCH', `/v1/webhooks/${id}`, { cabecalhos }],
        ['POST', '/v1/webhooks', { ...settings, nome: 'Outro', cabecalhos }],
      ] as const) {
        const refused = await as(keyA, method, url, payload, 'en');
        const name = Object.keys(cabecalhos)[0];
        expect([refused.statusCode, refused.json().error.code]).toEqual([400, 'WEBHOOK_HEADER_INVALID']);
        expect(refused.json().error.message).toContain(`invalid custom header: ${name} `);
        expect(refused.body).not.toContain('LEAKME');
      }
    }
    expect(await requireEndpoint(database.db, empresaA, id)).toEqual(before);
    // Latin-1 is a header value HTTP carries (sent as its byte): accepted.
    expect((await as(keyA, 'PATCH', `/v1/webhooks/${id}`, { cabecalhos: { 'X-A': 'café' } })).statusCode).toBe(200);
  });

  it("shows the endpoint's circuit breaker: closed, open until a time while deliveries wait, half-open, closed again", async () => {
    const id = await create('Circuito');
    const flow = new EndpointFlowControl(ingress.redis, ingress.prefix, {
      ...DEFAULT_WEBHOOK_SETTINGS,
      breakerCooldownMs: 1500,
      leaseMs: 20000,
    });
    const circuito = async (key = keyA) => (await as(key, 'GET', `/v1/webhooks/${id}`)).json().circuito;
    expect(await circuito()).toEqual({ estado: 'fechado', aberto: false, ate: null, falhasSeguidas: 0 });
    const started = Date.now();
    for (let i = 0; i < DEFAULT_WEBHOOK_SETTINGS.breakerFailures; i++) await flow.failed(id, `m${i}`);
    const open = await circuito();
    expect(open).toMatchObject({ estado: 'aberto', aberto: true, falhasSeguidas: DEFAULT_WEBHOOK_SETTINGS.breakerFailures });
    expect(Date.parse(open.ate)).toBeGreaterThanOrEqual(started + 1500);
    expect(Date.parse(open.ate)).toBeLessThanOrEqual(Date.now() + 1500);
    // The list shows it too; another empresa sees neither.
    const listed = (await as(keyA, 'GET', '/v1/webhooks')).json().items.find((e: { id: number }) => e.id === id);
    expect(listed.circuito).toEqual(open);
    expect((await as(keyB, 'GET', `/v1/webhooks/${id}`)).statusCode).toBe(404);
    // A delivery admitted now would be refused until `ate`: what a pending delivery without a new attempt is waiting on.
    expect((await flow.admit(id, null, 'x')).refused).toMatchObject({ reason: 'breaker' });
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(open.ate) - Date.now()) + 50));
    expect(await circuito()).toEqual({ estado: 'meio_aberto', aberto: false, ate: null, falhasSeguidas: 5 });
    await flow.succeeded(id);
    expect(await circuito()).toEqual({ estado: 'fechado', aberto: false, ate: null, falhasSeguidas: 0 });
  });

  it('without Redis the endpoint is still shown, its circuit null (unknown)', async () => {
    const id = await create('Sem Redis');
    // The ingress's producer connection, closed (the last test of the block: the connection stays closed).
    ingress.redis.disconnect();
    const shown = await as(keyA, 'GET', `/v1/webhooks/${id}`);
    expect(shown.statusCode).toBe(200);
    expect(shown.json()).toMatchObject({ id, nome: 'Sem Redis', circuito: null });
    const patched = await as(keyA, 'PATCH', `/v1/webhooks/${id}`, { nome: 'Ainda' });
    expect(patched.json()).toMatchObject({ nome: 'Ainda', circuito: null });
  });
});
