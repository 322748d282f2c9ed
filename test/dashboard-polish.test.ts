import { createRedis } from '@integrador/queue';
import { type EstadoRegistroJob, findJobRecord, recordAudit, recordJobEvent } from '@integrador/store';
import { launchBrowser } from '@integrador/test-support/browser';
import { TEST_REDIS_URL } from '@integrador/test-support/redis-server';
import { createEndpoint, DEFAULT_WEBHOOK_SETTINGS } from '@integrador/webhooks';
import { Worker } from 'bullmq';
import type { Browser } from 'playwright-core';
import { DashboardHarness, PASSWORD } from './support/dashboard-harness';

/**
 * What a user trying the dashboard in a browser noticed: ids where names belong, actions offered (and accepted) on a
 * job they do not apply to, raw codes and English status words on pt-BR pages, a /favicon.ico 404, a refused filter
 * answered outside the page, and JSON answers passing through columns nobody declared.
 */
describe('dashboard polish', () => {
  const h = new DashboardHarness();
  let browser: Browser | undefined;

  // SET-WS-CONTAS is tenant A's integration #19; tenant B's record names the same id (B has no #19 of its own).
  const record = (empresaId: number, jobId: string, estado: EstadoRegistroJob) =>
    recordJobEvent(h.database.db, {
      empresaId,
      filialId: null,
      fila: 'set',
      jobId,
      nomeJob: 'integration.run',
      integracaoId: 19,
      parametros: { contaId: 42 },
      estado,
      tentativas: 1,
      maxTentativas: 6,
      erro: estado === 'falhou' ? { classe: 'PermanentError', codigo: 'RECEPTOR_ERROR', mensagem: 'recusado' } : null,
    });

  beforeAll(async () => {
    await Promise.all([h.start(), launchBrowser().then((b) => (browser = b))]);
    await record(h.empresaA, 'polish-done', 'concluido');
    await record(h.empresaA, 'polish-failed', 'falhou');
    await record(h.empresaA, 'polish-blocked', 'bloqueado');
    await record(h.empresaB, 'polish-b', 'falhou');
  }, 240000);

  afterAll(async () => {
    await browser?.close();
    await h.close();
  });

  const asKey = (key: string, lang = 'pt-BR') => ({ authorization: `Bearer ${key}`, 'accept-language': lang });
  const get = async (url: string, cookie: string) => h.app.inject({ url, headers: { cookie } });

  it("shows the job's empresa and integration by name, never another tenant's integration name", async () => {
    const { cookie } = await h.login('opa');
    const page = (await get('/dashboard/jobs/set/polish-failed', cookie)).body;
    expect(page).toMatch(/id="empresa">Empresa SET \(#\d+\)</);
    expect(page).toContain('id="integracao">SET-WS-CONTAS (#19)<');
    const api = (await h.app.inject({ url: '/dashboard/api/jobs/set/polish-failed', headers: asKey(h.keyA) })).json();
    expect(api).toMatchObject({ empresaNome: 'Empresa SET', integracaoNome: 'SET-WS-CONTAS', actions: ['retry', 'discard'] });

    // Tenant B's record names integration 19, which is tenant A's: B's operator and key see the id, not A's name.
    const b = await h.login('opb');
    const pageB = (await get('/dashboard/jobs/set/polish-b', b.cookie)).body;
    expect(pageB).toContain('id="empresa">Empresa B (#');
    expect(pageB).toContain('id="integracao">#19<');
    expect(pageB).not.toContain('SET-WS-CONTAS');
    expect((await get('/dashboard', b.cookie)).body).not.toContain('SET-WS-CONTAS');
    const apiB = (await h.app.inject({ url: '/dashboard/api/jobs/set/polish-b', headers: asKey(h.keyB) })).json();
    expect(apiB).toMatchObject({ empresaNome: 'Empresa B', integracaoNome: null });
    // Tenant A's own overview does name it.
    expect((await get('/dashboard', cookie)).body).toContain('SET-WS-CONTAS (#19)');
  });

  it('offers retry and discard only on a failed job; the server refuses them on a completed one (409, or back with the reason)', async () => {
    const { cookie, csrf } = await h.login('opa');
    expect((await get('/dashboard/jobs/set/polish-failed', cookie)).body).toContain('>Reprocessar</button>');
    const done = (await get('/dashboard/jobs/set/polish-done', cookie)).body;
    expect(done).not.toContain('>Reprocessar</button>');
    expect(done).not.toContain('>Descartar</button>');
    // A flow step that failed on its prerequisite is failed in BullMQ too: both stay offered.
    const blocked = (await h.app.inject({ url: '/dashboard/api/jobs/set/polish-blocked', headers: asKey(h.keyA) })).json();
    expect(blocked.actions).toEqual(['retry', 'discard']);
    const doneApi = (await h.app.inject({ url: '/dashboard/api/jobs/set/polish-done', headers: asKey(h.keyA) })).json();
    expect(doneApi.actions).toEqual([]);

    for (const action of ['retry', 'discard'] as const) {
      const refused = await h.app.inject({
        method: 'POST',
        url: `/dashboard/api/jobs/${action}`,
        headers: asKey(h.keyA),
        payload: { jobs: [{ queue: 'set', id: 'polish-done' }] },
      });
      expect(refused.statusCode).toBe(409);
      expect(refused.json().error.code).toBe('JOB_NOT_FAILED');
      expect(refused.json().error.message).toBe(
        action === 'retry'
          ? 'O job set/polish-done não foi reprocessado: ele está concluído; só um job que falhou pode ser reprocessado.'
          : 'O job set/polish-done não foi descartado: ele está concluído; só um job que falhou pode ser descartado.',
      );
    }
    const english = await h.app.inject({
      method: 'POST',
      url: '/dashboard/api/jobs/retry',
      headers: asKey(h.keyA, 'en'),
      payload: { jobs: [{ queue: 'set', id: 'polish-done' }] },
    });
    expect(english.json().error.message).toBe('Job set/polish-done was not retried: it is completed; only a failed job can be retried.');

    // A stale detail page (the job completed after it was shown) posts its form: back to the page, which says why.
    const stale = await h.app.inject({
      method: 'POST',
      url: '/dashboard/acoes/reprocessar',
      headers: { cookie, referer: `${h.url}/dashboard/jobs/set/polish-done`, host: new URL(h.url).host },
      payload: { _csrf: csrf, modo: 'selecao', job: 'set/polish-done' },
    });
    expect(stale.statusCode).toBe(302);
    const back = stale.headers.location as string;
    expect(back.startsWith('/dashboard/jobs/set/polish-done?')).toBe(true);
    const shown = (await get(back, cookie)).body;
    expect(shown).toContain('class="flash err"');
    expect(shown).toContain('O job set/polish-done não foi reprocessado: ele está concluído');
    // A hand-edited query is not echoed: an unknown state words nothing.
    const forged = (
      await get('/dashboard/jobs/set/polish-done?recusado=JOB_NOT_FAILED&acao=retry&jobRecusado=set/x&estadoRecusado=<b>', cookie)
    ).body;
    expect(forged).not.toContain('class="flash err"');
  });

  it('asks BullMQ when the record lags: a job failed in Redis is offered and retried; a filter answers its counts', async () => {
    // Real jobs in Redis: three failed by a worker of this test, one left waiting (no worker picks it afterwards).
    const queue = h.producer.queue('set');
    const data = { tenant: { empresaId: h.empresaA, filialId: null }, integracaoId: 19 };
    for (const id of ['lag-failed', 'lag-blocked', 'lag-waiting-later'])
      await queue.add('integration.run' as never, data as never, { jobId: id } as never);
    const connection = createRedis(TEST_REDIS_URL, { role: 'worker' });
    const worker = new Worker(
      'set',
      async () => {
        throw new Error('recusado-lag');
      },
      { connection, prefix: h.prefix },
    );
    const failedIn = async (id: string) => (await queue.getJob(id))?.failedReason;
    for (let i = 0; i < 200 && !((await failedIn('lag-failed')) && (await failedIn('lag-blocked'))); i++)
      await new Promise((r) => setTimeout(r, 50));
    await worker.close();
    connection.disconnect();
    await queue.add('integration.run' as never, data as never, { jobId: 'lag-waiting' } as never);
    const recorded = (jobId: string, estado: EstadoRegistroJob, mensagem = 'recusado-lag') =>
      recordJobEvent(h.database.db, {
        empresaId: h.empresaA,
        filialId: null,
        fila: 'set',
        jobId,
        nomeJob: 'integration.run',
        integracaoId: 19,
        parametros: {},
        estado,
        tentativas: 1,
        maxTentativas: 1,
        erro: { classe: 'PermanentError', codigo: 'RECEPTOR_ERROR', mensagem },
      });
    // The record lags behind BullMQ (a relabel after a bulk retry, a lost recorder write): it says waiting.
    await recorded('lag-failed', 'aguardando_retentativa');
    await recorded('lag-blocked', 'bloqueado', 'recusado-bloqueado');
    // Recorded failed, but waiting in Redis (retried from the raw queue view).
    await recorded('lag-waiting', 'falhou', 'recusado-esperando');

    const detail = (await h.app.inject({ url: '/dashboard/api/jobs/set/lag-failed', headers: asKey(h.keyA) })).json();
    expect(detail.actions).toEqual(['retry', 'discard']);
    const retried = await h.app.inject({
      method: 'POST',
      url: '/dashboard/api/jobs/retry',
      headers: asKey(h.keyA),
      payload: { jobs: [{ queue: 'set', id: 'lag-failed' }] },
    });
    expect(retried.json()).toEqual({ done: 1, skipped: 0, notFound: 0, skippedReasons: {} });
    expect(await (await queue.getJob('lag-failed'))?.getState()).toBe('waiting');
    expect((await findJobRecord(h.database.db, 'all', 'set', 'lag-failed'))?.estado).toBe('aguardando_retentativa');

    // "Retry all matching" with one match that Redis says is not failed: its counts, never a 409.
    const filtered = await h.app.inject({
      method: 'POST',
      url: '/dashboard/api/jobs/retry',
      headers: asKey(h.keyA),
      payload: { filter: { q: 'recusado-esperando' } },
    });
    expect(filtered.statusCode).toBe(200);
    expect(filtered.json()).toEqual({ done: 0, skipped: 1, notFound: 0, skippedReasons: { 'not-failed': 1 } });
    // The blocked ones listed (estado=bloqueado) are retried by the filter too.
    const blocked = await h.app.inject({
      method: 'POST',
      url: '/dashboard/api/jobs/retry',
      headers: asKey(h.keyA),
      payload: { filter: { q: 'recusado-bloqueado', estado: 'bloqueado' } },
    });
    expect(blocked.json()).toEqual({ done: 1, skipped: 0, notFound: 0, skippedReasons: {} });
    expect(await (await queue.getJob('lag-blocked'))?.getState()).toBe('waiting');
  });

  it('words audit actions, schedule, call and delivery statuses in the page language; the JSON keeps the codes', async () => {
    await recordAudit(h.database.db, { autor: 'opa', operadorId: null, empresaId: h.empresaA, acao: 'retry', quantidade: 1 });
    await recordAudit(h.database.db, { autor: 'opa', operadorId: null, empresaId: h.empresaA, acao: 'pause-tenant', quantidade: 1 });
    await h.scheduledGet('GET-POLISH', '*/15 * * * *');
    await h.seedCall(h.empresaA, '(11) 3333-4444', null);
    const input = { nome: 'CRM A', url: 'https://hooks.example.com/a', gatilhos: ['contato.criado'] };
    const endpoint = (await createEndpoint(h.database.db, DEFAULT_WEBHOOK_SETTINGS, { empresaId: h.empresaA, filialId: null }, input)).id;
    await h.seedDelivery(h.empresaA, endpoint, 'entregue', 1);
    const { cookie } = await h.login('opa');

    const cells = (body: string, cls: string) => [...body.matchAll(new RegExp(`<td class="${cls}"[^>]*>([^<]*)<`, 'g'))].map((m) => m[1]);
    const audit = (await get('/dashboard/auditoria', cookie)).body;
    expect(cells(audit, 'acao')).toEqual(expect.arrayContaining(['reprocessar', 'pausar empresa']));
    expect(cells((await get('/dashboard/auditoria?lang=en', cookie)).body, 'acao')).toEqual(
      expect.arrayContaining(['retry', 'pause tenant']),
    );
    const items = (await h.app.inject({ url: '/dashboard/api/audit', headers: asKey(h.keyA) })).json().items;
    expect(items.map((i: { acao: string }) => i.acao)).toEqual(expect.arrayContaining(['retry', 'pause-tenant']));

    const schedules = (await get('/dashboard/agendamentos', cookie)).body;
    expect(schedules).toContain('<td>agendado</td>');
    expect(schedules).not.toMatch(/<td>(scheduled|pending|not_scheduled)<\/td>/);
    expect((await get('/dashboard/agendamentos?lang=en', cookie)).body).toContain('<td>scheduled</td>');

    const calls = (await get('/dashboard/ligacoes?lang=en', cookie)).body;
    expect(calls).toContain('<td>inbound</td>');
    expect(calls).toContain('>ended</td>');
    const webhooks = (await get('/dashboard/webhooks?lang=en', cookie)).body;
    expect(webhooks).toContain('>delivered</td>');
    expect(webhooks).toContain('1 · automatic ·');
    expect((await get('/dashboard/webhooks', cookie)).body).toContain('1 · automática ·');
  });

  it('answers a refused filter of the failures page inside the page, with the filter to correct (400)', async () => {
    const { cookie } = await h.login('opa');
    const response = await get('/dashboard/falhas?desde=ontem&q=abc', cookie);
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/text\/html/);
    expect(response.body).toContain('<header>');
    expect(response.body).toContain('<h1>Falhas</h1>');
    // Named by its label in the form, not by its request path.
    expect(response.body).toContain('Campo Desde inválido: esperado uma data ISO 8601');
    expect(response.body).not.toContain('querystring.desde');
    expect((await get('/dashboard/falhas?desde=ontem&lang=en', cookie)).body).toContain('Invalid field Since: expected an ISO 8601 date');
    // The list's live rows (a page's request too): the same words.
    const rows = await get('/dashboard/falhas/linhas?ate=ontem', cookie);
    expect(rows.statusCode).toBe(400);
    expect(rows.body).toContain('Campo Até inválido');
    // A page's other errors say their worded text in the page's language, never a bare code.
    // A NUL in a job id names no job (PostgreSQL's text cannot hold it): not found, on the page and in the JSON API.
    const english = await get('/dashboard/jobs/set/a%00b?lang=en', cookie);
    expect(english.statusCode).toBe(404);
    expect(english.body).toContain('Not found.');
    expect(english.body).not.toContain('internal error');
    const portuguese = await get('/dashboard/jobs/set/a%00b', cookie);
    expect(portuguese.statusCode).toBe(404);
    expect(portuguese.body).toContain('Não encontrado.');
    const json = await h.app.inject({ url: '/dashboard/api/jobs/set/a%00b', headers: asKey(h.keyA) });
    expect(json.statusCode).toBe(404);
    expect(json.json().error.code).toBe('NOT_FOUND');
    // Nor is it a 500 on the actions (retry/discard read the record first).
    for (const action of ['retry', 'discard']) {
      const refused = await h.app.inject({
        method: 'POST',
        url: `/dashboard/api/jobs/${action}`,
        headers: asKey(h.keyA),
        payload: { jobs: [{ queue: 'set', id: 'a\u0000b' }] },
      });
      expect(refused.statusCode).toBeLessThan(500);
    }
    expect(response.body).toMatch(/<input name="q"[^>]*value="abc"/);
  });

  it('answers only the declared fields: no internal column of a call or a delivery leaks through the JSON', async () => {
    const calls = (await h.app.inject({ url: '/dashboard/api/calls', headers: asKey(h.keyA) })).json().calls;
    expect(calls.length).toBeGreaterThan(0);
    expect(Object.keys(calls[0])).not.toEqual(expect.arrayContaining(['chave_telefone']));
    expect(calls[0]).not.toHaveProperty('evento_id');
    expect(calls[0]).toHaveProperty('telefone', '(11) 3333-4444');
    const webhooks = (await h.app.inject({ url: '/dashboard/api/webhooks', headers: asKey(h.keyA) })).json();
    const [delivery] = webhooks.items[0].deliveries;
    expect(delivery).toHaveProperty('status', 'entregue');
    expect(delivery).not.toHaveProperty('mensagem_id');
    expect(delivery).not.toHaveProperty('ciclo_inicio');
    expect(delivery.attempts[0]).not.toHaveProperty('empresa_id');
  });

  it('gives the login page and the pages an icon: no 404 in the browser', async () => {
    if (!browser) throw new Error('no browser');
    const page = await (await browser.newContext({ locale: 'pt-BR' })).newPage();
    const missing: string[] = [];
    page.on('response', (response) => {
      if (response.status() === 404) missing.push(response.url());
    });
    page.on('console', (message) => {
      if (message.type() === 'error') missing.push(message.text());
    });
    await page.goto(`${h.url}/dashboard/login`);
    await page.fill('input[name=login]', 'opa');
    await page.fill('input[name=senha]', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(`${h.url}/dashboard`);
    await page.goto(`${h.url}/dashboard/falhas`);
    // Chromium asks for the icon after the load; give it the moment it takes.
    await page.waitForTimeout(500);
    expect(missing).toEqual([]);
    expect(await page.locator('link[rel=icon]').getAttribute('href')).toMatch(/^data:image\/svg\+xml,/);
  }, 60000);
});
