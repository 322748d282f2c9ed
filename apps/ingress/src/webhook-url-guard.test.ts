import fs from 'node:fs';
import path from 'node:path';
import { parseAddressAllowlist } from '@integrador/connections';
import { createEmpresa, issueApiKey } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { createWebhookHttpClient, DEFAULT_WEBHOOK_SETTINGS } from '@integrador/webhooks';
import { startTestIngress, type TestIngress } from '../../../test/support/test-ingress';

// A webhook URL the outbound guard would refuse on every delivery is refused when it is saved (POST and PUT), with
// the guard's own verdict: why (the range) and how to allow it (WEBHOOK_ALLOWED_NETWORKS). Names are not resolved.
describe('webhook URLs the outbound guard refuses', () => {
  let database: TestDatabase;
  let strict: TestIngress;
  let allowing: TestIngress;
  let key: string;
  let otherKey: string;
  const allowingSettings = { ...DEFAULT_WEBHOOK_SETTINGS, allowlist: parseAddressAllowlist(['127.0.0.1/32']) };
  const allowingHttp = createWebhookHttpClient(allowingSettings);

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    key = await issueApiKey(database.db, await createEmpresa(database.db, 'Faculdade A'), null, 'a');
    otherKey = await issueApiKey(database.db, await createEmpresa(database.db, 'Faculdade B'), null, 'b');
    strict = await startTestIngress(database);
    allowing = await startTestIngress(database, { deps: { webhooks: { settings: allowingSettings, http: allowingHttp } } });
  });

  afterAll(async () => {
    await strict.close();
    await allowing.close();
    await allowingHttp.close();
    await database.drop();
  });

  const send = (ingress: TestIngress, method: 'POST' | 'PUT', url: string, hook: string, options: { lang?: string; as?: string } = {}) =>
    ingress.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${options.as ?? key}`, ...(options.lang ? { 'accept-language': options.lang } : {}) },
      payload: { nome: 'ERP', url: hook, gatilhos: ['contato.criado'] },
    });

  // The range worded in the reader's language (ipaddr.js's names, such as linkLocal, are not shown).
  it.each([
    ['http://127.0.0.1:8080/hook', '127.0.0.1', 'loopback, a própria máquina', 'loopback', '127.0.0.1/32'],
    ['http://localhost:8080/hook', 'localhost', 'loopback, a própria máquina', 'loopback', '127.0.0.1/32'],
    ['http://10.1.2.3/hook', '10.1.2.3', 'privada', 'private', '10.1.2.3/32'],
    ['http://[::1]:8080/hook', '[::1]', 'loopback, a própria máquina', 'loopback', '::1/128'],
  ])('POST %s: 400 WEBHOOK_URL_FORBIDDEN naming the range and the setting, nothing created', async (hook, host, range, rangeEn, entry) => {
    const res = await send(strict, 'POST', '/v1/webhooks', hook);
    expect(res.statusCode).toBe(400);
    const { error } = res.json();
    expect(error.code).toBe('WEBHOOK_URL_FORBIDDEN');
    expect(error.message).toBe(
      `o endereço ${host} leva a uma rede interna (${range}) e o hub recusa entregas para lá por segurança; use um endereço público. Se o destino é interno de propósito, o operador do hub pode liberá-lo incluindo ${entry} em WEBHOOK_ALLOWED_NETWORKS (e reiniciando o ingress e o worker de webhooks)`,
    );
    const en = (await send(strict, 'POST', '/v1/webhooks', hook, { lang: 'en' })).json().error.message;
    expect(en).toContain(`the address ${host} leads to an internal network (${rangeEn})`);
    expect(en).toContain(`adding ${entry} to WEBHOOK_ALLOWED_NETWORKS`);
    const list = await strict.app.inject({ url: '/v1/webhooks', headers: { authorization: `Bearer ${key}` } });
    expect(list.json().items.map((item: { url: string }) => item.url)).not.toContain(hook);
  });

  // Link-local and cloud metadata addresses are never reached: config refuses them in WEBHOOK_ALLOWED_NETWORKS, so the
  // message says the address can never be used instead of advising an entry that would be refused.
  it.each([
    ['http://169.254.169.254/latest/meta-data', '169.254.169.254', 'link-local', 'link-local'],
    ['http://[fe80::1]/hook', '[fe80::1]', 'link-local', 'link-local'],
  ])('POST %s: 400 WEBHOOK_URL_FORBIDDEN saying no allowlist opens it, on every ingress', async (hook, host, range, rangeEn) => {
    for (const ingress of [strict, allowing]) {
      const res = await send(ingress, 'POST', '/v1/webhooks', hook);
      expect(res.statusCode).toBe(400);
      const { error } = res.json();
      expect(error.code).toBe('WEBHOOK_URL_FORBIDDEN');
      expect(error.message).toBe(
        `o endereço ${host} leva a uma rede interna (${range}) que o hub nunca alcança, por segurança (nenhum valor de WEBHOOK_ALLOWED_NETWORKS a libera); use um endereço público`,
      );
      const en = (await send(ingress, 'POST', '/v1/webhooks', hook, { lang: 'en' })).json().error.message;
      expect(en).toContain(`the address ${host} leads to an internal network (${rangeEn}) that the hub never reaches`);
      expect(en).not.toMatch(/adding .* to WEBHOOK_ALLOWED_NETWORKS/);
    }
  });

  it('PUT to a refused address is refused too, and the stored URL stays', async () => {
    const created = await send(strict, 'POST', '/v1/webhooks', 'https://erp.exemplo.com.br/hook');
    expect(created.statusCode).toBe(201);
    const id = created.json().id as number;
    const moved = await send(strict, 'PUT', `/v1/webhooks/${id}`, 'http://192.168.0.10/hook');
    expect(moved.statusCode).toBe(400);
    expect(moved.json().error.code).toBe('WEBHOOK_URL_FORBIDDEN');
    const shown = await strict.app.inject({ url: `/v1/webhooks/${id}`, headers: { authorization: `Bearer ${key}` } });
    expect(shown.json().url).toBe('https://erp.exemplo.com.br/hook');
    // Another tenant's id is not found, whatever the URL.
    expect((await send(strict, 'PUT', `/v1/webhooks/${id}`, 'http://192.168.0.10/hook', { as: otherKey })).statusCode).toBe(404);
  });

  it("accepts the README walkthrough's body for a local receiver with the WEBHOOK_ALLOWED_NETWORKS it exports", async () => {
    const readme = fs.readFileSync(path.join(__dirname, '../../../README.md'), 'utf8');
    const allowed = /export WEBHOOK_ALLOWED_NETWORKS=(\S+)/.exec(readme)?.[1];
    const body = /\/v1\/webhooks \\\n\s+-d '(\{"nome".*\})'/.exec(readme)?.[1];
    expect(allowed).toBe('127.0.0.1/32');
    const payload = JSON.parse(body ?? 'null') as { url: string; gatilhos: string[] };
    expect(payload.gatilhos).toHaveLength(7);
    const post = (ingress: TestIngress) =>
      ingress.app.inject({ method: 'POST', url: '/v1/webhooks', headers: { authorization: `Bearer ${key}` }, payload });
    expect((await post(strict)).json().error.code).toBe('WEBHOOK_URL_FORBIDDEN');
    const created = await post(allowing);
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ url: payload.url, segredo: expect.stringMatching(/^whsec_/) });
  });

  it("accepts what the operator's WEBHOOK_ALLOWED_NETWORKS allows, and a name without resolving it", async () => {
    expect((await send(allowing, 'POST', '/v1/webhooks', 'http://127.0.0.1:8080/hook')).statusCode).toBe(201);
    expect((await send(allowing, 'POST', '/v1/webhooks', 'http://localhost:8080/hook')).statusCode).toBe(201);
    expect((await send(allowing, 'POST', '/v1/webhooks', 'http://10.1.2.3/hook')).json().error.code).toBe('WEBHOOK_URL_FORBIDDEN');
    // A name is judged when a delivery connects (after DNS): saving it resolves nothing.
    expect((await send(strict, 'POST', '/v1/webhooks', 'http://nao-existe.invalid/hook')).statusCode).toBe(201);
  });
});
