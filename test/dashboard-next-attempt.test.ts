import { Worker } from 'bullmq';
import { DashboardHarness } from './support/dashboard-harness';

/** The state cell of a job page: what is between its opening tag and the end of the cell. */
const stateCell = (body: string) => /<td class="[^"]*" id="estado">(.*?)<\/td>/s.exec(body)?.[1] ?? '';

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
    await taker?.close();
    takerConnection?.disconnect();
    await h.close();
  });
  let taker: Worker | undefined;
  let takerConnection: ReturnType<DashboardHarness['redis']['duplicate']> | undefined;

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

  // Trial L4: the page said "aguardando retentativa (Redis: em execução)" — two states at once. One state, BullMQ's as
  // the jobs API gives it, in the record's words when they agree.
  it("shows one state for a job waiting to retry: the wait and its next attempt, not also BullMQ's word for it", async () => {
    const { cookie } = await h.login('opa');
    for (const [lang, waiting] of [
      ['pt-BR', 'aguardando retentativa'],
      ['en', 'waiting to retry'],
    ] as const) {
      const cell = stateCell((await h.app.inject({ url: `/dashboard/jobs/set/espera-1?lang=${lang}`, headers: { cookie } })).body);
      expect(cell.startsWith(`${waiting}<br><span id="proxima">`)).toBe(true);
      expect(cell).not.toContain('Redis');
    }
    const api = await h.app.inject({ url: '/v1/jobs/set/espera-1', headers: { authorization: `Bearer ${h.keyA}` } });
    expect(api.json().state).toBe('delayed');
  });

  it('shows a retry under way as running, as the jobs API does, while the record still says it waits', async () => {
    const queue = h.producer.queue('set');
    const data = { tenant: { empresaId: h.empresaA, filialId: null }, integracaoId: 19 };
    await queue.add('integration.run' as never, data as never, { jobId: 'retentando-1', attempts: 3 } as never);
    // The worker's record of the failed first attempt; the second attempt's start is not written yet (the recorder holds
    // a start back for a second) when BullMQ already runs it.
    await h.recordSetJob('retentando-1', { estado: 'aguardando_retentativa', tentativas: 1, maxTentativas: 3 });
    takerConnection = h.redis.duplicate({ maxRetriesPerRequest: null });
    taker = new Worker(queue.name, null, { connection: takerConnection, prefix: queue.opts.prefix, autorun: false });
    expect((await taker.getNextJob('taker', { block: false }))?.id).toBe('retentando-1');
    const { cookie } = await h.login('opa');
    for (const [lang, running, waiting] of [
      ['pt-BR', 'em execução', 'aguardando retentativa'],
      ['en', 'running', 'waiting to retry'],
    ] as const) {
      const page = (await h.app.inject({ url: `/dashboard/jobs/set/retentando-1?lang=${lang}`, headers: { cookie } })).body;
      expect(stateCell(page)).toBe(running);
      expect(page).not.toContain(waiting);
      expect(page).not.toContain('id="proxima"');
    }
    const api = await h.app.inject({ url: '/v1/jobs/set/retentando-1', headers: { authorization: `Bearer ${h.keyA}` } });
    expect(api.json().state).toBe('active');
    // Another tenant's key: not found.
    expect((await h.app.inject({ url: '/v1/jobs/set/retentando-1', headers: { authorization: `Bearer ${h.keyB}` } })).statusCode).toBe(404);
  });
});
