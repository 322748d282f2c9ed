import { dashboardPlugin } from '@integrador/dashboard';
import { createLogger } from '@integrador/logging';
import { createRedis } from '@integrador/queue';
import { type EstadoRegistroJob, type JobEvent, recordJobEvents } from '@integrador/store';
import { launchBrowser } from '@integrador/test-support/browser';
import { TEST_REDIS_URL } from '@integrador/test-support/redis-server';
import { createEndpoint, DEFAULT_WEBHOOK_SETTINGS } from '@integrador/webhooks';
import { Worker } from 'bullmq';
import Fastify from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { DashboardHarness } from './support/dashboard-harness';

/**
 * Trial 3's dashboard findings: a failures list that stopped at row 50 (and webhook deliveries at 20), a Desde/Até
 * filter read as UTC on a page showing São Paulo time, `contaId=14` finding 140–149 and a bulk retry acting on them
 * unasked, a `*` for "all states", "Pausar" offered on a GET without a cron, and rows naming tenants by id only.
 */
describe('dashboard at scale (trial 3)', () => {
  const h = new DashboardHarness();
  let browser: Browser;

  const event = (empresaId: number, jobId: string, over: Partial<JobEvent> = {}): JobEvent => ({
    empresaId,
    filialId: null,
    fila: 'set',
    jobId,
    nomeJob: 'integration.run',
    integracaoId: 19,
    parametros: { contaId: 999999 },
    estado: 'falhou' as EstadoRegistroJob,
    tentativas: 1,
    maxTentativas: 1,
    erro: { classe: 'PermanentError', codigo: 'RECEPTOR_REJECTED', mensagem: 'recusado pelo receptor' },
    ...over,
  });

  beforeAll(async () => {
    await Promise.all([h.start(), launchBrowser().then((b) => (browser = b))]);
  }, 240000);

  afterAll(async () => {
    await browser?.close();
    await h.close();
  });

  function loginAs(login: string, lang = 'pt-BR'): Promise<Page> {
    return h.browserLogin(browser, login, { locale: lang, timezoneId: 'America/Sao_Paulo' });
  }

  const asKey = (key: string) => ({ authorization: `Bearer ${key}`, 'accept-language': 'pt-BR' });
  const jobsOnPage = (page: Page) => page.locator('tbody tr[data-job]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-job')));

  it('pages the failures list past row 50; the bulk retry confirms the whole filter, not the page', async () => {
    // 120 failures of tenant B, one second apart (newest first: page-119 … page-0).
    const base = Date.now() - 3600_000;
    await recordJobEvents(
      h.database.db,
      Array.from({ length: 120 }, (_, i) =>
        event(h.empresaB, `page-${i}`, { at: new Date(base + i * 1000), parametros: { contaId: 1000 + i } }),
      ),
    );
    const page = await loginAs('opb');
    await page.goto(`${h.url}/dashboard/falhas`);
    expect(await page.locator('#total').innerText()).toBe('120');
    const first = await jobsOnPage(page);
    expect(first).toHaveLength(50);
    expect(first[0]).toBe('set/page-119');
    await page.locator('a[rel=next]').first().click();
    await page.waitForURL(/offset=50/);
    const second = await jobsOnPage(page);
    expect(second).toHaveLength(50);
    expect(second[0]).toBe('set/page-69');
    expect(await page.locator('.faixa').first().innerText()).toBe('mostrando 51–100');
    await page.locator('a[rel=next]').first().click();
    await page.waitForURL(/offset=100/);
    const third = await jobsOnPage(page);
    expect(third).toEqual(Array.from({ length: 20 }, (_, i) => `set/page-${19 - i}`));
    expect(await page.locator('a[rel=next]').count()).toBe(0);
    await page.locator('a[rel=prev]').first().click();
    await page.waitForURL(/offset=50/);
    expect((await jobsOnPage(page))[0]).toBe('set/page-69');

    // From page 2, "retry all" confirms the filter's 120 (the offset is no filter), and lists the first ones.
    await page.click('button[value=filtro]');
    await page.waitForSelector('#confirmacao');
    expect(await page.locator('#confirmacao').innerText()).toContain('Reprocessar 120 jobs que falharam');
    expect(await page.locator('#primeiros li').count()).toBe(20);
    expect(await page.locator('#confirmar').innerText()).toBe('Confirmar (120)');

    // The live rows follow the page shown.
    const { cookie } = await h.login('opb');
    const live = await h.app.inject({ url: '/dashboard/falhas/linhas?offset=100', headers: { cookie } });
    expect(live.body.match(/data-job=/g)).toHaveLength(20);
    const bad = await h.app.inject({ url: '/dashboard/falhas?offset=dois', headers: { cookie } });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).not.toContain('at ');
  }, 120000);

  it('reads Desde/Até in the viewer’s zone, as the page shows times, and says the zone beside them', async () => {
    // 2025-06-10 19:07 UTC is 16:07 in São Paulo (UTC−3).
    await recordJobEvents(h.database.db, [event(h.empresaA, 'tz-probe', { at: new Date('2025-06-10T19:07:00Z') })]);
    // The API and the bulk retry read a zone-less value in the viewer's zone; a value with its offset keeps it.
    const total = async (qs: string) =>
      (await h.app.inject({ url: `/dashboard/api/jobs?q=%23tz-probe&${qs}`, headers: asKey(h.keyA) })).json().total;
    expect(await total('desde=2025-06-10T16:10')).toBe(0);
    expect(await total('desde=2025-06-10T16:00&ate=2025-06-10T16:10')).toBe(1);
    expect(await total('desde=2025-06-10T19:00Z')).toBe(1);
    expect(await total('desde=2025-06-10T19:10:00-00:00')).toBe(0);
    const retry = await h.app.inject({
      method: 'POST',
      url: '/dashboard/api/jobs/retry',
      headers: asKey(h.keyA),
      payload: { filter: { q: '#tz-probe', desde: '2025-06-10T16:10' }, expected: 1 },
    });
    expect(retry.statusCode).toBe(409);
    expect(retry.json().error.message).toContain('agora encontra 0 jobs que falharam');

    // The page likewise, with the zone said beside the inputs.
    const page = await loginAs('opa');
    await page.goto(`${h.url}/dashboard/falhas?q=${encodeURIComponent('#tz-probe')}`);
    expect(await page.locator('tr[data-job="set/tz-probe"]').innerText()).toContain('10/06/2025, 16:07');
    expect(await page.locator('#fuso').innerText()).toBe('Datas no fuso America/Sao_Paulo (GMT-3)');
    await page.fill('input[name=desde]', '2025-06-10T16:10');
    await page.click('button:has-text("Filtrar")');
    await page.waitForURL(/desde=/);
    expect(await page.locator('#total').innerText()).toBe('0');
    await page.fill('input[name=desde]', '2025-06-10T16:00');
    await page.fill('input[name=ate]', '2025-06-10T16:10');
    await page.click('button:has-text("Filtrar")');
    await page.waitForURL(/ate=2025-06-10T16%3A10/);
    expect(await page.locator('#total').innerText()).toBe('1');
  }, 120000);

  it("reads an API key's zone-less dates in the fleet's SCHEDULE_TIMEZONE (the zone the dashboard is given)", async () => {
    // 2025-06-11 03:07 UTC: 12:07 in Tokyo (UTC+9), 00:07 in São Paulo (UTC−3).
    await recordJobEvents(h.database.db, [event(h.empresaA, 'tz-key-probe', { at: new Date('2025-06-11T03:07:00Z') })]);
    const logger = createLogger({ name: 'test', level: 'silent' });
    const app = Fastify();
    const { database, producer, redis, prefix: keyPrefix } = h;
    await app.register(dashboardPlugin({ database, producer, redis, keyPrefix, logger, scheduleTimezone: 'Asia/Tokyo' }));
    try {
      const total = async (qs: string) =>
        (await app.inject({ url: `/dashboard/api/jobs?q=%23tz-key-probe&${qs}`, headers: asKey(h.keyA) })).json().total;
      // A key has no zone of its own: Tokyo's wall clock finds it, São Paulo's (the old fixed zone) does not.
      expect(await total('desde=2025-06-11T12:00&ate=2025-06-11T12:10')).toBe(1);
      expect(await total('desde=2025-06-11T00:00&ate=2025-06-11T00:10')).toBe(0);
    } finally {
      await app.close();
    }
  });

  it("reads the calls filter's zone-less dates in the viewer's zone too (one reader)", async () => {
    await h.seedCall(h.empresaB, '(21) 3000-1234', null);
    // The São Paulo wall clock of an hour from now: read as UTC it would be two hours ago and list the call.
    const wall = new Intl.DateTimeFormat('sv-SE', { timeZone: 'America/Sao_Paulo', dateStyle: 'short', timeStyle: 'short' })
      .format(new Date(Date.now() + 3600_000))
      .replace(' ', 'T');
    const calls = async (desde: string) =>
      (await h.app.inject({ url: `/dashboard/api/calls?desde=${encodeURIComponent(desde)}`, headers: asKey(h.keyB) })).json().calls;
    expect(await calls(wall)).toEqual([]);
    expect(await calls(new Date(Date.now() - 3600_000).toISOString())).toHaveLength(1);
  });

  it('matches contaId=14 whole; the bulk retry shows its count and first jobs, and refuses a count that changed', async () => {
    // Real failed jobs in Redis for tok-14 and tok-140 (a worker of this test fails them), recorded as the runner does.
    const queue = h.producer.queue('set');
    const data = { tenant: { empresaId: h.empresaA, filialId: null }, integracaoId: 19 };
    for (const id of ['tok-14', 'tok-140']) await queue.add('integration.run' as never, data as never, { jobId: id } as never);
    const connection = createRedis(TEST_REDIS_URL, { role: 'worker' });
    const worker = new Worker(
      'set',
      async () => {
        throw new Error('recusado-tok');
      },
      { connection, prefix: h.prefix },
    );
    const failed = async (id: string) => (await queue.getJob(id))?.failedReason;
    for (let i = 0; i < 200 && !((await failed('tok-14')) && (await failed('tok-140'))); i++) await new Promise((r) => setTimeout(r, 50));
    await worker.close();
    connection.disconnect();
    await recordJobEvents(h.database.db, [
      event(h.empresaA, 'tok-14', { parametros: { contaId: 14 } }),
      event(h.empresaA, 'tok-140', { parametros: { contaId: 140 } }),
      event(h.empresaA, 'tok-141', { parametros: { contaId: '141' } }),
      event(h.empresaA, 'tok-1', { parametros: { contaId: 1, filial: 14 } }),
    ]);

    const items = async (q: string) =>
      (await h.app.inject({ url: `/dashboard/api/jobs?estado=todos&q=${encodeURIComponent(q)}`, headers: asKey(h.keyA) }))
        .json()
        .items.map((i: { job_id: string }) => i.job_id);
    expect(await items('contaId=14')).toEqual(['tok-14']);
    expect(await items('contaid=141')).toEqual(['tok-141']);
    expect(await items('filial=14')).toEqual(['tok-1']);
    // A key=value word followed by more text still needs its whole value; plain text stays a substring.
    expect(await items('contaId=14 permanenterror')).toEqual(['tok-14']);
    expect(await items('contaid=1')).toEqual(['tok-1']);
    // A word is whole on both sides: the end of a key is no key.
    expect(await items('aid=14')).toEqual([]);
    expect((await items('tok-14')).sort()).toEqual(['tok-14', 'tok-140', 'tok-141']);

    const page = await loginAs('opa');
    await page.goto(`${h.url}/dashboard/falhas?q=${encodeURIComponent('contaId=14')}`);
    expect(await page.locator('#total').innerText()).toBe('1');
    await page.click('button[value=filtro]');
    await page.waitForSelector('#confirmacao');
    expect(await page.locator('#confirmacao').innerText()).toContain('Reprocessar 1 job que falhou');
    expect(await page.locator('#primeiros').innerText()).toBe('set/tok-14 Conta #14');
    // Nothing was retried by showing the confirmation.
    expect(await (await queue.getJob('tok-14'))?.getState()).toBe('failed');
    await page.click('#confirmar');
    await page.waitForSelector('text=Ação registrada: 1 job reprocessado.');
    expect(await (await queue.getJob('tok-14'))?.getState()).toBe('waiting');
    expect(await (await queue.getJob('tok-140'))?.getState()).toBe('failed');

    // A confirmed count the filter no longer finds (a form kept open while more failed): nothing retried, said why.
    const { cookie, csrf } = await h.login('opa');
    const stale = await h.app.inject({
      method: 'POST',
      url: '/dashboard/acoes/reprocessar',
      headers: { cookie },
      payload: { _csrf: csrf, modo: 'filtro', filtro_q: 'contaId=140', esperado: '5' },
    });
    expect(stale.statusCode).toBe(200);
    expect(stale.body).toContain('Nada foi reprocessado: o filtro agora encontra 1 job que falhou a reprocessar, não os 5 confirmados.');
    expect(stale.body).toContain('name="esperado" value="1"');
    expect(await (await queue.getJob('tok-140'))?.getState()).toBe('failed');
    const api = await h.app.inject({
      method: 'POST',
      url: '/dashboard/api/jobs/retry',
      headers: asKey(h.keyA),
      payload: { filter: { q: 'contaId=140' }, expected: 3 },
    });
    expect(api.statusCode).toBe(409);
    expect(api.json().error.code).toBe('BULK_COUNT_CHANGED');
    expect(await (await queue.getJob('tok-140'))?.getState()).toBe('failed');
    // Tenant B's key confirming A's count finds none of A's jobs.
    const other = await h.app.inject({
      method: 'POST',
      url: '/dashboard/api/jobs/retry',
      headers: asKey(h.keyB),
      payload: { filter: { q: 'contaId=140' }, expected: 1 },
    });
    expect(other.statusCode).toBe(409);
    expect(await (await queue.getJob('tok-140'))?.getState()).toBe('failed');
  }, 120000);

  it('labels the all-states option in words; names empresa and integration and shows the key parameters in each row', async () => {
    await recordJobEvents(h.database.db, [
      event(h.empresaA, 'names-a', { parametros: { contaId: 150, trigger: 'api' } }),
      event(h.empresaB, 'names-b', { parametros: { contaId: 151 } }),
    ]);
    const page = await loginAs('opa');
    await page.goto(`${h.url}/dashboard/falhas?q=names-`);
    expect(await page.locator('select[name=estado] option[value=todos]').innerText()).toBe('todos');
    const row = page.locator('tr[data-job="set/names-a"]');
    expect(await row.locator('td.empresa').innerText()).toMatch(/^Empresa SET \(#\d+\)$/);
    expect(await row.locator('td.integracao').innerText()).toBe('SET-WS-CONTAS (#19)');
    expect(await row.locator('code.parametros').innerText()).toBe('contaId=150');
    await page.goto(`${h.url}/dashboard/falhas?q=names-&lang=en`);
    expect(await page.locator('select[name=estado] option[value=todos]').innerText()).toBe('all');

    // Tenant B's record names integration 19, which is tenant A's: B sees the id, never A's name.
    const pageB = await loginAs('opb');
    await pageB.goto(`${h.url}/dashboard/falhas?q=names-`);
    const rowB = pageB.locator('tr[data-job="set/names-b"]');
    expect(await rowB.locator('td.empresa').innerText()).toMatch(/^Empresa B \(#\d+\)$/);
    expect(await rowB.locator('td.integracao').innerText()).toBe('#19');
    expect(await pageB.content()).not.toContain('SET-WS-CONTAS');
  }, 120000);

  it('offers no pause on a GET without a cron and refuses one server-side', async () => {
    const scheduled = await h.scheduledGet('GET-COM-CRON', '*/5 * * * *');
    const { id: onDemand } = await h.database.db
      .insertInto('integracao')
      .values({ nome: 'GET-SEM-CRON', tipo_servico: 'GET', ativo: 1, empresa_id: h.empresaA, empresa_filial_id: null, cron: null })
      .returning('id')
      .executeTakeFirstOrThrow();
    const page = await loginAs('opa');
    await page.goto(`${h.url}/dashboard/agendamentos`);
    const row = (nome: string) => page.locator('tr', { hasText: nome });
    expect(await row('GET-SEM-CRON').locator('button').allInnerTexts()).toEqual(['Executar agora']);
    expect(await row('GET-COM-CRON').locator('button').allInnerTexts()).toEqual(['Executar agora', 'Pausar']);

    const { cookie, csrf } = await h.login('opa');
    const form = await h.app.inject({
      method: 'POST',
      url: '/dashboard/acoes/agendamento',
      headers: { cookie },
      payload: { _csrf: csrf, empresa: String(h.empresaA), integracao: String(onDemand), modo: 'pausar' },
    });
    expect(form.statusCode).toBe(302);
    const back = await h.app.inject({ url: form.headers.location as string, headers: { cookie } });
    expect(back.body).toContain(`A integração #${onDemand} não tem agendamento (sem cron, inativa ou componente): não há o que pausar.`);
    const api = await h.app.inject({
      method: 'POST',
      url: `/dashboard/api/schedules/${onDemand}/pause`,
      headers: asKey(h.keyA),
      payload: {},
    });
    expect(api.statusCode).toBe(409);
    expect(api.json().error.code).toBe('NO_SCHEDULE');
    const paused = await h.database.db.selectFrom('auditoria_acoes').select('alvo').where('alvo', '=', `integracao/${onDemand}`).execute();
    expect(paused).toEqual([]);
    // A scheduled one still pauses (and resumes).
    const ok = await h.app.inject({
      method: 'POST',
      url: `/dashboard/api/schedules/${scheduled.id}/pause`,
      headers: asKey(h.keyA),
      payload: {},
    });
    expect(ok.json()).toEqual({ integracaoId: scheduled.id, paused: true });
  }, 120000);

  it("reaches a webhook endpoint's deliveries past the latest 20, by status; another tenant sees none of them", async () => {
    const input = { nome: 'CRM paginado', url: 'https://hooks.example.com/pag', gatilhos: ['contato.criado'] };
    const endpoint = (await createEndpoint(h.database.db, DEFAULT_WEBHOOK_SETTINGS, { empresaId: h.empresaA, filialId: null }, input)).id;
    const ids: number[] = [];
    for (let n = 1; n <= 45; n++) ids.push(await h.seedDelivery(h.empresaA, endpoint, n % 10 === 3 ? 'falhou' : 'pendente', 1000 + n));
    const page = await loginAs('opa');
    await page.goto(`${h.url}/dashboard/webhooks?empresa=${h.empresaA}`);
    const section = page.locator(`section[data-endpoint="${endpoint}"]`);
    const shown = () => section.locator('tr[data-entrega]').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-entrega'))));
    expect(await shown()).toEqual(ids.slice(25).reverse());
    await section.locator('a.mais-antigas').click();
    await page.waitForURL(/antes=/);
    expect(await shown()).toEqual(ids.slice(5, 25).reverse());
    await section.locator('a.mais-antigas').click();
    expect(await shown()).toEqual(ids.slice(0, 5).reverse());
    expect(await section.locator('a.mais-antigas').count()).toBe(0);

    await page.goto(`${h.url}/dashboard/webhooks?empresa=${h.empresaA}`);
    await page.selectOption('select[name=status]', 'falhou');
    await page.click('button:has-text("Filtrar")');
    await page.waitForURL(/status=falhou/);
    const failed = ids.filter((_, i) => (i + 1) % 10 === 3).reverse();
    expect(await shown()).toEqual(failed);

    const api = (await h.app.inject({ url: `/dashboard/api/webhooks?status=falhou&endpoint=${endpoint}`, headers: asKey(h.keyA) })).json();
    expect(api.items).toHaveLength(1);
    expect(api.items[0].deliveries.map((d: { id: number }) => d.id)).toEqual(failed);
    expect(api.items[0].nextCursor).toBeNull();
    const first = (await h.app.inject({ url: `/dashboard/api/webhooks?endpoint=${endpoint}`, headers: asKey(h.keyA) })).json();
    expect(first.items[0].nextCursor).toBe(ids[25]);
    const bad = await h.app.inject({ url: '/dashboard/api/webhooks?status=perdida', headers: asKey(h.keyA) });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toBe('Campo status inválido: esperado um de pendente, entregue, falhou, cancelada.');
    const other = (await h.app.inject({ url: `/dashboard/api/webhooks?endpoint=${endpoint}`, headers: asKey(h.keyB) })).json();
    expect(other.items).toEqual([]);
  }, 120000);
});
