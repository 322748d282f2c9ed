import { DashboardHarness } from './support/dashboard-harness';

/**
 * The operator trial's F20: a job waiting for its next attempt says when that attempt runs (BullMQ's delayed time), in
 * the page's language; the JSON detail carries the same time.
 */
describe('dashboard: when a waiting job runs next', () => {
  const h = new DashboardHarness();
  // An hour from now (BullMQ's delay), as a retry's backoff or a limit leaves a job.
  let runsAt: number;

  beforeAll(async () => {
    await h.start();
    const data = { tenant: { empresaId: h.empresaA, filialId: null }, integracaoId: 19 };
    runsAt = Date.now() + 3600_000;
    await h.producer.queue('set').add('integration.run' as never, data as never, { jobId: 'espera-1', delay: 3600_000 } as never);
    await h.recordSetJob('espera-1', { estado: 'aguardando_retentativa', tentativas: 1, maxTentativas: 3 });
  }, 240000);

  afterAll(async () => {
    await h.close();
  });

  it('shows the next attempt, numbered, with its time in the viewer language; the API gives the time', async () => {
    const { cookie } = await h.login('opa');
    const page = async (lang: string) =>
      (await h.app.inject({ url: `/dashboard/jobs/set/espera-1?lang=${lang}`, headers: { cookie } })).body;
    expect(await page('pt-BR')).toMatch(/<span id="proxima">próxima tentativa \(2 de 3\): \d\d\/\d\d\/\d{4},? \d\d:\d\d/);
    expect(await page('en')).toMatch(/<span id="proxima">next attempt \(2 of 3\): /);
    const api = (await h.app.inject({ url: '/dashboard/api/jobs/set/espera-1', headers: { authorization: `Bearer ${h.keyA}` } })).json();
    expect(Math.abs(new Date(api.live.nextRunAt).getTime() - runsAt)).toBeLessThan(60_000);
    // Another tenant's key: not found, as before.
    expect(
      (await h.app.inject({ url: '/dashboard/api/jobs/set/espera-1', headers: { authorization: `Bearer ${h.keyB}` } })).statusCode,
    ).toBe(404);
  });
});
