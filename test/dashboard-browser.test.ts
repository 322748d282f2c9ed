import fs from 'node:fs';
import path from 'node:path';
import { isTenantPaused } from '@integrador/queue';
import { launchBrowser } from '@integrador/test-support/browser';
import { createEndpoint, DEFAULT_WEBHOOK_SETTINGS } from '@integrador/webhooks';
import type { Browser, Page } from 'playwright-core';
import { DEFAULT_CREDENTIALS, INVALID_CREDENTIALS } from './fixtures/senior-g5';
import { DashboardHarness, WRONG_ERP_PASSWORD } from './support/dashboard-harness';

/** Where screenshots of the main views go when asked (TEST_SCREENSHOTS_DIR=docs/dashboard regenerates the README's). */
const SCREENSHOTS = process.env.TEST_SCREENSHOTS_DIR;

/**
 * An operator's session in a real browser: a SET push failing at the Senior G5 double, its detail with the ERP's
 * message and the envelope (password masked), fix and retry, bulk retry by filter, a leitor, another tenant's
 * operator, the audit log.
 */
describe('dashboard in a browser', () => {
  const h = new DashboardHarness();
  let browser: Browser;

  beforeAll(async () => {
    await Promise.all([h.start(), launchBrowser().then((b) => (browser = b))]);
    await h.startWorker();
  }, 240000);

  afterAll(async () => {
    await browser?.close();
    await h.close();
  });

  function loginAs(login: string): Promise<Page> {
    return h.browserLogin(browser, login, { locale: 'pt-BR', timezoneId: 'America/Sao_Paulo' });
  }

  async function shot(page: Page, name: string) {
    if (!SCREENSHOTS) return;
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
  }

  async function failWithWrongPassword(count: number): Promise<string[]> {
    h.writeConnections(WRONG_ERP_PASSWORD);
    await h.startWorker();
    const ids = [];
    for (let i = 0; i < count; i++) ids.push(await h.runSet());
    for (const id of ids) await h.waitForRecord(id, 'falhou');
    return ids;
  }

  async function fixPassword() {
    h.writeConnections(DEFAULT_CREDENTIALS.password);
    await h.startWorker();
  }

  it('shows a failure, its ERP message and masked envelope; retries it after the fix; bulk-retries by filter; audits', async () => {
    const [failed] = await failWithWrongPassword(1);
    const page = await loginAs('opa');
    await shot(page, 'overview');

    await page.click('text=Falhas');
    const row = page.locator(`tr[data-job="set/${failed}"]`);
    await row.waitFor();
    expect(await row.innerText()).toContain(INVALID_CREDENTIALS);
    await shot(page, 'failures');

    await row.locator('a').click();
    await page.waitForSelector('pre.requisicao');
    expect(await page.locator('#erro').innerText()).toContain(INVALID_CREDENTIALS);
    const envelope = await page.locator('pre.requisicao').first().innerText();
    expect(envelope).toContain('Padaria');
    expect(envelope).not.toContain(WRONG_ERP_PASSWORD);
    expect(envelope).toMatch(/senha|password/i);
    // Trial 4: the record headed by its customer with its ended state worded, never by the outbox key alone.
    const heading = await page.locator('h2.envio').first().innerText();
    expect(heading).toMatch(/^Conta Padaria .*\(#\d+\) — recusado — reprocessar envia de novo$/);
    expect(heading).not.toMatch(/set:\d+:/);
    await shot(page, 'job-detail');

    await fixPassword();
    await page.click('button:has-text("Reprocessar")');
    await page.waitForSelector('text=Ação registrada: 1 job reprocessado.');
    await h.waitForRecord(failed as string, 'concluido');
    await page.reload();
    expect(await page.locator('#estado').innerText()).toContain('concluído');

    // Two new failures, retried at once by the failures list's filter.
    const [a, b] = await failWithWrongPassword(2);
    await fixPassword();
    await page.goto(`${h.url}/dashboard/falhas?q=${encodeURIComponent('senha inválidos')}`);
    expect(await page.locator('#total').innerText()).toBe('2');
    await page.click('button[value=filtro]');
    // Confirmed with the count the filter finds (and the first jobs listed), then retried.
    await page.waitForSelector('#confirmacao');
    expect(await page.locator('#confirmacao').innerText()).toContain('Reprocessar 2 jobs que falharam');
    await page.click('#confirmar');
    await page.waitForSelector('text=Ação registrada: 2 jobs reprocessados.');
    await h.waitForRecord(a as string, 'concluido');
    await h.waitForRecord(b as string, 'concluido');

    await page.click('text=Auditoria');
    const audit = await page.locator('tbody').innerText();
    // The empresa by name (F16).
    expect(audit).toMatch(/opa\s+Empresa SET \(#\d+\)\s+reprocessar\s+1/);
    expect(audit).toMatch(/opa\s+Empresa SET \(#\d+\)\s+reprocessar\s+2/);
    expect(audit).toContain('filtro');
    await shot(page, 'audit');
    await page.goto(`${h.url}/dashboard/agendamentos`);
    await shot(page, 'schedules');
  }, 400000);

  it('gives a leitor no way to retry', async () => {
    const [failed] = await failWithWrongPassword(1);
    const page = await loginAs('leitora');
    await page.goto(`${h.url}/dashboard/jobs/set/${failed}`);
    expect(await page.locator('#erro').innerText()).toContain(INVALID_CREDENTIALS);
    expect(await page.locator('button:has-text("Reprocessar")').count()).toBe(0);
    // Even a hand-made request with the session's CSRF token is refused.
    const csrf = (await page.locator('meta[name=csrf-token]').getAttribute('content')) ?? '';
    // The request runs in the page (its session cookie), as a hand-made script would.
    const status = await page.evaluate(
      async ({ job, token }) => {
        const r = await fetch('/dashboard/api/jobs/retry', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-csrf-token': token },
          body: JSON.stringify({ jobs: [{ queue: 'set', id: job }] }),
        });
        return r.status;
      },
      { job: failed as string, token: csrf },
    );
    expect(status).toBe(403);
    expect(await (await h.producer.getJob('set', failed as string))?.getState()).toBe('failed');
  }, 180000);

  it('pauses and resumes a whole tenant; shows the call log and the webhook deliveries, resends one', async () => {
    await h.seedCall(h.empresaA, '(11) 3333-4444', 'https://pbx.example.com/gravacoes/a1.mp3');
    const input = { nome: 'CRM A', url: 'https://hooks.example.com/a', gatilhos: ['contato.criado'] };
    const endpoint = (await createEndpoint(h.database.db, DEFAULT_WEBHOOK_SETTINGS, { empresaId: h.empresaA, filialId: null }, input)).id;
    await h.seedDelivery(h.empresaA, endpoint, 'falhou', 1);
    await h.seedDelivery(h.empresaA, endpoint, 'entregue', 2);
    const page = await loginAs('opa');

    await page.click('text=Agendamentos');
    await page.click('button:has-text("Pausar empresa")');
    // Asked first (F9): nothing paused until confirmed.
    await page.waitForSelector('#confirmacao');
    expect(await isTenantPaused(h.redis, h.prefix, h.empresaA)).toBe(false);
    await page.click('#confirmar');
    await page.waitForSelector('text=empresa pausada');
    expect(await isTenantPaused(h.redis, h.prefix, h.empresaA)).toBe(true);
    await page.click('button:has-text("Retomar empresa")');
    await page.waitForSelector('button:has-text("Pausar empresa")');
    expect(await isTenantPaused(h.redis, h.prefix, h.empresaA)).toBe(false);

    await page.click('text=Ligações');
    expect(await page.locator('#ligacoes a').getAttribute('href')).toBe('https://pbx.example.com/gravacoes/a1.mp3');
    await shot(page, 'calls');

    await page.click('header >> text=Webhooks');
    await page.locator('tr[data-entrega] details').first().click();
    await shot(page, 'webhooks');
    await page.locator('tr[data-entrega] button:has-text("Reenviar")').first().click();
    await page.waitForSelector('text=Ação registrada: 1 entrega de webhook.');

    await page.click('text=Auditoria');
    const audit = await page.locator('tbody').innerText();
    expect(audit).toMatch(/pausar empresa/);
    expect(audit).toMatch(/retomar empresa/);
    expect(audit).toMatch(/reenviar webhook/);
  }, 180000);

  it("hides tenant A's jobs from an operador of tenant B: search, counts and URL", async () => {
    const page = await loginAs('opb');
    const counts = await page.locator('[data-live-count=falhou]').innerText();
    expect(counts).toBe('0');
    await page.goto(`${h.url}/dashboard/falhas?estado=todos&q=${encodeURIComponent('contaId=42')}`);
    expect(await page.locator('#total').innerText()).toBe('0');
    const response = await page.goto(`${h.url}/dashboard/jobs/set/1`);
    expect(response?.status()).toBe(404);
  }, 60000);
});
