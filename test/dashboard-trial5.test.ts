import fs from 'node:fs';
import { reconcileSchedules } from '@integrador/integrador';
import { findJobRecord } from '@integrador/store';
import { launchBrowser } from '@integrador/test-support/browser';
import type { Browser, Page } from 'playwright-core';
import { CONTA } from './fixtures/set-ws-contas';
import { DashboardHarness } from './support/dashboard-harness';

/** The integration the repeated failures (F10) belong to: apart from row 19's, so its groups are the test's own. */
const REPEATING = 4242;

/**
 * The support-operator trial's leftovers: a failure found by the customer's name or CNPJ/CPF as the operator has it
 * (F8), repeated failures of one integration grouped with bulk actions on the group (F10), an empresa filter on the
 * schedules page, and the failures list as CSV — each with another tenant's and another filial's eyes.
 */
describe('dashboard: operator trial leftovers (search by customer, grouped failures, schedules filter, CSV)', () => {
  const h = new DashboardHarness();
  let browser: Browser;
  const filial = { santos: { filialId: 0, key: '' }, campinas: { filialId: 0, key: '' } };

  beforeAll(async () => {
    await Promise.all([h.start(), launchBrowser().then((b) => (browser = b))]);
    filial.santos = await h.filialKey('Santos');
    filial.campinas = await h.filialKey('Campinas');
    const conta = (id: number, empresaId: number, nome: string, cnpj: string, empresaFilialId: number | null = null) => ({
      ...CONTA,
      id,
      empresa_id: empresaId,
      empresa_filial_id: empresaFilialId,
      nome,
      fantasia: null,
      cnpj,
    });
    await h.database.db
      .insertInto('contas')
      .values([
        conta(77, h.empresaA, 'João da Silva Comércio', '98.765.432/0001-10'),
        conta(78, h.empresaA, 'JOÃO FILIAL SANTOS', '11222333000144', filial.santos.filialId),
        // Tenant B's customer with the same CNPJ and a like name: never tenant A's failures, nor B's seen from A.
        conta(1077, h.empresaB, 'João de Outra Empresa', '98765432000110'),
      ])
      .execute();
    await h.recordSetJob('f8-joao', { parametros: { contaId: '77' } });
    await h.recordSetJob('f8-filial', { parametros: { contaId: 78 }, filialId: filial.santos.filialId });
    await h.recordSetJob('f8-pao', { parametros: { contaId: String(CONTA.id) } });
    await h.recordSetJob('f8-b', { empresaId: h.empresaB, parametros: { contaId: 1077 } });
    // Tenant B's own record naming the number 77 (not tenant A's João).
    await h.recordSetJob('f8-b77', { empresaId: h.empresaB, parametros: { contaId: 77 } });
  }, 240000);

  afterAll(async () => {
    await browser?.close();
    await h.close();
  });

  /** The job ids a failures page lists, sorted. */
  const listed = async (page: Page) =>
    (await page.locator('tbody tr[data-job]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-job')))).sort();

  async function search(page: Page, text: string): Promise<string[]> {
    await page.goto(`${h.url}/dashboard/falhas`);
    await page.fill('form.filters input[name=q]', text);
    await Promise.all([page.waitForURL(/\/dashboard\/falhas\?/), page.click('form.filters button[type=submit]')]);
    return listed(page);
  }

  /** The job ids /dashboard/api/jobs finds for a text with a tenant's or filial's API key. */
  async function apiFound(key: string, text: string): Promise<string[]> {
    const answer = await h.app.inject({
      url: `/dashboard/api/jobs?q=${encodeURIComponent(text)}`,
      headers: { authorization: `Bearer ${key}` },
    });
    expect(answer.statusCode).toBe(200);
    return (answer.json().items as Array<{ job_id: string }>).map((i) => i.job_id).sort();
  }

  it('F8: finds a failure by part of the customer’s name, accents and case ignored, or by CNPJ typed either way', async () => {
    const page = await h.browserLogin(browser, 'opa');
    expect(await search(page, 'JOAO')).toEqual(['set/f8-filial', 'set/f8-joao']);
    expect(await page.locator('tr[data-job="set/f8-joao"] .cliente').innerText()).toContain('João da Silva Comércio');
    expect(await search(page, 'joão da silva')).toEqual(['set/f8-joao']);
    expect(await search(page, 'PAO QUENTE')).toEqual(['set/f8-pao']);
    expect(await search(page, '98.765.432/0001-10')).toEqual(['set/f8-joao']);
    expect(await search(page, '98765432000110')).toEqual(['set/f8-joao']);
    expect(await search(page, '11.222.333/0001-44')).toEqual(['set/f8-filial']);
    // The search's hint says so, in the page's language.
    expect(await page.locator('form.filters input[name=q]').getAttribute('title')).toContain('CNPJ/CPF');
    await page.context().close();

    // Tenant B's operator: its own customer with that CNPJ, never tenant A's João nor B's record naming the number 77.
    const b = await h.browserLogin(browser, 'opb');
    expect(await search(b, '98.765.432/0001-10')).toEqual(['set/f8-b']);
    expect(await search(b, 'joao da silva')).toEqual([]);
    await b.context().close();
  });

  it('F8: another tenant’s key, and a filial’s, find only what they may read', async () => {
    expect(await apiFound(h.keyA, 'joao')).toEqual(['f8-filial', 'f8-joao']);
    expect(await apiFound(h.keyB, '98765432000110')).toEqual(['f8-b']);
    expect(await apiFound(h.keyB, 'joao da silva')).toEqual([]);
    // A filial reads its own customers' failures and the empresa-wide ones; a sibling filial not Santos' João.
    expect(await apiFound(filial.santos.key, 'joao')).toEqual(['f8-filial', 'f8-joao']);
    expect(await apiFound(filial.campinas.key, 'joao')).toEqual(['f8-joao']);
    expect(await apiFound(filial.campinas.key, '11222333000144')).toEqual([]);
  });

  /** SET jobs of tenant A failed in BullMQ and recorded with `codigo`, of the REPEATING integration. */
  async function failedJobs(ids: readonly string[], codigo: string): Promise<void> {
    await h.failSetJobs(ids, REPEATING);
    for (const jobId of ids)
      await h.recordSetJob(jobId, {
        integracaoId: REPEATING,
        parametros: { contaId: String(CONTA.id) },
        erro: { classe: 'PermanentError', codigo, mensagem: codigo === 'RECEPTOR_ERROR' ? 'recusado' : 'senha recusada' },
      });
  }

  const stateOf = async (jobId: string) => (await h.producer.getJob('set', jobId))?.getState();

  it('F10: repeated failures of one integration and code are one line; the group opens to its runs and is retried or discarded whole', async () => {
    const repeated = ['rep-1', 'rep-2', 'rep-3', 'rep-4', 'rep-5', 'rep-6'];
    await failedJobs(repeated, 'RECEPTOR_ERROR');
    await failedJobs(['login-1', 'login-2'], 'LOGIN_REFUSED');
    const receptorGroup = `${h.empresaA}/${REPEATING}/RECEPTOR_ERROR`;
    const loginGroup = `${h.empresaA}/${REPEATING}/LOGIN_REFUSED`;

    const page = await h.browserLogin(browser, 'opa');
    await page.goto(`${h.url}/dashboard/falhas`);
    await page.check('form.filters input[name=agrupar]');
    await Promise.all([page.waitForURL(/agrupar=1/), page.click('form.filters button[type=submit]')]);
    const line = page.locator(`tr[data-grupo="${receptorGroup}"]`);
    expect(await line.locator('.ocorrencias').innerText()).toBe('6');
    expect(await line.locator('.primeira').innerText()).toMatch(/\d{2}\/\d{2}\/\d{4}/);
    expect(await line.locator('.ultima').innerText()).toMatch(/\d{2}\/\d{2}\/\d{4}/);
    expect(await page.locator(`tr[data-grupo="${loginGroup}"] .ocorrencias`).innerText()).toBe('2');
    // Row 19's failures (the F8 records) are a group of their own; no single run is a line of the grouped list.
    expect(await page.locator(`tr[data-grupo="${h.empresaA}/19/RECEPTOR_ERROR"] .ocorrencias`).innerText()).toBe('3');
    expect(await page.locator('tr[data-job]').count()).toBe(0);

    // Opening the group lists its six runs, and only them.
    await Promise.all([page.waitForURL(/codigo=RECEPTOR_ERROR/), line.locator('a.abrir-grupo').click()]);
    expect(await listed(page)).toEqual(repeated.map((id) => `set/${id}`).sort());
    expect(await page.locator('form.filters input[name=codigo]').inputValue()).toBe('RECEPTOR_ERROR');
    await page.goBack();

    // Another tenant's operator selecting tenant A's group (a crafted form) changes nothing.
    const b = await h.login('opb');
    const crafted = await h.app.inject({
      method: 'POST',
      url: '/dashboard/acoes/descartar',
      headers: { cookie: b.cookie },
      payload: { _csrf: b.csrf, grupo: loginGroup, confirmado: '1' },
    });
    expect(crafted.statusCode).toBe(302);
    expect(crafted.headers.location).toContain('vazio=1');
    expect(await stateOf('login-1')).toBe('failed');

    // The group's box and "Reprocessar selecionados": asked first, as "retry all" is, then its six runs retried.
    await page.check(`input[name=grupo][value="${receptorGroup}"]`);
    await Promise.all([page.waitForURL(/acoes\/reprocessar/), page.click('#acoes button[name=modo][value=selecao]')]);
    expect(await page.locator('#confirmacao').innerText()).toContain('Reprocessar 6 jobs que falharam');
    await Promise.all([page.waitForURL(/feito=6/), page.click('#confirmar')]);
    expect(await page.locator('.flash').innerText()).toContain('6');
    for (const id of repeated) expect(await stateOf(id)).not.toBe('failed');
    expect((await findJobRecord(h.database.db, 'all', 'set', 'rep-1'))?.estado).toBe('aguardando_retentativa');

    // Discard of a group: asked first, naming its two runs, then both discarded.
    await page.check(`input[name=grupo][value="${loginGroup}"]`);
    await Promise.all([page.waitForURL(/acoes\/descartar/), page.click('#acoes button[value=descartar]')]);
    expect(await page.locator('#primeiros li').count()).toBe(2);
    await Promise.all([page.waitForURL(/feito=2/), page.click('#confirmar')]);
    expect(await stateOf('login-1')).toBeUndefined();
    expect((await findJobRecord(h.database.db, 'all', 'set', 'login-2'))?.estado).toBe('descartado');
    await page.context().close();
  });

  it('schedules: an empresa filter, as the other pages have; another tenant’s empresa is not found', async () => {
    await h.scheduledGet('Agenda da A', '0 6 * * *');
    await h.database.db
      .insertInto('integracao')
      .values({ nome: 'Agenda da B', tipo_servico: 'GET', ativo: 1, empresa_id: h.empresaB, empresa_filial_id: null, cron: '0 7 * * *' })
      .execute();
    await reconcileSchedules(h.database.db, h.producer, { tz: 'America/Sao_Paulo' });

    const page = await h.browserLogin(browser, 'admin');
    await page.goto(`${h.url}/dashboard/agendamentos`);
    expect(await page.locator('section[data-empresa]').count()).toBe(2);
    await page.selectOption('#filtro-empresa select[name=empresa]', String(h.empresaB));
    await Promise.all([page.waitForURL(/empresa=/), page.click('#filtro-empresa button')]);
    expect(await page.locator('section[data-empresa]').evaluateAll((s) => s.map((x) => x.getAttribute('data-empresa')))).toEqual([
      String(h.empresaB),
    ]);
    expect(await page.locator('main').innerText()).toContain('Agenda da B');
    expect(await page.locator('main').innerText()).not.toContain('Agenda da A');
    // Back to every empresa.
    await page.selectOption('#filtro-empresa select[name=empresa]', '');
    await Promise.all([page.waitForURL(/empresa=$/), page.click('#filtro-empresa button')]);
    expect(await page.locator('section[data-empresa]').count()).toBe(2);
    await page.context().close();

    // Tenant A's operator: only its empresa to choose; tenant B's asked for is not found, a malformed one refused.
    const a = await h.login('opa');
    const mine = await h.app.inject({ url: '/dashboard/agendamentos', headers: { cookie: a.cookie } });
    expect(mine.body).not.toContain('Empresa B');
    const other = await h.app.inject({ url: `/dashboard/agendamentos?empresa=${h.empresaB}`, headers: { cookie: a.cookie } });
    expect(other.statusCode).toBe(404);
    expect(other.body).not.toContain('Agenda da B');
    const keyed = await h.app.inject({
      url: `/dashboard/agendamentos?empresa=${h.empresaB}`,
      headers: { authorization: `Bearer ${h.keyA}` },
    });
    expect(keyed.statusCode).toBe(404);
    const bad = await h.app.inject({ url: '/dashboard/agendamentos?empresa=abc', headers: { cookie: a.cookie } });
    expect(bad.statusCode).toBe(400);
  });

  /** A CSV's rows as cells (quoted cells with "" inside, `separator` between them), its BOM left out. */
  function parseCsv(text: string, separator: string): string[][] {
    expect(text.startsWith('\uFEFF')).toBe(true);
    return text
      .slice(1)
      .split('\r\n')
      .filter(Boolean)
      .map((line) => {
        const cells: string[] = [];
        const cell = /"((?:[^"]|"")*)"/gy;
        let at = 0;
        while (at < line.length) {
          cell.lastIndex = at;
          const match = cell.exec(line);
          if (!match) throw new Error(`not a CSV line: ${line}`);
          cells.push((match[1] ?? '').replaceAll('""', '"'));
          at = cell.lastIndex;
          if (at < line.length) expect(line[at]).toBe(separator);
          at++;
        }
        return cells;
      });
  }

  it('CSV: the filtered list downloaded in the page’s language, bound to the tenant and filial, formulas defused', async () => {
    await h.recordSetJob('csv-formula', {
      parametros: { contaId: '77' },
      erro: { classe: 'PermanentError', codigo: 'RECEPTOR_ERROR', mensagem: '=HYPERLINK("http://example.invalid","x")' },
    });
    const page = await h.browserLogin(browser, 'opa');
    await search(page, 'joao');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#exportar-csv')]);
    expect(download.suggestedFilename()).toMatch(/^falhas-\d{8}-\d{4}\.csv$/);
    const rows = parseCsv(fs.readFileSync((await download.path()) as string, 'utf8'), ';');
    expect(rows[0]?.slice(0, 3)).toEqual(['Job', 'Fila', 'Nome do job']);
    expect(rows[0]).toContain('Motivo');
    const byJob = new Map(rows.slice(1).map((r) => [r[0], r]));
    expect([...byJob.keys()].sort()).toEqual(['csv-formula', 'f8-filial', 'f8-joao']);
    expect(byJob.get('f8-joao')).toContain('Conta João da Silva Comércio (#77)');
    expect(byJob.get('f8-filial')?.[4]).toBe(`Santos (#${filial.santos.filialId})`);
    // The ERP's text that a spreadsheet would run as a formula is text there.
    expect(byJob.get('csv-formula')).toContain('\'=HYPERLINK("http://example.invalid","x")');
    expect(byJob.get('csv-formula')?.some((cell) => cell.startsWith('='))).toBe(false);

    // In English: English headers and words, ',' between cells.
    await page.goto(`${h.url}/dashboard/falhas?q=joao&lang=en`);
    const [english] = await Promise.all([page.waitForEvent('download'), page.click('#exportar-csv')]);
    expect(english.suggestedFilename()).toMatch(/^failures-/);
    const en = parseCsv(fs.readFileSync((await english.path()) as string, 'utf8'), ',');
    expect(en[0]?.slice(0, 4)).toEqual(['Job', 'Queue', 'Job name', 'Tenant']);
    expect(en.find((r) => r[0] === 'f8-joao')).toContain('Account João da Silva Comércio (#77)');
    await page.context().close();

    // Another tenant's key, a sibling filial's, and an empresa not the viewer's.
    const csv = async (url: string, key: string) => h.app.inject({ url, headers: { authorization: `Bearer ${key}` } });
    const ofB = await csv('/dashboard/falhas.csv?q=joao', h.keyB);
    expect(ofB.statusCode).toBe(200);
    expect(ofB.headers['content-type']).toContain('text/csv');
    // Tenant B's own João only: none of tenant A's rows.
    expect(
      parseCsv(ofB.body, ';')
        .slice(1)
        .map((r) => r[0]),
    ).toEqual(['f8-b']);
    const ofCampinas = parseCsv((await csv('/dashboard/falhas.csv?q=joao', filial.campinas.key)).body, ';');
    expect(
      ofCampinas
        .slice(1)
        .map((r) => r[0])
        .sort(),
    ).toEqual(['csv-formula', 'f8-joao']);
    expect((await csv(`/dashboard/falhas.csv?empresa=${h.empresaA}`, h.keyB)).statusCode).toBe(404);
    expect((await csv('/dashboard/falhas.csv?desde=ontem', h.keyA)).statusCode).toBe(400);
  });
});
