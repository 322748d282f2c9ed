import { launchBrowser } from '@integrador/test-support/browser';
import type { Browser, Page } from 'playwright-core';
import { seniorG5ConnectionsYaml } from './fixtures/senior-g5';
import { CONTA } from './fixtures/set-ws-contas';
import { DashboardHarness, WRONG_ERP_PASSWORD } from './support/dashboard-harness';

/** A database password the connections file holds: never in a page, flash, audit row or answer. */
const ERP_SECRET = 'senha-secreta-do-erp-d4';

/** The connections file: Senior G5's entry and three database entries of the tests' own (see each row below). */
const connectionsYaml = (erpUrl: string, password: string) =>
  [
    seniorG5ConnectionsYaml(erpUrl, { password }),
    // Loopback without allowPrivateNetwork: the outbound guard refuses it before any driver connects.
    '  erp_guarded:',
    '    tipo: database',
    '    driver: postgres',
    '    host: 127.0.0.1',
    '    port: 5432',
    '    database: erp',
    '    user: erp',
    `    password: ${ERP_SECRET}`,
    // Reached (the shared PostgreSQL), but with a role it does not have: the login step fails.
    '  erp_login:',
    '    tipo: database',
    '    driver: postgres',
    '    host: 127.0.0.1',
    '    port: 5432',
    '    database: postgres',
    '    user: usuario_inexistente_d4',
    `    password: ${ERP_SECRET}`,
    '    allowPrivateNetwork: true',
    // The file keeps it for an empresa that is neither tenant's.
    '  erp_alheia:',
    '    tipo: database',
    '    driver: postgres',
    '    host: 127.0.0.1',
    '    database: erp',
    '    empresaId: 999999',
    '    allowPrivateNetwork: true',
    // Tenant B's row names it.
    '  erp_b:',
    '    tipo: database',
    '    driver: postgres',
    '    host: 127.0.0.1',
    '    database: erp',
    '    allowPrivateNetwork: true',
  ].join('\n');

/** conexao_integracao ids of the rows below (seed row 3, senior_g5, is tenant A's too). */
const ROW = { guarded: 901, login: 902, alheia: 903, deB: 904 } as const;

/**
 * The operators' dashboard leftovers of the fourth round: the grouped failures paged as the list is, an admin's search
 * by a customer's name over every tenant said bounded, and "Testar conexão" on the connections page — each with
 * another tenant's eyes and ids.
 */
describe('dashboard: grouped failures paged, customer search bounded, connection test', () => {
  const h = new DashboardHarness();
  let browser: Browser;

  beforeAll(async () => {
    await Promise.all([h.start({ connectionsYaml }), launchBrowser().then((b) => (browser = b))]);
    await h.database.db
      .insertInto('conexao_integracao')
      .values([
        { id: ROW.guarded, tipo_conexao: 'banco de dados', nome_conexao: 'erp_guarded', empresa_id: h.empresaA },
        { id: ROW.login, tipo_conexao: 'banco de dados', nome_conexao: 'erp_login', empresa_id: h.empresaA },
        { id: ROW.alheia, tipo_conexao: 'banco de dados', nome_conexao: 'erp_alheia', empresa_id: h.empresaA },
        { id: ROW.deB, tipo_conexao: 'banco de dados', nome_conexao: 'erp_b', empresa_id: h.empresaB },
      ])
      .execute();
  }, 240000);

  afterAll(async () => {
    await browser?.close();
    await h.close();
  });

  /** The group keys a grouped failures page lists, in its order. */
  const groupKeys = (page: Page) => page.locator('tr[data-grupo]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-grupo')));

  it('grouped failures: a page of groups at a time, as the list pages its rows, saying when more groups follow', async () => {
    // 60 integrations failing the same way: 60 groups of tenant A, more than one page (50).
    const groups = Array.from({ length: 60 }, (_, i) => 7000 + i);
    for (const integracaoId of groups) await h.recordSetJob(`grp-${integracaoId}`, { integracaoId });
    const expected = groups.map((id) => `${h.empresaA}/${id}/RECEPTOR_ERROR`);

    const page = await h.browserLogin(browser, 'opa');
    await page.goto(`${h.url}/dashboard/falhas`);
    await page.check('form.filters input[name=agrupar]');
    await Promise.all([page.waitForURL(/agrupar=1/), page.click('form.filters button[type=submit]')]);
    const first = await groupKeys(page);
    expect(first).toHaveLength(50);
    // Cut groups are said above the table, with the range shown, and the next page is a link away.
    const notice = await page.locator('#mais-grupos').innerText();
    expect(notice).toContain('Há mais grupos');
    expect(notice).toContain('1–50');
    expect(await page.locator('#grupos').innerText()).toBe('50 grupos nesta página');
    const next = page.locator('a[rel=next]').first();
    expect(await next.getAttribute('href')).toMatch(/agrupar=1.*offset=50/);
    await Promise.all([page.waitForURL(/offset=50/), next.click()]);
    const second = await groupKeys(page);
    // The newest seen first: page two goes on where page one stopped, none repeated, none skipped.
    expect(second.length).toBeGreaterThanOrEqual(10);
    expect(second.filter((key) => first.includes(key))).toEqual([]);
    expect([...first, ...second].filter((key) => key !== null && expected.includes(key)).sort()).toEqual([...expected].sort());
    expect(await page.locator('#mais-grupos').count()).toBe(0);
    expect(await page.locator('a[rel=next]').count()).toBe(0);
    expect(await page.locator('a[rel=prev]').first().getAttribute('href')).toMatch(/agrupar=1.*offset=0/);
    // Still grouped on page two: a group's box and its runs' link, no single run.
    expect(await page.locator('tr[data-job]').count()).toBe(0);
    expect(await page.locator('form.filters input[name=agrupar]').isChecked()).toBe(true);
    await page.context().close();

    // Tenant B's operator: none of tenant A's groups, on any page.
    const b = await h.login('opb');
    for (const offset of [0, 50]) {
      const answer = await h.app.inject({ url: `/dashboard/falhas?agrupar=1&offset=${offset}`, headers: { cookie: b.cookie } });
      expect(answer.statusCode).toBe(200);
      expect(answer.body).not.toContain(`data-grupo="${h.empresaA}/`);
    }
    // A page that is not a number is refused, naming the field.
    const bad = await h.app.inject({ url: '/dashboard/falhas?agrupar=1&offset=dois', headers: { cookie: b.cookie } });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('offset');
  }, 120000);

  it('an admin’s search by a customer’s name over every tenant says it needs an empresa; with one, it finds the customer', async () => {
    await h.database.db
      .insertInto('contas')
      .values({ ...CONTA, id: 8077, empresa_id: h.empresaA, nome: 'Joaquina Comércio de Pães', fantasia: null, cnpj: '55.444.333/0001-22' })
      .execute();
    await h.recordSetJob('d4-joaquina', { parametros: { contaId: '8077' } });

    const page = await h.browserLogin(browser, 'admin');
    await page.goto(`${h.url}/dashboard/falhas?q=${encodeURIComponent('joaquina comercio')}`);
    expect(await page.locator('#busca-clientes').innerText()).toContain('escolha a empresa no filtro');
    expect(await page.locator('tr[data-job="set/d4-joaquina"]').count()).toBe(0);
    // The empresa chosen: the customer's failure, and nothing more to say.
    await page.selectOption('form.filters select[name=empresa]', String(h.empresaA));
    await Promise.all([page.waitForURL(/empresa=/), page.click('form.filters button[type=submit]')]);
    expect(await page.locator('tr[data-job="set/d4-joaquina"]').count()).toBe(1);
    expect(await page.locator('#busca-clientes').count()).toBe(0);
    await page.context().close();

    // The JSON search says the same to a script, in one field.
    const admin = await h.login('admin');
    const all = await h.app.inject({ url: '/dashboard/api/jobs?q=55.444.333%2F0001-22', headers: { cookie: admin.cookie } });
    expect(all.json()).toMatchObject({ customerSearchNeedsEmpresa: true, items: [] });
    const one = await h.app.inject({
      url: `/dashboard/api/jobs?q=55.444.333%2F0001-22&empresa=${h.empresaA}`,
      headers: { cookie: admin.cookie },
    });
    expect(one.json().customerSearchNeedsEmpresa).toBe(false);
    expect(one.json().items.map((i: { job_id: string }) => i.job_id)).toEqual(['d4-joaquina']);
    // An operator's search is within their own tenants already: nothing to say, and tenant B never finds A's customer.
    const b = await h.login('opb');
    const fromB = await h.app.inject({ url: '/dashboard/api/jobs?q=joaquina', headers: { cookie: b.cookie } });
    expect(fromB.json()).toMatchObject({ customerSearchNeedsEmpresa: false, items: [] });
  }, 120000);

  /** The connections page's row of a conexao_integracao id. */
  const row = (page: Page, id: number) => page.locator(`tr[data-conexao="${id}"]`);

  /** "Testar conexão" posted as its form does, by a logged-in operator (`query`: e.g. ?lang=en). */
  const postTest = (who: { cookie: string; csrf: string }, empresa: number, conexao: string | number, query = '') =>
    h.app.inject({
      method: 'POST',
      url: `/dashboard/acoes/conexao-testar${query}`,
      headers: { cookie: who.cookie },
      payload: { _csrf: who.csrf, empresa: String(empresa), conexao: String(conexao) },
    });

  async function testRow(page: Page, id: number): Promise<string> {
    await Promise.all([page.waitForURL(/acoes\/conexao-testar/), row(page, id).locator('button').click()]);
    return page.locator('.flash').innerText();
  }

  it('Testar conexão: the engine’s test of the tenant’s connection, through the outbound guard, worded, with no secret', async () => {
    const page = await h.browserLogin(browser, 'opa');
    await page.goto(`${h.url}/dashboard`);
    await Promise.all([page.waitForURL(/\/dashboard\/conexoes$/), page.click('header a[href="/dashboard/conexoes"]')]);
    // Tenant A's connections (its rows), with the integrações on each; never tenant B's.
    expect(await row(page, 3).locator('td').nth(1).innerText()).toBe('senior_g5');
    expect(await row(page, 3).innerText()).toContain('SET-WS-CONTAS (#19)');
    expect(await row(page, ROW.alheia).innerText()).toContain('restrita a outra empresa');
    expect(await row(page, ROW.deB).count()).toBe(0);

    // The ERP double answers, but the harness's file holds a wrong password: the login step says so, as a push would.
    expect(await testRow(page, 3)).toContain(
      'A conexão "senior_g5" falhou: o ERP recusou o login da conexão senior_g5: confira o usuário e a senha',
    );
    expect(await page.locator('#teste-conexao[data-conexao="3"] li[data-passo=reachability]').getAttribute('class')).toBe('concluido');
    expect(await page.locator('#teste-conexao[data-conexao="3"] li.falhou').getAttribute('data-passo')).toBe('login');

    // Loopback the entry does not open: the outbound guard's refusal, worded, before any driver connects.
    expect(await testRow(page, ROW.guarded)).toContain('A conexão "erp_guarded" falhou');
    const refused = page.locator(`#teste-conexao[data-conexao="${ROW.guarded}"] li`);
    expect(await refused.count()).toBe(1);
    expect(await refused.getAttribute('data-passo')).toBe('reachability');
    expect(await refused.innerText()).toContain('allowPrivateNetwork');
    expect(await page.content()).not.toContain(ERP_SECRET);

    // Reached, but the login refused: which step, said in pt-BR; the password the file holds appears nowhere.
    expect(await testRow(page, ROW.login)).toContain('A conexão "erp_login" falhou');
    expect(await page.locator(`#teste-conexao[data-conexao="${ROW.login}"] li[data-passo=reachability]`).getAttribute('class')).toBe(
      'concluido',
    );
    expect(await page.locator(`#teste-conexao[data-conexao="${ROW.login}"] li.falhou`).getAttribute('data-passo')).toBe('login');
    expect(await page.content()).not.toContain(ERP_SECRET);

    // An entry the file keeps for another empresa: refused by the engine's rule, naming no empresa, nothing tested.
    const alheia = await testRow(page, ROW.alheia);
    expect(alheia).toContain('restrita a outra empresa');
    expect(alheia).not.toContain('999999');
    expect(await page.locator('#teste-conexao').count()).toBe(0);
    await page.context().close();

    // In English when the operator reads English.
    const opa = await h.login('opa');
    const en = await postTest(opa, h.empresaA, ROW.login, '?lang=en');
    expect(en.statusCode).toBe(200);
    expect(en.body).toContain('Connection &quot;erp_login&quot; failed: the database refused the login');
    expect(en.body).not.toContain(ERP_SECRET);

    // Each test is in the audit log, as the tenant's, with its outcome and no secret.
    const audited = await h.database.db
      .selectFrom('auditoria_acoes')
      .select(['empresa_id', 'alvo', 'autor', 'detalhe'])
      .where('acao', '=', 'connection-test')
      .execute();
    expect(audited.map((a) => a.alvo)).toEqual(
      expect.arrayContaining(['conexao/3 (senior_g5)', `conexao/${ROW.guarded} (erp_guarded)`, `conexao/${ROW.login} (erp_login)`]),
    );
    expect(audited.every((a) => Number(a.empresa_id) === h.empresaA && a.autor === 'opa')).toBe(true);
    expect(JSON.stringify(audited)).not.toContain(ERP_SECRET);
    expect(JSON.stringify(audited)).not.toContain(WRONG_ERP_PASSWORD);
    const senior = audited.find((a) => a.alvo === 'conexao/3 (senior_g5)')?.detalhe;
    expect(typeof senior === 'string' ? JSON.parse(senior) : senior).toEqual({ ok: false, codigo: 'RECEPTOR_LOGIN_REFUSED' });
  }, 120000);

  it('Testar conexão: another tenant’s connection id is not found, a leitor has no button, a bad id is a 400', async () => {
    const before = await h.database.db.selectFrom('auditoria_acoes').select('id').where('acao', '=', 'connection-test').execute();
    const b = await h.login('opb');
    // Tenant B: A's rows under either empresa id, never tested; its own page lists only its own row.
    for (const [empresa, conexao] of [
      [h.empresaA, 3],
      [h.empresaB, 3],
      [h.empresaB, ROW.guarded],
    ] as const)
      expect((await postTest(b, empresa, conexao)).statusCode).toBe(404);
    const pageB = await h.app.inject({ url: '/dashboard/conexoes', headers: { cookie: b.cookie } });
    expect(pageB.body).toContain(`data-conexao="${ROW.deB}"`);
    expect(pageB.body).not.toContain('data-conexao="3"');
    expect(pageB.body).not.toContain('senior_g5');
    // Tenant A: B's row, under A's empresa id, is not found either.
    const a = await h.login('opa');
    expect((await postTest(a, h.empresaA, ROW.deB)).statusCode).toBe(404);
    // The same post of B's own row by B goes through (the 404s above are the wall, not a missing route).
    const own = await postTest(b, h.empresaB, ROW.deB);
    expect(own.statusCode).toBe(200);
    expect(own.body).toContain(`id="teste-conexao" data-conexao="${ROW.deB}"`);

    const leitora = await h.login('leitora');
    const readOnly = await h.app.inject({ url: '/dashboard/conexoes', headers: { cookie: leitora.cookie } });
    expect(readOnly.body).toContain('data-conexao="3"');
    expect(readOnly.body).not.toContain('conexao-testar');
    expect((await postTest(leitora, h.empresaA, 3)).statusCode).toBe(403);

    const bad = await postTest(a, h.empresaA, 'tres');
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('conexao');
    const noCsrf = await h.app.inject({
      method: 'POST',
      url: '/dashboard/acoes/conexao-testar',
      headers: { cookie: a.cookie },
      payload: { empresa: String(h.empresaA), conexao: '3' },
    });
    expect(noCsrf.statusCode).toBe(403);
    // Only B's own test was audited, as B's.
    const after = await h.database.db
      .selectFrom('auditoria_acoes')
      .select(['empresa_id', 'autor'])
      .where('acao', '=', 'connection-test')
      .execute();
    expect(after.length).toBe(before.length + 1);
    expect(after.filter((r) => r.autor === 'opb').map((r) => Number(r.empresa_id))).toEqual([h.empresaB]);
  }, 120000);
});
