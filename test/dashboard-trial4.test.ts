import { parseAddressAllowlist } from '@integrador/connections';
import { normalizePhone } from '@integrador/cti';
import { runRefusalMessage } from '@integrador/integrador';
import { createFilial, createOperador, createServicoEndpoint, issueApiKey, setPermitirRedePrivada } from '@integrador/store';
import { launchBrowser } from '@integrador/test-support/browser';
import { type JsonEndpointServer, startJsonEndpoint } from '@integrador/test-support/json-endpoint';
import { CONTATO_EXEMPLO } from '@integrador/test-support/seed-003';
import { createEndpoint, DEFAULT_WEBHOOK_SETTINGS, EndpointFlowControl } from '@integrador/webhooks';
import type { Browser, Page } from 'playwright-core';
import { DashboardHarness, PASSWORD } from './support/dashboard-harness';

/** This suite's assigned ports: the ingress with the dashboard, and the customer's JSON endpoint / webhook receiver. */
const INGRESS_PORT = 3120;
const ENDPOINT_PORT = 3121;
/** WEBHOOK_ALLOWED_NETWORKS of the ingress: the receiver listens on loopback. */
const LOOPBACK = ['127.0.0.1/32'];

/**
 * Trial 4's dashboard findings: no Validar / Sincronizar on the endpoint services page, no Testar nor circuit state on
 * the webhooks page, empresa / integração filters typed as numbers, and a click-to-call to an extension left
 * "em andamento" for hours with nothing saying why it closed.
 */
describe('dashboard: the API’s actions on the pages (trial 4)', () => {
  const h = new DashboardHarness();
  let browser: Browser;
  let json: JsonEndpointServer;
  const ids = { ok: 0, inativo: 0, bloqueado: 0, deB: 0, hookOk: 0, hookQuebrado: 0, hookB: 0 };

  beforeAll(async () => {
    json = await startJsonEndpoint(ENDPOINT_PORT);
    json.routes.set('/contatos', { body: [CONTATO_EXEMPLO] });
    json.routes.set('/hook', { body: {} });
    await Promise.all([h.start({ port: INGRESS_PORT, webhookAllowedNetworks: LOOPBACK }), launchBrowser().then((b) => (browser = b))]);
    const db = h.database;
    const service = async (empresaId: number, nome: string, ativo: boolean, path = '/contatos') =>
      (
        await createServicoEndpoint(
          db,
          { empresaId, filialId: null },
          {
            nome,
            urlBase: json.url,
            autenticacao: 'nenhuma',
            usuario: null,
            segredoRef: null,
            ativo,
            eventos: [{ tipo: 'contato', url: `${json.url}${path}` }],
          },
        )
      ).id;
    ids.ok = await service(h.empresaA, 'Contatos A', true);
    ids.inativo = await service(h.empresaA, 'Inativo A', false);
    ids.bloqueado = await service(h.empresaA, 'Sem rede privada A', true);
    ids.deB = await service(h.empresaB, 'Contatos B', true);
    // An operator's decision (integrador endpoints private-network): the fake endpoint listens on loopback.
    for (const [empresaId, id] of [
      [h.empresaA, ids.ok],
      [h.empresaA, ids.inativo],
      [h.empresaB, ids.deB],
    ] as const)
      await setPermitirRedePrivada(db.db, empresaId, id, true);
    // An operator of tenant A who reads the dashboard in English (operadores.idioma): form actions answer in it too.
    await createOperador(db.db, {
      login: 'opa-en',
      nome: 'opa-en',
      senha: PASSWORD,
      papel: 'operador',
      empresas: [h.empresaA],
      fusoHorario: 'America/Sao_Paulo',
      idioma: 'en',
    });
    const hook = async (empresaId: number, nome: string, path: string) =>
      (
        await createEndpoint(
          db.db,
          { ...DEFAULT_WEBHOOK_SETTINGS, allowlist: parseAddressAllowlist(LOOPBACK) },
          { empresaId, filialId: null },
          { nome, url: `${json.url}${path}`, gatilhos: ['contato.criado'] },
        )
      ).id;
    ids.hookOk = await hook(h.empresaA, 'Hook A', '/hook');
    ids.hookQuebrado = await hook(h.empresaA, 'Hook A quebrado', '/nao-existe');
    ids.hookB = await hook(h.empresaB, 'Hook B', '/hook-b');
  }, 240000);

  afterAll(async () => {
    await browser?.close();
    await h.close();
    await json?.close();
  });

  function loginAs(login: string, lang = 'pt-BR'): Promise<Page> {
    return h.browserLogin(browser, login, { locale: lang, timezoneId: 'America/Sao_Paulo' });
  }

  const asKeyA = () => ({ authorization: `Bearer ${h.keyA}`, 'accept-language': 'pt-BR' });
  const v1 = (method: 'GET' | 'POST', url: string) =>
    h.app.inject({ method, url, headers: { authorization: `Bearer ${h.keyA}`, 'accept-language': 'pt-BR' } });
  const audit = async (acao: string) =>
    (await h.database.db.selectFrom('auditoria_acoes').select(['empresa_id', 'alvo', 'autor']).where('acao', '=', acao).execute()).map(
      (r) => ({ ...r, empresa_id: Number(r.empresa_id) }),
    );
  const getJobs = async () => (await h.producer.queue('get').getJobs(['waiting', 'delayed', 'prioritized', 'active'])).filter(Boolean);
  const flash = (page: Page) => page.locator('.flash').innerText();
  const row = (page: Page, id: number) => page.locator(`tr[data-servico="${id}"]`);

  it('Validar on a service shows the engine’s verdict per event type, as POST /v1/endpoints/:id/validate gives it', async () => {
    const page = await loginAs('opa');
    await page.goto(`${h.url}/dashboard/servicos`);
    await row(page, ids.ok).locator('button:has-text("Validar")').click();
    await page.waitForSelector('#validacao');
    expect(await flash(page)).toBe(`Validação do serviço #${ids.ok}: tudo certo.`);
    const expected = (await v1('POST', `/v1/endpoints/${ids.ok}/validate`)).json();
    expect(expected.ok).toBe(true);
    const item = page.locator(`#validacao[data-servico="${ids.ok}"] li[data-tipo=contato]`);
    expect(await item.getAttribute('class')).toBe('concluido');
    expect(await item.innerText()).toContain(expected.eventos[0].message);

    // A service whose endpoint the outbound guard refuses (loopback without the operator's permission): the refusal
    // in the engine's words, beside that service only.
    await row(page, ids.bloqueado).locator('button:has-text("Validar")').click();
    await page.waitForSelector(`#validacao[data-servico="${ids.bloqueado}"]`);
    expect(await flash(page)).toBe(`Validação do serviço #${ids.bloqueado}: há o que corrigir (abaixo).`);
    const refused = (await v1('POST', `/v1/endpoints/${ids.bloqueado}/validate`)).json();
    expect(refused.ok).toBe(false);
    const bad = page.locator(`#validacao li[data-tipo=contato]`);
    expect(await bad.getAttribute('class')).toBe('falhou');
    expect(await bad.innerText()).toContain(refused.eventos[0].message);
    expect(await page.locator('#validacao').count()).toBe(1);
    expect(await audit('endpoint-validate')).toEqual(
      expect.arrayContaining([{ empresa_id: h.empresaA, alvo: `servico/${ids.ok}`, autor: 'opa' }]),
    );
  }, 120000);

  it('Sincronizar enqueues endpoint.sync as the API does; an inactive service is refused in the engine’s words (pt-BR / en)', async () => {
    const page = await loginAs('opa');
    await page.goto(`${h.url}/dashboard/servicos`);
    await row(page, ids.ok).locator('button:has-text("Sincronizar")').click();
    await page.waitForURL(/sincronizado=/);
    const text = await flash(page);
    const jobId = /job get\/(\S+)\)\.$/.exec(text)?.[1] ?? '';
    expect(text).toBe(`Sincronização do serviço #${ids.ok} enfileirada (job get/${jobId}).`);
    const job = await h.producer.getJob('get', jobId);
    expect(job?.name).toBe('endpoint.sync');
    expect(job?.data).toMatchObject({ tenant: { empresaId: h.empresaA, filialId: null }, servicoId: ids.ok });
    expect(await audit('endpoint-sync')).toEqual([{ empresa_id: h.empresaA, alvo: `servico/${ids.ok} → get/${jobId}`, autor: 'opa' }]);

    const before = (await getJobs()).length;
    await row(page, ids.inativo).locator('button:has-text("Sincronizar")').click();
    await page.waitForSelector('.flash.err');
    const words = runRefusalMessage('pt-BR', { code: 'SERVICE_INACTIVE', params: { id: String(ids.inativo) } });
    expect(await flash(page)).toBe(`O serviço de endpoint #${ids.inativo} está inativo; nada foi enfileirado.`);
    expect(words).toBe(`o serviço de endpoint #${ids.inativo} está inativo; nada foi enfileirado`);
    // The API refuses it alike (one rule: admitEndpointSync).
    const api = await v1('POST', `/v1/endpoints/${ids.inativo}/sync`);
    expect(api.statusCode).toBe(409);
    expect(api.json().error.message).toBe(words);
    expect((await getJobs()).length).toBe(before);

    const en = await loginAs('opa-en');
    await en.goto(`${h.url}/dashboard/servicos`);
    await row(en, ids.inativo).locator('button:has-text("Sync")').click();
    await en.waitForSelector('.flash.err');
    expect(await flash(en)).toBe(`Endpoint service #${ids.inativo} is inactive; nothing was enqueued.`);
  }, 120000);

  it('another tenant’s services are neither shown nor validated nor synced; a leitor sees no button; CSRF is required', async () => {
    const { cookie, csrf } = await h.login('opb');
    const page = await h.app.inject({ url: '/dashboard/servicos', headers: { cookie } });
    expect(page.body).toContain('Contatos B');
    expect(page.body).not.toContain('Contatos A');
    const requestsBefore = json.requests.length;
    const jobsBefore = (await getJobs()).length;
    for (const action of ['servico-validar', 'servico-sincronizar'])
      for (const empresa of [h.empresaA, h.empresaB]) {
        const answer = await h.app.inject({
          method: 'POST',
          url: `/dashboard/acoes/${action}`,
          headers: { cookie },
          payload: { _csrf: csrf, empresa: String(empresa), servico: String(ids.ok) },
        });
        expect(answer.statusCode).toBe(404);
      }
    expect(json.requests.length).toBe(requestsBefore);
    expect((await getJobs()).length).toBe(jobsBefore);
    // The same post by the service's own tenant goes through: the 404s above are the wall, not a missing route.
    const owner = await h.login('opa');
    const allowed = await h.app.inject({
      method: 'POST',
      url: '/dashboard/acoes/servico-validar',
      headers: { cookie: owner.cookie },
      payload: { _csrf: owner.csrf, empresa: String(h.empresaA), servico: String(ids.ok) },
    });
    expect(allowed.statusCode).toBe(200);
    expect(allowed.body).toContain(`id="validacao" data-servico="${ids.ok}"`);
    expect(json.requests.length).toBe(requestsBefore + 1);
    expect((await audit('endpoint-sync')).some((r) => r.autor === 'opb')).toBe(false);
    expect((await audit('endpoint-validate')).some((r) => r.autor === 'opb')).toBe(false);

    const noCsrf = await h.app.inject({
      method: 'POST',
      url: '/dashboard/acoes/servico-sincronizar',
      headers: { cookie },
      payload: { empresa: String(h.empresaB), servico: String(ids.deB) },
    });
    expect(noCsrf.statusCode).toBe(403);
    const leitora = await h.login('leitora');
    const readOnly = await h.app.inject({ url: '/dashboard/servicos', headers: { cookie: leitora.cookie } });
    expect(readOnly.body).toContain('Contatos A');
    expect(readOnly.body).not.toContain('servico-validar');
    const refused = await h.app.inject({
      method: 'POST',
      url: '/dashboard/acoes/servico-validar',
      headers: { cookie: leitora.cookie },
      payload: { _csrf: leitora.csrf, empresa: String(h.empresaA), servico: String(ids.ok) },
    });
    expect(refused.statusCode).toBe(403);
  }, 120000);

  it('a filial API key on the services page sees its filial’s and the empresa’s services, never another filial’s', async () => {
    const db = h.database;
    const [matriz, outra] = [await createFilial(db.db, h.empresaA, 'Matriz'), await createFilial(db.db, h.empresaA, 'Outra')];
    const ofFilial = async (filialId: number, nome: string) =>
      (
        await createServicoEndpoint(
          db,
          { empresaId: h.empresaA, filialId },
          {
            nome,
            urlBase: json.url,
            autenticacao: 'nenhuma',
            usuario: null,
            segredoRef: null,
            ativo: true,
            eventos: [{ tipo: 'contato', url: `${json.url}/contatos` }],
          },
        )
      ).id;
    const own = await ofFilial(matriz, 'Serviço da Matriz');
    const other = await ofFilial(outra, 'Serviço da Outra');
    // The empresa's own key sees both filiais' services: the wall below is the filial's, not a missing row.
    const whole = await h.app.inject({ url: '/dashboard/servicos', headers: asKeyA() });
    expect(whole.body).toContain(`data-servico="${other}"`);
    const key = await issueApiKey(db.db, h.empresaA, matriz, 'matriz');
    const page = await h.app.inject({
      url: '/dashboard/servicos',
      headers: { authorization: `Bearer ${key}`, 'accept-language': 'pt-BR' },
    });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`data-servico="${own}"`);
    expect(page.body).toContain(`data-servico="${ids.ok}"`);
    expect(page.body).not.toContain(`data-servico="${other}"`);
    expect(page.body).not.toContain('Serviço da Outra');
  }, 120000);

  it('the webhooks page shows each endpoint’s circuit and tests it (Testar) in the engine’s words; another tenant’s is a 404', async () => {
    // The worker's flow control opens the broken endpoint's circuit after WEBHOOK_BREAKER_FAILURES failures in a row.
    const flow = new EndpointFlowControl(h.redis, h.prefix, { ...DEFAULT_WEBHOOK_SETTINGS, leaseMs: 20000 });
    for (let i = 0; i < DEFAULT_WEBHOOK_SETTINGS.breakerFailures; i++) await flow.failed(ids.hookQuebrado, `m${i}`);

    const page = await loginAs('opa');
    await page.goto(`${h.url}/dashboard/webhooks`);
    const circuit = (id: number) => page.locator(`section[data-endpoint="${id}"] .circuito`);
    expect(await circuit(ids.hookOk).getAttribute('data-estado')).toBe('fechado');
    expect(await circuit(ids.hookOk).innerText()).toBe('Circuito: fechado');
    expect(await circuit(ids.hookQuebrado).getAttribute('data-estado')).toBe('aberto');
    expect(await circuit(ids.hookQuebrado).innerText()).toMatch(
      new RegExp(`^Circuito: aberto até \\d\\d/\\d\\d/\\d{4}, [\\d:]+ · ${DEFAULT_WEBHOOK_SETTINGS.breakerFailures} falhas seguidas$`),
    );
    const api = await h.app.inject({ url: '/dashboard/api/webhooks', headers: asKeyA() });
    const byId = new Map((api.json().items as Array<{ id: number; circuito: unknown }>).map((e) => [e.id, e.circuito]));
    expect(byId.get(ids.hookQuebrado)).toMatchObject({ estado: 'aberto', aberto: true });
    expect(byId.get(ids.hookOk)).toEqual({ estado: 'fechado', aberto: false, ate: null, falhasSeguidas: 0 });

    await page.locator(`section[data-endpoint="${ids.hookOk}"] button.testar`).click();
    await page.waitForSelector('.flash');
    expect(await flash(page)).toMatch(new RegExp(`^Teste do endpoint #${ids.hookOk}: .*200`));
    const sent = json.requests.filter((r) => r.path === '/hook');
    expect(sent).toHaveLength(1);
    // The POST answers with a 303 to the page, which words the outcome: a reload sends no second sample, audits nothing.
    expect(new URL(page.url()).searchParams.get('testado')).toBe(String(ids.hookOk));
    const audited = (await audit('webhook-test')).length;
    await page.reload();
    expect(await flash(page)).toMatch(new RegExp(`^Teste do endpoint #${ids.hookOk}: .*200`));
    expect(json.requests.filter((r) => r.path === '/hook')).toHaveLength(1);
    expect(await audit('webhook-test')).toHaveLength(audited);
    const english = await page.goto(`${page.url()}&lang=en`);
    expect(await english?.text()).toMatch(new RegExp(`Test of endpoint #${ids.hookOk}: [^<]*200`));
    await page.locator(`section[data-endpoint="${ids.hookQuebrado}"] button.testar`).click();
    await page.waitForSelector('.flash.err');
    // The English chosen above is kept for the next action's page (F15: the choice survives navigation).
    expect(await flash(page)).toMatch(new RegExp(`^Test of endpoint #${ids.hookQuebrado} failed: .*404`));
    expect(await audit('webhook-test')).toEqual(
      expect.arrayContaining([
        { empresa_id: h.empresaA, alvo: `webhook/${ids.hookOk}`, autor: 'opa' },
        { empresa_id: h.empresaA, alvo: `webhook/${ids.hookQuebrado}`, autor: 'opa' },
      ]),
    );

    // Another tenant's operator, with A's endpoint under either empresa: 404, nothing sent.
    const { cookie, csrf } = await h.login('opb');
    const before = json.requests.length;
    for (const empresa of [h.empresaA, h.empresaB]) {
      const answer = await h.app.inject({
        method: 'POST',
        url: '/dashboard/acoes/webhook-testar',
        headers: { cookie },
        payload: { _csrf: csrf, empresa: String(empresa), endpoint: String(ids.hookOk) },
      });
      expect(answer.statusCode).toBe(404);
    }
    expect(json.requests.length).toBe(before);
    const pageB = await h.app.inject({ url: `/dashboard/webhooks?empresa=${h.empresaA}`, headers: { cookie } });
    expect(pageB.body).not.toContain('Hook A');
  }, 120000);

  it('filters by empresa and integração from lists of names the operator may see, keeping ?empresa=<id> links', async () => {
    const { id: segredoB } = await h.database.db
      .insertInto('integracao')
      .values({ nome: 'Integração secreta B', tipo_servico: 'GET', ativo: 1, empresa_id: h.empresaB, empresa_filial_id: null })
      .returning('id')
      .executeTakeFirstOrThrow();
    const admin = await loginAs('admin');
    await admin.goto(`${h.url}/dashboard/falhas`);
    const options = (name: string) =>
      admin.locator(`form.filters select[name=${name}] option`).evaluateAll((os) => os.map((o) => o.textContent ?? ''));
    expect(await options('empresa')).toEqual(expect.arrayContaining([`Empresa B (#${h.empresaB})`]));
    expect(await options('integracao')).toEqual(['todas']);
    // Choosing an empresa lists its integrações (the page reloads with ?empresa=<id>).
    await admin.selectOption('form.filters select[name=empresa]', String(h.empresaB));
    await admin.waitForURL(new RegExp(`empresa=${h.empresaB}`));
    expect(await options('integracao')).toEqual(['todas', `Integração secreta B (#${segredoB})`]);
    await admin.selectOption('form.filters select[name=integracao]', String(segredoB));
    await admin.click('button:has-text("Filtrar")');
    await admin.waitForURL(new RegExp(`integracao=${segredoB}`));
    expect(new URL(admin.url()).searchParams.get('empresa')).toBe(String(h.empresaB));

    // An operador sees its own empresa only, and its integrações without choosing; a link naming another empresa is a
    // 404 page (as the API and the retry form answer it), naming nothing of it.
    const opa = await loginAs('opa');
    await opa.goto(`${h.url}/dashboard/falhas`);
    const opaOptions = (name: string) =>
      opa.locator(`form.filters select[name=${name}] option`).evaluateAll((os) => os.map((o) => o.textContent ?? ''));
    expect(await opaOptions('empresa')).toEqual(['todas', expect.stringMatching(new RegExp(`\\(#${h.empresaA}\\)$`))]);
    expect(await opaOptions('integracao')).toContain('SET-WS-CONTAS (#19)');
    const other = await opa.goto(`${h.url}/dashboard/falhas?empresa=${h.empresaB}`);
    expect(other?.status()).toBe(404);
    expect(await opa.content()).not.toContain('Integração secreta B');
    expect(await opa.content()).not.toContain('Empresa B');
  }, 120000);

  it('a click-to-call to an extension the hub closed shows why in the call log (pt-BR / en)', async () => {
    // As worker-cti's sweep leaves it (closeStaleExtensionCalls): an outbound row whose number is an extension.
    await h.database.db
      .insertInto('ligacoes')
      .values({
        empresa_id: h.empresaA,
        ramal: '201',
        telefone: '202',
        chave_telefone: normalizePhone('202').key,
        direcao: 'saida',
        status: 'ramal sem fim',
        inicio: new Date(),
        sem_inicio: 0,
        evento_id: 'c2c-ramal-202',
      })
      .execute();
    const pt = await loginAs('opa');
    await pt.goto(`${h.url}/dashboard/ligacoes`);
    const cell = async (page: Page) => page.locator('#ligacoes tr', { hasText: '202' }).locator('td').nth(4).innerText();
    expect(await cell(pt)).toMatch(
      /^ramal sem fim\nencerrada pelo hub: ligação para um ramal interno ainda em andamento após CTI_EXTENSION_CALL_TIMEOUT_MS/,
    );
    const en = await loginAs('opa-en');
    await en.goto(`${h.url}/dashboard/ligacoes`);
    expect(await cell(en)).toMatch(/^extension, no end\nended by the hub: a call to an internal extension still in progress/);
    const { cookie } = await h.login('opb');
    const other = await h.app.inject({ url: `/dashboard/ligacoes?empresa=${h.empresaA}`, headers: { cookie } });
    expect(other.body).not.toContain('ramal sem fim');
  }, 120000);
});
