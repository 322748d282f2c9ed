import { PermanentError } from '@integrador/integrador';
import { createLogger } from '@integrador/logging';
import { createJobRecorder, createRedis } from '@integrador/queue';
import { type JobEvent, recordAudit, recordJobEvent } from '@integrador/store';
import { launchBrowser } from '@integrador/test-support/browser';
import { TEST_REDIS_URL } from '@integrador/test-support/redis-server';
import { createEndpoint, DEFAULT_WEBHOOK_SETTINGS } from '@integrador/webhooks';
import { type Job, Worker } from 'bullmq';
import type { Browser, Page } from 'playwright-core';
import { CONTA } from './fixtures/set-ws-contas';
import { DashboardHarness } from './support/dashboard-harness';

/**
 * The operator trial's findings on the dashboard, as an operator sees them in a browser: one language per failure
 * (technical detail folded), the customer named, webhook retries apart from limit delays with one attempt count, a
 * recovered delivery not left as failed, confirmation and flash wording by kind, the audit's filter as fields in the
 * operator's zone, a failed click-to-call's reason on Ligações. Every read is checked with another tenant's ids.
 */
describe('dashboard: operator trial findings', () => {
  const h = new DashboardHarness();
  let browser: Browser;
  const logger = createLogger({ name: 'test', level: 'silent' });

  const record = (empresaId: number, fila: string, jobId: string, extra: Partial<JobEvent>) =>
    recordJobEvent(h.database.db, {
      empresaId,
      filialId: null,
      fila,
      jobId,
      nomeJob: 'integration.run',
      integracaoId: null,
      parametros: null,
      estado: 'falhou',
      tentativas: 1,
      maxTentativas: 6,
      erro: null,
      ...extra,
    });

  /** A job as the worker's recorder sees it (the fields toJobEvent reads). */
  const fakeJob = (id: string, data: Record<string, unknown>) =>
    ({ id, name: 'webhook.deliver', data, attemptsMade: 0, opts: { attempts: 10 } }) as unknown as Job;

  let contaB: number;
  let entregaA: number;
  let entregaB: number;

  beforeAll(async () => {
    await Promise.all([h.start(), launchBrowser().then((b) => (browser = b))]);
    const db = h.database.db;
    contaB = Number(
      (
        await db
          .insertInto('contas')
          .values({
            empresa_id: h.empresaB,
            nome: 'Cliente Secreto da B',
            cadastro_timestamp: new Date(),
            atualizado_em: new Date(),
          } as never)
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id,
    );
    // A dependency left without value, as the SET worker records it: the error's structured values, through the recorder.
    const recorder = createJobRecorder(h.database, logger, { flushMs: 1, startDelayMs: 0 });
    const dependency = new PermanentError(
      'DEPENDENCY_UNRESOLVED',
      'dependencias #3: required #cgc_cpf# has no value (the lookup found no row)',
      { params: { variavel: '#cgc_cpf#', dependenciaId: 3 } },
    );
    recorder.onJobEvent({
      queue: 'set',
      job: {
        id: 'dep-1',
        name: 'integration.run',
        data: { tenant: { empresaId: h.empresaA }, integracaoId: 19, parametros: { contaId: CONTA.id } },
        attemptsMade: 1,
        opts: { attempts: 6 },
      } as unknown as Job,
      kind: 'failed',
      final: true,
      error: dependency,
    });
    // Tenant B's job naming tenant A's conta id, and tenant A's job naming tenant B's: neither shows the other's name.
    await record(h.empresaB, 'set', 'b-conta', {
      parametros: { contaId: CONTA.id },
      erro: { classe: 'E', codigo: 'NO_RECORDS', mensagem: 'x' },
    });
    await record(h.empresaA, 'set', 'a-conta-b', {
      parametros: { contaId: contaB },
      erro: { classe: 'E', codigo: 'NO_RECORDS', mensagem: 'x' },
    });

    // Webhook deliveries: a retry wait on the schedule, and a final failure after 4 attempts, through the recorder.
    const endpoint = async (empresaId: number, url: string) =>
      (
        await createEndpoint(
          db,
          DEFAULT_WEBHOOK_SETTINGS,
          { empresaId, filialId: null },
          { nome: 'CRM', url, gatilhos: ['contato.criado'] },
        )
      ).id;
    entregaA = await h.seedDelivery(h.empresaA, await endpoint(h.empresaA, 'https://hooks.example.com/a'), 'entregue', 1);
    entregaB = await h.seedDelivery(h.empresaB, await endpoint(h.empresaB, 'https://hooks.example.com/b'), 'entregue', 2);
    recorder.onJobEvent({
      queue: 'webhook',
      job: fakeJob('wh-wait', { tenant: { empresaId: h.empresaA }, entregaId: 999 }),
      kind: 'delayed',
      error: Object.assign(new Error('retry after attempt 2'), { name: 'DelayedError', retryWait: true, attemptsMade: 2, maxAttempts: 5 }),
    });
    recorder.onJobEvent({
      queue: 'webhook',
      job: fakeJob('wh-limit', { tenant: { empresaId: h.empresaA }, entregaId: 998 }),
      kind: 'delayed',
      error: Object.assign(new Error('waiting: rate'), { name: 'DelayedError' }),
    });
    const gaveUp = Object.assign(new Error('gave up after 4 attempts: HTTP 500'), { code: 'WEBHOOK_DELIVERY_FAILED', attemptsMade: 4 });
    recorder.onJobEvent({
      queue: 'webhook',
      job: fakeJob('wh-recovered', { tenant: { empresaId: h.empresaA }, entregaId: entregaA }),
      kind: 'failed',
      final: true,
      error: gaveUp,
    });
    // Names tenant B's delivered delivery: tenant A's record stays failed.
    recorder.onJobEvent({
      queue: 'webhook',
      job: fakeJob('wh-other', { tenant: { empresaId: h.empresaA }, entregaId: entregaB }),
      kind: 'failed',
      final: true,
      error: gaveUp,
    });
    await recorder.drain();

    // A failed click-to-call: its ligacoes row and its job's record (c2c-<empresa>-<callId>, as the ingress names it).
    for (const [empresaId, conta] of [
      [h.empresaA, CONTA.id],
      [h.empresaB, CONTA.id],
    ] as const) {
      await db
        .insertInto('ligacoes')
        .values({
          empresa_id: empresaId,
          ramal: '201',
          telefone: '11999990000',
          direcao: 'saida',
          status: 'falhou',
          inicio: new Date(),
          sem_inicio: 0,
          conta_id: conta,
          evento_id: `call-${empresaId}`,
          erro: 'the PBX at http://pbx.example/call?de=***&para=*** could not be reached (ECONNREFUSED)',
        } as never)
        .execute();
      await record(empresaId, 'cti', `c2c-${empresaId}-call-${empresaId}`, {
        nomeJob: 'cti.click-to-call',
        erro: {
          classe: 'CtiError',
          codigo: 'PBX_UNREACHABLE',
          mensagem: 'the PBX at http://pbx.example/call?de=***&para=*** could not be reached',
        },
      });
    }
    await recordAudit(db, {
      autor: 'opa',
      operadorId: null,
      empresaId: h.empresaA,
      acao: 'retry',
      alvo: 'filtro',
      quantidade: 3,
      detalhe: { modo: 'filtro', filtro: { empresaId: h.empresaA, fila: 'get', desde: '2026-12-05T22:00:00.000Z' } },
    });
  }, 240000);

  afterAll(async () => {
    await browser?.close();
    await h.close();
  });

  function loginAs(login: string, locale = 'pt-BR'): Promise<Page> {
    return h.browserLogin(browser, login, { locale, timezoneId: 'America/Sao_Paulo' });
  }

  // First: the ingress keeps a SOAP receptor's WSDL once read, so the ERP is down before any detail page loads it.
  it('shows the bound query with the ERP down, the request said unavailable in one line', async () => {
    await h.erp.close();
    const page = await loginAs('opa');
    await page.goto(`${h.url}/dashboard/jobs/set/dep-1`);
    expect(await page.locator('pre.consulta').innerText()).toContain('FROM contas');
    expect(await page.locator('.requisicao-indisponivel').innerText()).toContain('não pôde ser alcançado agora');
    expect(await page.locator('main').innerText()).not.toMatch(/ECONNREFUSED|could not reach/);
    expect(await page.locator('main').innerText()).toContain('reconstruída agora com os dados atuais');
  }, 60000);

  it('shows one language per failure, names the missing dependency, folds the technical detail', async () => {
    const page = await loginAs('opa');
    await page.goto(`${h.url}/dashboard/falhas`);
    const row = page.locator('tr[data-job="set/dep-1"]');
    await row.waitFor();
    expect(await row.locator('.erro-motivo').innerText()).toBe(
      'a dependência obrigatória #cgc_cpf# da integração ficou sem valor (dependências #3)',
    );
    // The English class, code and message are there for support, folded: not visible until opened.
    expect(await row.locator('.erro-mensagem').isVisible()).toBe(false);
    expect(await row.innerText()).not.toMatch(/required|PermanentError/);
    await row.locator('summary:has-text("Detalhes técnicos")').click();
    expect(await row.locator('.erro-mensagem').innerText()).toContain('required #cgc_cpf# has no value');
    expect(await row.locator('.cliente').innerText()).toBe(`Conta ${CONTA.nome} (#${CONTA.id})`);
    // Tenant A's record naming tenant B's conta id: the id only.
    expect(await page.locator('tr[data-job="set/a-conta-b"] .cliente').innerText()).toBe(`Conta #${contaB}`);

    const en = await loginAs('opa', 'en');
    await en.goto(`${h.url}/dashboard/falhas?lang=en`);
    expect(await en.locator('tr[data-job="set/dep-1"] .erro-motivo').innerText()).toBe(
      'the required dependency #cgc_cpf# of the integration has no value (dependencias #3)',
    );
    expect(await en.locator('tr[data-job="set/dep-1"] summary').innerText()).toBe('Technical details');

    // Tenant B's operator: its own record naming conta 42 (tenant A's) shows no name; A's records are not listed.
    const b = await loginAs('opb');
    await b.goto(`${h.url}/dashboard/falhas`);
    expect(await b.locator('tr[data-job="set/b-conta"] .cliente').innerText()).toBe(`Conta #${CONTA.id}`);
    expect(await b.content()).not.toContain(CONTA.nome);
    expect(await b.locator('tr[data-job="set/dep-1"]').count()).toBe(0);
    await b.goto(`${h.url}/dashboard/jobs/set/dep-1`);
    expect(await b.content()).not.toContain(CONTA.nome);
  }, 60000);

  it('names the customer on the job detail and in the retry confirmation', async () => {
    const page = await loginAs('opa');
    await page.goto(`${h.url}/dashboard/jobs/set/dep-1`);
    expect(await page.locator('#cliente').innerText()).toBe(`Conta ${CONTA.nome} (#${CONTA.id})`);
    await page.goto(`${h.url}/dashboard/falhas?fila=set&q=dep-1`);
    await page.click('button[value=filtro]');
    await page.waitForSelector('#confirmacao');
    expect(await page.locator('#primeiros').innerText()).toBe(`set/dep-1 Conta ${CONTA.nome} (#${CONTA.id})`);
    expect(await page.locator('#confirmacao').innerText()).toContain('Os registros serão enviados de novo ao sistema de destino.');
  }, 60000);

  it('records a webhook retry as waiting to retry with its own attempt count, and a recovered delivery as recovered', async () => {
    const states = await h.database.db
      .selectFrom('registro_jobs')
      .select(['job_id', 'estado', 'tentativas', 'max_tentativas'])
      .where('fila', '=', 'webhook')
      .execute();
    const of = (id: string) => states.find((s) => s.job_id === id);
    expect(of('wh-wait')).toMatchObject({ estado: 'aguardando_retentativa', tentativas: 2, max_tentativas: 5 });
    expect(of('wh-limit')).toMatchObject({ estado: 'adiado' });
    expect(of('wh-recovered')).toMatchObject({ estado: 'falhou', tentativas: 4, max_tentativas: 4 });

    const page = await loginAs('opa');
    await page.goto(`${h.url}/dashboard/falhas?fila=webhook`);
    expect(await page.locator('tr[data-job="webhook/wh-recovered"] .estado').innerText()).toBe('recuperado (entregue depois)');
    expect(await page.locator('tr[data-job="webhook/wh-recovered"] td.num').innerText()).toBe('4/4');
    // The entregaId of tenant B's delivered delivery does not make tenant A's failure look recovered.
    expect(await page.locator('tr[data-job="webhook/wh-other"] .estado').innerText()).toBe('falhou');
    // The overview counts the retry wait as a retry, the limit's wait as delayed.
    await page.goto(`${h.url}/dashboard`);
    expect(await page.locator('b[data-live-count="adiado"]').innerText()).toBe('1');
  }, 60000);

  it('words a GET retry without "sending", and a webhook action in deliveries', async () => {
    await record(h.empresaA, 'get', 'get-1', { integracaoId: null, erro: { classe: 'E', codigo: 'LOGIN_REFUSED', mensagem: 'refused' } });
    const page = await loginAs('opa');
    await page.goto(`${h.url}/dashboard/falhas?fila=get`);
    await page.click('button[value=filtro]');
    await page.waitForSelector('#confirmacao');
    const text = await page.locator('#confirmacao').innerText();
    expect(text).toContain('nada é enviado ao sistema de origem');
    expect(text).not.toContain('sistema de destino');
    // A scheduled run's id (BullMQ's repeat:<scheduler>:<time>) reads as the schedule of its integration at its time.
    await record(h.empresaA, 'get', 'repeat:get-e1-i19:1796508900000', {
      integracaoId: 19,
      erro: { classe: 'E', codigo: 'LOGIN_REFUSED', mensagem: 'refused' },
    });
    await page.goto(`${h.url}/dashboard/falhas?fila=get`);
    expect(await page.locator('tr[data-job="get/repeat:get-e1-i19:1796508900000"] a').innerText()).toBe(
      'agendamento de SET-WS-CONTAS às 05/12/2026, 19:15',
    );
    await page.goto(`${h.url}/dashboard/webhooks?empresa=${h.empresaA}&feito=3`);
    await page.waitForSelector('text=Ação registrada: 3 entregas de webhook.');
  }, 60000);

  it("shows a schedule's last failure in one language, its English detail folded", async () => {
    const { id } = await h.scheduledGet('GET-AGENDA', '0 * * * *');
    await record(h.empresaA, 'get', 'get-agenda-1', {
      integracaoId: id,
      erro: { classe: 'GetConfigError', codigo: 'LOGIN_REFUSED', mensagem: 'ERP source "erp_db" refused the login' },
    });
    const page = await loginAs('opa');
    await page.goto(`${h.url}/dashboard/agendamentos`);
    const row = page.locator('tr', { hasText: 'GET-AGENDA' });
    expect(await row.locator('.erro-motivo').innerText()).toBe(
      'o banco de origem (ERP) recusou o login: confira o usuário e a senha da conexão',
    );
    expect(await row.locator('details').isVisible()).toBe(true);
    expect(await row.locator('details .erro-mensagem').isVisible()).toBe(false);
    expect(await row.innerText()).not.toContain('refused the login');
  }, 60000);

  it('shows the audit filter as labelled fields, its times in the viewer zone', async () => {
    const page = await loginAs('opa');
    await page.goto(`${h.url}/dashboard/auditoria`);
    const detail = page.locator('dl.auditoria-detalhe').first();
    expect(await detail.locator('dd[data-campo="desde"]').innerText()).toBe('05/12/2026, 19:00:00');
    expect(await detail.locator('dd[data-campo="fila"]').innerText()).toBe('get');
    expect(await page.locator('tbody').innerText()).not.toMatch(/2026-12-05T22:00|\{"/);
  }, 60000);

  it("shows a failed click-to-call's reason and the customer on Ligações, bound to the tenant", async () => {
    const page = await loginAs('opa');
    await page.goto(`${h.url}/dashboard/ligacoes?empresa=${h.empresaA}`);
    const row = page.locator('#ligacoes tbody tr').first();
    expect(await row.locator('.erro-motivo').innerText()).toBe('o PABX não pôde ser alcançado');
    expect(await row.locator('.cliente').innerText()).toBe(`${CONTA.nome} (#${CONTA.id})`);
    const b = await loginAs('opb');
    await b.goto(`${h.url}/dashboard/ligacoes?empresa=${h.empresaB}`);
    const rowB = b.locator('#ligacoes tbody tr').first();
    expect(await rowB.locator('.erro-motivo').innerText()).toBe('o PABX não pôde ser alcançado');
    expect(await rowB.locator('.cliente').innerText()).toBe(`Conta #${CONTA.id}`);
    // Tenant B cannot read tenant A's calls by asking for its empresa.
    await b.goto(`${h.url}/dashboard/ligacoes?empresa=${h.empresaA}`);
    expect(await b.content()).not.toContain(CONTA.nome);
  }, 60000);

  it("refuses a failed click-to-call's retry in the API's and the CLI's words, on its page and in the dashboard API (trial finding 7)", async () => {
    // The failed click-to-call of beforeAll, live in Redis as worker-cti leaves it (failed for good).
    const jobId = `c2c-${h.empresaA}-call-${h.empresaA}`;
    const queue = h.producer.queue('cti');
    await queue.add(
      'cti.click-to-call' as never,
      { tenant: { empresaId: h.empresaA, filialId: null } } as never,
      { jobId, attempts: 1 } as never,
    );
    const connection = createRedis(TEST_REDIS_URL, { role: 'worker' });
    const worker = new Worker(
      'cti',
      async () => {
        throw new Error('the PBX could not be reached');
      },
      { connection, prefix: h.prefix },
    );
    try {
      for (let i = 0; i < 200 && (await queue.getJobState(jobId)) !== 'failed'; i++) await new Promise((r) => setTimeout(r, 25));
    } finally {
      await worker.close();
      connection.disconnect();
    }
    const page = await loginAs('opa');
    await page.goto(`${h.url}/dashboard/jobs/cti/${jobId}`);
    await page.locator('form.job-actions button[name=modo][value=selecao]').click();
    await page.waitForSelector('.flash.err');
    expect(await page.locator('.flash').innerText()).toBe(
      `O job cti/${jobId} não foi reprocessado: um click-to-call que falhou não é reprocessado (o clique já expirou e a nova tentativa só falharia de novo); peça ao agente que clique de novo.`,
    );
    const api = await h.app.inject({
      method: 'POST',
      url: '/dashboard/api/jobs/retry',
      headers: { authorization: `Bearer ${h.keyA}`, 'accept-language': 'en' },
      payload: { jobs: [{ queue: 'cti', id: jobId }] },
    });
    expect([api.statusCode, api.json().error]).toEqual([
      409,
      {
        code: 'JOB_NOT_RETRYABLE',
        message: `Job cti/${jobId} was not retried: a failed click-to-call is not retried (the click has expired and a new attempt could only fail again); ask the agent to click again.`,
      },
    ]);
    // Tenant B's key does not reach it; the job stays failed.
    const b = await h.app.inject({
      method: 'POST',
      url: '/dashboard/api/jobs/retry',
      headers: { authorization: `Bearer ${h.keyB}` },
      payload: { jobs: [{ queue: 'cti', id: jobId }] },
    });
    // Not found for B (as another tenant's job is): not an error of another kind, which `done ?? 0` let pass.
    expect([b.statusCode, b.json()]).toEqual([200, { done: 0, skipped: 0, notFound: 1, skippedReasons: {} }]);
    expect(await queue.getJobState(jobId)).toBe('failed');
  }, 60000);

  it('names the agent of each call (user and ramal), marks an end without a start, filters by ramal; bound to the tenant (CTI trial)', async () => {
    const db = h.database.db;
    const usuario = async (empresaId: number, nome: string) =>
      Number(
        (await db.insertInto('usuarios').values({ empresa_id: empresaId, nome, ramal: '3591' }).returning('id').executeTakeFirstOrThrow())
          .id,
      );
    const agents = [
      [h.empresaA, await usuario(h.empresaA, 'Ana Agente')],
      [h.empresaB, await usuario(h.empresaB, 'Bia da B')],
    ] as const;
    // An end the PBX sent without its start (sem_inicio), as worker-cti logs it: its time is the end's, no duration.
    for (const [empresaId, usuarioId] of agents)
      await db
        .insertInto('ligacoes')
        .values({
          empresa_id: empresaId,
          usuario_id: usuarioId,
          ramal: '3591',
          telefone: '11988887777',
          direcao: 'entrada',
          status: 'finalizada',
          inicio: new Date(),
          fim: new Date(),
          sem_inicio: 1,
        } as never)
        .execute();
    const page = await loginAs('opa');
    await page.goto(`${h.url}/dashboard/ligacoes?empresa=${h.empresaA}`);
    expect(await page.locator('#ligacoes thead').innerText()).toContain('Agente (ramal)');
    const row = page.locator('#ligacoes tbody tr', { hasText: '11988887777' });
    expect(await row.locator('td.agente').innerText()).toBe('Ana Agente (3591)');
    const mark = row.locator('.sem-inicio');
    expect(await mark.isVisible()).toBe(true);
    expect(await mark.innerText()).toBe('sem início');
    expect(await mark.getAttribute('title')).toContain('não o início');
    // A call with no usuario shows its ramal alone; a call with its start has no mark.
    const failed = page.locator('#ligacoes tbody tr', { hasText: '11999990000' });
    expect(await failed.locator('td.agente').innerText()).toBe('201');
    expect(await failed.locator('.sem-inicio').count()).toBe(0);
    // The ramal filter reads the PBX's channel form as the extension; a ramal no rule takes is refused naming it.
    await page.goto(`${h.url}/dashboard/ligacoes?empresa=${h.empresaA}&ramal=${encodeURIComponent('SIP/3591')}`);
    expect(await page.locator('#ligacoes tbody tr').count()).toBe(1);
    expect(await page.locator('#ligacoes tbody tr td.agente').innerText()).toBe('Ana Agente (3591)');
    const refused = await page.goto(`${h.url}/dashboard/ligacoes?empresa=${h.empresaA}&ramal=${encodeURIComponent('35 91')}`);
    expect(refused?.status()).toBe(400);
    expect(await page.locator('.flash').innerText()).toContain('Campo Ramal inválido');
    // The dashboard API lists the same calls as items (calls: the deprecated alias), each with its sem_inicio.
    const api = (
      await h.app.inject({ url: `/dashboard/api/calls?empresa=${h.empresaA}&ramal=3591`, headers: { authorization: `Bearer ${h.keyA}` } })
    ).json();
    expect(api.items).toHaveLength(1);
    expect(api.items[0]).toMatchObject({ ramal: '3591', sem_inicio: 1 });
    expect(api.calls).toEqual(api.items);
    const en = await loginAs('opa', 'en');
    await en.goto(`${h.url}/dashboard/ligacoes?empresa=${h.empresaA}&lang=en`);
    expect(await en.locator('#ligacoes tbody tr', { hasText: '11988887777' }).locator('.sem-inicio').innerText()).toBe('no start');
    // Tenant B sees its own agent, never tenant A's.
    const b = await loginAs('opb');
    await b.goto(`${h.url}/dashboard/ligacoes?empresa=${h.empresaB}`);
    expect(await b.locator('#ligacoes tbody tr', { hasText: '11988887777' }).locator('td.agente').innerText()).toBe('Bia da B (3591)');
    await b.goto(`${h.url}/dashboard/ligacoes?empresa=${h.empresaA}`);
    expect(await b.content()).not.toContain('Ana Agente');
  }, 60000);
});
