import type { AddressInfo } from 'node:net';
import { createOperador } from '@integrador/store';
import { launchBrowser } from '@integrador/test-support/browser';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import type { Browser } from 'playwright-core';
import { startTestIngress, type TestIngress } from './support/test-ingress';

const PASSWORD = 'senha-do-admin-123';

/** Whether a URL stays on this machine (the ingress on loopback, or the page's own data: and blob: URLs). */
function staysLocal(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  return protocol === 'data:' || protocol === 'blob:' || hostname === '127.0.0.1' || hostname === 'localhost';
}

/**
 * An admin opening the raw queue browser (bull-board under /dashboard/filas) in a real browser: the page loads and
 * shows the queues without one request leaving loopback — bull-board's own page asks Google Fonts for its typefaces,
 * which breaks offline and tells Google who opens the queues.
 */
describe('bull-board in a browser, offline', () => {
  let database: TestDatabase;
  let ingress: TestIngress;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    await createOperador(database.db, { login: 'admin', nome: 'Admin', senha: PASSWORD, papel: 'admin', empresas: [] });
    ingress = await startTestIngress(database, { deps: { dashboard: { secureCookies: false } } });
    await ingress.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(ingress.app.server.address() as AddressInfo).port}`;
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await ingress?.close();
    await database?.drop();
  });

  it('loads the queues page with no request beyond loopback and no blocked resource', async () => {
    const context = await browser.newContext({ locale: 'pt-BR' });
    const outside: string[] = [];
    // Every request is seen here first: one for another host is noted and never sent.
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (staysLocal(url)) return route.continue();
      outside.push(url);
      return route.abort();
    });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (entry) => {
      if (entry.type() === 'error') problems.push(entry.text());
    });
    page.on('response', (response) => {
      if (response.status() >= 500) problems.push(`${response.status()} ${response.url()}`);
    });
    await page.goto(`${base}/dashboard`);
    await page.fill('input[name=login]', 'admin');
    await page.fill('input[name=senha]', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(`${base}/dashboard`);

    await page.goto(`${base}/dashboard/filas/`, { waitUntil: 'networkidle' });
    // The UI rendered (its bundle ran under the page's CSP) and lists the queues.
    await page.getByText('webhook', { exact: false }).first().waitFor({ timeout: 20000 });
    expect(await page.locator('body').innerText()).toMatch(/\bset\b/);
    expect(outside).toEqual([]);
    // Nothing the page wanted was refused by the CSP either (the UI would be broken or unstyled).
    expect(problems).toEqual([]);
    await context.close();
  });
});
