import { launchBrowser } from '@integrador/test-support/browser';
import type { Browser } from 'playwright-core';
import { DEFAULT_CREDENTIALS } from './fixtures/senior-g5';
import { CONTA } from './fixtures/set-ws-contas';
import { DashboardHarness } from './support/dashboard-harness';

/**
 * A conta a SET job pushed, deleted from the CRM since (fixtrial2 L4): its job page cannot rebuild the request, and
 * says why in the operator's language alone — never the engine's English "consulta … found no record" — with what was
 * sent still listed. A real push (worker-set against the Senior G5 double), a real delete, real chromium.
 */
describe('the job page of a deleted conta (real chromium)', () => {
  const h = new DashboardHarness();
  let browser: Browser;
  let jobId: string;

  beforeAll(async () => {
    await Promise.all([h.start(), launchBrowser().then((b) => (browser = b))]);
    h.writeConnections(DEFAULT_CREDENTIALS.password);
    await h.startWorker();
    jobId = await h.runSet();
    await h.waitForRecord(jobId, 'concluido');
    await h.database.db.deleteFrom('contas').where('id', '=', CONTA.id).execute();
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await h.close();
  });

  it.each([
    [
      'pt-BR',
      `A consulta desta integração não encontra mais o registro deste job (contaId=${CONTA.id}): ele foi excluído ou deixou de atender à consulta depois do envio, então a requisição não pode ser remontada. O que foi enviado está nas tentativas acima.`,
    ],
    [
      'en',
      `This integration's query no longer finds this job's record (contaId=${CONTA.id}): it was deleted or stopped matching the query after it was sent, so the request cannot be rebuilt. What was sent is in the attempts above.`,
    ],
  ] as const)('says so in %s alone, the push it made still listed', async (locale, said) => {
    const page = await h.browserLogin(browser, 'opa');
    try {
      await page.goto(`${h.url}/dashboard/jobs/set/${encodeURIComponent(jobId)}${locale === 'en' ? '?lang=en' : ''}`);
      expect(await page.locator('p.previa-falhou').innerText()).toBe(said);
      // What support reads, folded: the code alone, no English message beside a pt-BR text.
      expect(await page.locator('p.previa-falhou + details .erro-codigo').textContent()).toBe('NO_RECORDS');
      expect(await page.locator('p.previa-falhou + details .erro-mensagem').count()).toBe(0);
      const text = (await page.locator('main').textContent()) ?? '';
      expect(text).not.toMatch(/found no record|consulta of integracao/);
      // The attempt that pushed the conta is still on the page.
      expect(await page.locator('pre.requisicao').count()).toBeGreaterThan(0);
    } finally {
      await page.context().close();
    }
  });
});
