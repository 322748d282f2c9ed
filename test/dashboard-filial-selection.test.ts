import { launchBrowser } from '@integrador/test-support/browser';
import type { Browser, Page } from 'playwright-core';
import { DashboardHarness } from './support/dashboard-harness';

/**
 * A filial key reads the empresa-wide failed jobs but may change only its own filial's (the filial rule,
 * whereChangeableBy): the failures list offers a selection box only on the jobs it may change, and says on the others
 * why they cannot be selected — never a box whose retry answers "not found".
 */
describe('the failures list of a filial viewer (real chromium)', () => {
  const h = new DashboardHarness();
  let browser: Browser | undefined;
  let keyRecife: string;

  beforeAll(async () => {
    await Promise.all([h.start(), launchBrowser().then((b) => (browser = b))]);
    const recife = await h.filialKey('Recife');
    keyRecife = recife.key;
    await h.recordSetJob('da-empresa');
    await h.recordSetJob('da-filial', { filialId: recife.filialId });
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await h.close();
  });

  async function pageAs(key: string, locale: string): Promise<Page> {
    const context = await (browser as Browser).newContext({ locale, extraHTTPHeaders: { authorization: `Bearer ${key}` } });
    return context.newPage();
  }
  const boxes = (page: Page) =>
    page.locator('input[type=checkbox][name=job]').evaluateAll((els) => els.map((e) => e.getAttribute('value')));

  it('a filial key: a box on its own filial’s job only; the empresa-wide one says why it cannot be selected', async () => {
    const page = await pageAs(keyRecife, 'pt-BR');
    await page.goto(`${h.url}/dashboard/falhas`);
    await page.locator('tr[data-job="set/da-empresa"]').waitFor();
    expect(await boxes(page)).toEqual(['set/da-filial']);
    const reason = page.locator('tr[data-job="set/da-empresa"] .nao-selecionavel');
    expect(await reason.textContent()).toBe('da empresa');
    expect(await reason.getAttribute('title')).toMatch(
      /^Job da empresa inteira: esta chave de filial pode vê-lo, mas só reprocessa ou descarta/,
    );

    // The job's own page offers no action on it, and says why.
    await page.goto(`${h.url}/dashboard/jobs/set/da-empresa`);
    expect(await page.locator('#sem-acoes').textContent()).toMatch(/^Job da empresa inteira/);
    expect(await page.locator('form.job-actions').count()).toBe(0);
    await page.context().close();
  });

  it('in English, and the empresa key may select both', async () => {
    const page = await pageAs(keyRecife, 'en');
    await page.goto(`${h.url}/dashboard/falhas?lang=en`);
    await page.locator('tr[data-job="set/da-empresa"]').waitFor();
    expect(await page.locator('tr[data-job="set/da-empresa"] .nao-selecionavel').getAttribute('title')).toMatch(
      /^A job of the whole empresa: this filial key may see it/,
    );
    await page.context().close();

    const empresa = await pageAs(h.keyA, 'pt-BR');
    await empresa.goto(`${h.url}/dashboard/falhas`);
    await empresa.locator('tr[data-job="set/da-empresa"]').waitFor();
    expect((await boxes(empresa)).sort()).toEqual(['set/da-empresa', 'set/da-filial']);
    expect(await empresa.locator('.nao-selecionavel').count()).toBe(0);
    await empresa.context().close();
  });
});
