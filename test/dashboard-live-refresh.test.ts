import { launchBrowser } from '@integrador/test-support/browser';
import type { Browser, Page } from 'playwright-core';
import { DashboardHarness } from './support/dashboard-harness';

/**
 * The operator trial's F18: the failures list reloads its rows every 5 s, but not while the operator reads one — an
 * open "Detalhes técnicos" stays open, a text selection in the list stays — and it reloads again once they are done
 * (a real browser: the refresh is the page's own script).
 */
describe('dashboard: the live failures list leaves what the operator is reading alone', () => {
  const h = new DashboardHarness();
  let browser: Browser;

  beforeAll(async () => {
    await Promise.all([h.start(), launchBrowser().then((b) => (browser = b))]);
    await h.recordSetJob('live-1');
  }, 240000);

  afterAll(async () => {
    await browser?.close();
    await h.close();
  });

  /** Whether the list was reloaded within one refresh period and a bit (a new row recorded meanwhile shows then). */
  const reloadedWithin = (page: Page, ms: number) =>
    page
      .waitForResponse((r) => r.url().includes('/dashboard/falhas/linhas'), { timeout: ms })
      .then(() => true)
      .catch(() => false);

  it('keeps an open "Detalhes técnicos" and a text selection through the refresh; reloads once both are gone', async () => {
    const page = await h.browserLogin(browser, 'opa');
    await page.goto(`${h.url}/dashboard/falhas`);
    const details = page.locator('tr[data-job="set/live-1"] details.detalhes-tecnicos');
    await details.locator('summary').click();
    expect(await details.getAttribute('open')).not.toBeNull();
    expect(await reloadedWithin(page, 7000)).toBe(false);
    expect(await details.getAttribute('open')).not.toBeNull();

    // Closed, with the reason's text selected instead: still not reloaded, the selection kept.
    await details.locator('summary').click();
    // Run in the page (a script's text: the tests' TypeScript has no DOM types). Chromium ignores addRange while the
    // click's caret is the selection: removed first.
    await page.evaluate(`(() => {
      const range = document.createRange();
      range.selectNodeContents(document.querySelector('tr[data-job="set/live-1"] .erro-motivo'));
      window.getSelection().removeAllRanges();
      window.getSelection().addRange(range);
    })()`);
    expect(await reloadedWithin(page, 7000)).toBe(false);
    expect(await page.evaluate('window.getSelection().toString()')).not.toBe('');

    // Nothing open nor selected: the list reloads and shows a failure recorded meanwhile.
    await page.evaluate('window.getSelection().removeAllRanges()');
    await h.recordSetJob('live-2');
    expect(await reloadedWithin(page, 7000)).toBe(true);
    await page.waitForSelector('tr[data-job="set/live-2"]');
  }, 60000);
});
