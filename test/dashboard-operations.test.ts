import { reconcileSchedules } from '@integrador/integrador';
import { isTenantPaused } from '@integrador/queue';
import { createFilial, issueApiKey, recordJobEvent } from '@integrador/store';
import { RUNNABLE_GET_SETTINGS } from '@integrador/test-support/get-rows';
import { createEndpoint, DEFAULT_WEBHOOK_SETTINGS } from '@integrador/webhooks';
import { DashboardHarness } from './support/dashboard-harness';

const asKey = (key: string) => ({ authorization: `Bearer ${key}` });

/**
 * The dashboard's tenant pause, CTI call log and webhook deliveries against the real PostgreSQL and Redis: every
 * action through a session (with CSRF) and a tenant API key, audited, refused to a leitor, and walled per tenant by
 * list, count and id in the URL.
 */
describe('dashboard operations: tenant pause, calls, webhooks', () => {
  const h = new DashboardHarness();
  let endpointA: number;
  let endpointB: number;
  let failedA: number;
  let deliveredA: number;
  let deliveryB: number;

  beforeAll(async () => {
    await h.start();
    await h.seedCall(h.empresaA, '(11) 3333-4444', 'https://pbx.example.com/gravacoes/a1.mp3');
    await h.seedCall(h.empresaA, '(21) 98888-7777', 'javascript:alert(1)');
    await h.seedCall(h.empresaB, '(11) 3333-4444', 'https://pbx.example.com/gravacoes/b1.mp3');
    const input = { nome: 'CRM A', url: 'https://hooks.example.com/a', gatilhos: ['contato.criado'] };
    endpointA = (await createEndpoint(h.database.db, DEFAULT_WEBHOOK_SETTINGS, { empresaId: h.empresaA, filialId: null }, input)).id;
    endpointB = (
      await createEndpoint(h.database.db, DEFAULT_WEBHOOK_SETTINGS, { empresaId: h.empresaB, filialId: null }, { ...input, nome: 'CRM B' })
    ).id;
    failedA = await h.seedDelivery(h.empresaA, endpointA, 'falhou', 1);
    deliveredA = await h.seedDelivery(h.empresaA, endpointA, 'entregue', 2);
    deliveryB = await h.seedDelivery(h.empresaB, endpointB, 'falhou', 3);
  }, 240000);

  afterAll(async () => {
    await h.close();
  });

  const audit = async () =>
    (await h.app.inject({ url: '/dashboard/api/audit', headers: asKey(h.keyA) }))
      .json()
      .items.map((e: { acao: string; quantidade: number }) => `${e.acao} ${e.quantidade}`);

  it('takes /dashboard/ as /dashboard: to the login without a session, to the overview with one', async () => {
    const anonymous = await h.app.inject({ url: '/dashboard/' });
    expect(anonymous.statusCode).toBe(302);
    expect(anonymous.headers.location).toBe('/dashboard/login');
    const { cookie } = await h.login('opa');
    const signedIn = await h.app.inject({ url: '/dashboard/?lang=en', headers: { cookie } });
    expect(signedIn.statusCode).toBe(302);
    expect(signedIn.headers.location).toBe('/dashboard?lang=en');
  });

  it('pauses and resumes a whole tenant: schedules gone (and kept gone), workers told; audited; leitor and other tenant refused', async () => {
    const { scheduled } = await h.scheduledGet('GET-TENANT', '0 4 * * *');
    expect(await scheduled()).toBe(true);

    const leitora = await h.login('leitora');
    const refused = await h.app.inject({
      method: 'POST',
      url: `/dashboard/api/tenants/${h.empresaA}/pause`,
      headers: { cookie: leitora.cookie, 'x-csrf-token': leitora.csrf },
      payload: {},
    });
    expect(refused.statusCode).toBe(403);
    const other = await h.app.inject({
      method: 'POST',
      url: `/dashboard/api/tenants/${h.empresaA}/pause`,
      headers: asKey(h.keyB),
      payload: {},
    });
    expect(other.statusCode).toBe(404);
    expect(await isTenantPaused(h.redis, h.prefix, h.empresaA)).toBe(false);

    const { cookie, csrf } = await h.login('opa');
    const pause = await h.app.inject({
      method: 'POST',
      url: `/dashboard/api/tenants/${h.empresaA}/pause`,
      headers: { cookie, 'x-csrf-token': csrf },
      payload: {},
    });
    expect(pause.json()).toEqual({ empresaId: h.empresaA, paused: true });
    expect(await isTenantPaused(h.redis, h.prefix, h.empresaA)).toBe(true);
    expect(await isTenantPaused(h.redis, h.prefix, h.empresaB)).toBe(false);
    expect(await scheduled()).toBe(false);
    // worker-get's periodic reconcile keeps it paused, and rewrites the workers' copy from the database.
    await h.redis.del(`${h.prefix}:tenants:paused`);
    await reconcileSchedules(h.database.db, h.producer, { tz: 'America/Sao_Paulo' });
    expect(await scheduled()).toBe(false);
    expect(await isTenantPaused(h.redis, h.prefix, h.empresaA)).toBe(true);
    expect((await h.app.inject({ url: '/dashboard/agendamentos', headers: { cookie } })).body).toContain('empresa pausada');

    const resume = await h.app.inject({
      method: 'POST',
      url: `/dashboard/api/tenants/${h.empresaA}/resume`,
      headers: asKey(h.keyA),
      payload: {},
    });
    expect(resume.json()).toEqual({ empresaId: h.empresaA, paused: false });
    expect(await isTenantPaused(h.redis, h.prefix, h.empresaA)).toBe(false);
    expect(await scheduled()).toBe(true);
    expect(await audit()).toEqual(expect.arrayContaining(['pause-tenant 1', 'resume-tenant 0']));
  });

  it('lists the calls of the tenant with the recording link, filtered by number and time; never the other tenant', async () => {
    const calls = (await h.app.inject({ url: '/dashboard/api/calls', headers: asKey(h.keyA) })).json();
    expect(calls.calls).toHaveLength(2);
    const byNumber = (await h.app.inject({ url: '/dashboard/api/calls?telefone=1133334444', headers: asKey(h.keyA) })).json();
    expect(byNumber.calls.map((c: { url_audio: string }) => c.url_audio)).toEqual(['https://pbx.example.com/gravacoes/a1.mp3']);
    const future = new Date(Date.now() + 3600_000).toISOString();
    expect((await h.app.inject({ url: `/dashboard/api/calls?desde=${future}`, headers: asKey(h.keyA) })).json().calls).toEqual([]);
    // A date it cannot read (an impossible day, a word) is refused naming the field, as the failures filter does: never
    // rolled over (2026-02-30 was read as 2 March) nor dropped (all the calls).
    for (const [query, field] of [
      ['desde=2026-02-30', 'desde'],
      ['desde=2026-02-30T10:00', 'desde'],
      ['ate=ontem', 'ate'],
    ]) {
      const refused = await h.app.inject({ url: `/dashboard/api/calls?${query}`, headers: asKey(h.keyA) });
      expect([query, refused.statusCode, refused.json().error.code, refused.json().error.message]).toEqual([
        query,
        400,
        'VALIDATION_FAILED',
        expect.stringMatching(new RegExp(`^Campo querystring\\.${field} inválido: esperado uma data`)),
      ]);
    }
    // Tenant B's key asking for tenant A's calls: 404, and its own list holds only its call.
    expect((await h.app.inject({ url: `/dashboard/api/calls?empresa=${h.empresaA}`, headers: asKey(h.keyB) })).statusCode).toBe(404);
    const own = (await h.app.inject({ url: '/dashboard/api/calls', headers: asKey(h.keyB) })).json();
    expect(own.calls.map((c: { empresa_id: number }) => c.empresa_id)).toEqual([h.empresaB]);

    const opb = await h.login('opb');
    // Another empresa's id: the not-found page (trial L5), nothing of A's; B's own page lists B's calls only.
    const foreign = await h.app.inject({ url: `/dashboard/ligacoes?empresa=${h.empresaA}`, headers: { cookie: opb.cookie } });
    expect(foreign.statusCode).toBe(404);
    expect(foreign.body).not.toContain('a1.mp3');
    const page = await h.app.inject({ url: '/dashboard/ligacoes', headers: { cookie: opb.cookie } });
    expect(page.body).toContain('b1.mp3');
    expect(page.body).not.toContain('a1.mp3');
    const opa = await h.login('opa');
    const pageA = (await h.app.inject({ url: '/dashboard/ligacoes', headers: { cookie: opa.cookie } })).body;
    expect(pageA).toContain('href="https://pbx.example.com/gravacoes/a1.mp3"');
    const badDate = await h.app.inject({ url: '/dashboard/ligacoes?desde=2026-02-30T10:00', headers: { cookie: opa.cookie } });
    expect([badDate.statusCode, badDate.headers['content-type']]).toEqual([400, expect.stringMatching(/^text\/html/)]);
    expect(badDate.body).toContain('Campo Desde inválido: esperado uma data');
    // The page with its filter to correct, not the failures page.
    expect(badDate.body).toContain('name="telefone"');
    expect(pageA).not.toContain('href="javascript:');
  });

  it('says under a call the hub ended (não atendida) why it ended, and nothing under a call the PBX ended', async () => {
    const calls = () =>
      h.database.db.updateTable('ligacoes').where('empresa_id', '=', h.empresaA).where('telefone', '=', '(21) 98888-7777');
    await calls().set({ status: 'não atendida' }).execute();
    try {
      const opa = await h.login('opa');
      const page = (await h.app.inject({ url: '/dashboard/ligacoes', headers: { cookie: opa.cookie } })).body;
      expect(page).toContain(
        'não atendida<div class="muted">encerrada pelo hub: tocou além de CTI_RING_TIMEOUT_MS sem a central enviar o fim',
      );
      expect(page.match(/encerrada pelo hub/g)).toHaveLength(1);
    } finally {
      await calls().set({ status: 'finalizada' }).execute();
    }
  });

  it('shows endpoints with deliveries and attempts; resends one and recovers failures since a time, audited; walled', async () => {
    const list = (await h.app.inject({ url: '/dashboard/api/webhooks', headers: asKey(h.keyA) })).json();
    expect(list.items.map((e: { id: number }) => e.id)).toEqual([endpointA]);
    expect(list.items[0].deliveries.map((d: { id: number }) => d.id).sort()).toEqual([failedA, deliveredA].sort());
    const attempts = await h.app.inject({
      url: `/dashboard/api/webhooks/${endpointA}/deliveries/${failedA}/attempts`,
      headers: asKey(h.keyA),
    });
    expect(attempts.json().items[0]).toMatchObject({ status_http: 500, erro: 'HTTP 500 do endpoint A' });

    // Tenant B: neither A's endpoint nor A's delivery by id, in any combination.
    const b = asKey(h.keyB);
    expect(
      (await h.app.inject({ url: `/dashboard/api/webhooks/${endpointA}/deliveries/${failedA}/attempts`, headers: b })).statusCode,
    ).toBe(404);
    expect(
      (await h.app.inject({ url: `/dashboard/api/webhooks/${endpointB}/deliveries/${failedA}/attempts`, headers: b })).statusCode,
    ).toBe(404);
    const crossResend = await h.app.inject({
      method: 'POST',
      url: `/dashboard/api/webhooks/${endpointA}/deliveries/${failedA}/resend`,
      headers: b,
      payload: {},
    });
    expect(crossResend.statusCode).toBe(404);
    const crossRecover = await h.app.inject({
      method: 'POST',
      url: `/dashboard/api/webhooks/${endpointA}/recover`,
      headers: b,
      payload: { since: new Date(0).toISOString() },
    });
    expect(crossRecover.statusCode).toBe(404);
    expect((await h.app.inject({ url: `/dashboard/api/webhooks?empresa=${h.empresaA}`, headers: b })).statusCode).toBe(404);
    const opb = await h.login('opb');
    // Another empresa's id: the not-found page (trial L5), nothing of A's; B's own page lists B's endpoints only.
    const foreign = await h.app.inject({ url: `/dashboard/webhooks?empresa=${h.empresaA}`, headers: { cookie: opb.cookie } });
    expect(foreign.statusCode).toBe(404);
    expect(foreign.body).not.toContain('CRM A');
    const pageB = (await h.app.inject({ url: '/dashboard/webhooks', headers: { cookie: opb.cookie } })).body;
    expect(pageB).toContain('CRM B');
    expect(pageB).not.toContain('CRM A');

    const leitora = await h.login('leitora');
    const readerResend = await h.app.inject({
      method: 'POST',
      url: `/dashboard/api/webhooks/${endpointA}/deliveries/${failedA}/resend`,
      headers: { cookie: leitora.cookie, 'x-csrf-token': leitora.csrf },
      payload: {},
    });
    expect(readerResend.statusCode).toBe(403);

    const { cookie, csrf } = await h.login('opa');
    const resend = await h.app.inject({
      method: 'POST',
      url: `/dashboard/api/webhooks/${endpointA}/deliveries/${failedA}/resend`,
      headers: { cookie, 'x-csrf-token': csrf },
      payload: {},
    });
    expect(resend.statusCode).toBe(202);
    const job = await h.producer.getJob('webhook', resend.json().jobId);
    expect(job?.data).toMatchObject({ entregaId: failedA, endpointId: endpointA, manual: true, tenant: { empresaId: h.empresaA } });
    // The resend claimed the delivery: pending under its job, the row naming the job's claim.
    const claimed = await h.database.db
      .selectFrom('webhook_entregas')
      .select(['status', 'recuperacao'])
      .where('id', '=', failedA)
      .executeTakeFirstOrThrow();
    expect(claimed).toEqual({ status: 'pendente', recuperacao: (job?.data as { recuperacao?: string } | undefined)?.recuperacao });
    expect(resend.json().jobId).toBe(`whv-${failedA}-${claimed.recuperacao}`);
    // A recover now leaves it to the resend's job (one attempt between them).
    const whileClaimed = await h.app.inject({
      method: 'POST',
      url: `/dashboard/api/webhooks/${endpointA}/recover`,
      headers: asKey(h.keyA),
      payload: { since: new Date(Date.now() - 3600_000).toISOString() },
    });
    expect(whileClaimed.json()).toEqual({ recovered: 0, falhou: 0, cancelada: 0 });
    // Its attempt failed (no delivery worker runs here: the row is set as that attempt leaves it).
    await h.database.db.updateTable('webhook_entregas').set({ status: 'falhou' }).where('id', '=', failedA).execute();

    const recover = await h.app.inject({
      method: 'POST',
      url: `/dashboard/api/webhooks/${endpointA}/recover`,
      headers: asKey(h.keyA),
      payload: { since: new Date(Date.now() - 3600_000).toISOString() },
    });
    expect(recover.json()).toEqual({ recovered: 1, falhou: 1, cancelada: 0 });
    const restarted = await h.database.db
      .selectFrom('webhook_entregas')
      .select('status')
      .where('id', '=', failedA)
      .executeTakeFirstOrThrow();
    expect(restarted.status).toBe('pendente');
    const untouched = await h.database.db
      .selectFrom('webhook_entregas')
      .select('status')
      .where('id', '=', deliveryB)
      .executeTakeFirstOrThrow();
    expect(untouched.status).toBe('falhou');
    const bad = await h.app.inject({
      method: 'POST',
      url: `/dashboard/api/webhooks/${endpointA}/recover`,
      headers: asKey(h.keyA),
      payload: { since: 'ontem' },
    });
    expect(bad.statusCode).toBe(400);
    expect(await audit()).toEqual(expect.arrayContaining(['webhook-resend 1', 'webhook-recover 1']));
  });

  it('a filial key may not run an empresa-wide GET (403 FILIAL_SCOPE, API and dashboard): its rows would move into the filial; its own filial GET runs', async () => {
    const filial = await createFilial(h.database.db, h.empresaA, 'Filial GET');
    const keyFilial = await issueApiKey(h.database.db, h.empresaA, filial, 'filial-get');
    const filialB = await issueApiKey(
      h.database.db,
      h.empresaB,
      await createFilial(h.database.db, h.empresaB, 'Filial B GET'),
      'filial-b-get',
    );
    const { id } = await h.database.db
      .insertInto('integracao')
      .values({
        nome: 'GET-EMPRESA',
        tipo_servico: 'GET',
        ativo: 1,
        empresa_id: h.empresaA,
        empresa_filial_id: null,
        ...RUNNABLE_GET_SETTINGS,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const run = (key: string, url: string) => h.app.inject({ method: 'POST', url, headers: asKey(key), payload: {} });
    for (const url of [`/v1/integrations/${id}/run`, `/dashboard/api/integrations/${id}/run`]) {
      const refused = await run(keyFilial, url);
      expect([url, refused.statusCode, refused.json().error.code]).toEqual([url, 403, 'FILIAL_SCOPE']);
      expect(refused.json().error.message).toContain('pertence à empresa toda');
      expect([url, (await run(filialB, url)).statusCode]).toEqual([url, 404]);
    }
    expect((await run(h.keyA, `/v1/integrations/${id}/run`)).statusCode).toBe(202);
    // The same GET bound to the key's filial is the filial's own: admitted.
    await h.database.db.updateTable('integracao').set({ empresa_filial_id: filial }).where('id', '=', id).execute();
    expect((await run(keyFilial, `/dashboard/api/integrations/${id}/run`)).statusCode).toBe(202);
  });

  it("a filial key of the empresa may not pause it, pause an empresa-wide schedule, resend or recover (403 FILIAL_SCOPE); a disabled endpoint's resend and recover are 409 and hidden", async () => {
    const keyFilial = await issueApiKey(h.database.db, h.empresaA, await createFilial(h.database.db, h.empresaA, 'Filial 1'), 'filial');
    const filialB = await issueApiKey(h.database.db, h.empresaB, await createFilial(h.database.db, h.empresaB, 'Filial B'), 'filial-b');
    const { id: scheduleId } = await h.scheduledGet('GET-FILIAL', '0 5 * * *');
    const post = (key: string, url: string, payload: object = {}) => h.app.inject({ method: 'POST', url, headers: asKey(key), payload });
    const since = new Date(Date.now() - 3600_000).toISOString();
    const actions: Array<[string, object?]> = [
      [`/dashboard/api/tenants/${h.empresaA}/pause`],
      [`/dashboard/api/tenants/${h.empresaA}/resume`],
      [`/dashboard/api/schedules/${scheduleId}/pause`],
      [`/dashboard/api/webhooks/${endpointA}/deliveries/${failedA}/resend`],
      [`/dashboard/api/webhooks/${endpointA}/recover`, { since }],
    ];
    for (const [url, payload] of actions) {
      const refused = await post(keyFilial, url, payload);
      expect([url, refused.statusCode, refused.json().error.code]).toEqual([url, 403, 'FILIAL_SCOPE']);
      // The engine's words for the filial rule, as /v1 answers them (one catalogue: packages/integrador run-refusals.ts).
      expect(refused.json().error.message).toContain('pertence à empresa toda ou a outra filial; a chave da filial');
      expect([url, (await post(filialB, url, payload)).statusCode]).toEqual([url, 404]);
    }
    expect(await isTenantPaused(h.redis, h.prefix, h.empresaA)).toBe(false);
    // Reads stay open to it.
    expect((await h.app.inject({ url: '/dashboard/api/webhooks', headers: asKey(keyFilial) })).statusCode).toBe(200);

    await h.database.db
      .updateTable('webhook_endpoints')
      .set({ ativo: 0, desativado_motivo: JSON.stringify({ code: 'GONE', status: 410 }) })
      .where('id', '=', endpointA)
      .execute();
    const resend = await post(h.keyA, `/dashboard/api/webhooks/${endpointA}/deliveries/${failedA}/resend`);
    expect(resend.statusCode).toBe(409);
    expect(resend.json().error).toEqual({ code: 'WEBHOOK_DISABLED', message: expect.stringMatching(/^webhook desativado: reative-o/) });
    expect((await post(h.keyA, `/dashboard/api/webhooks/${endpointA}/recover`, { since })).statusCode).toBe(409);
    const { cookie, csrf } = await h.login('opa');
    const page = (await h.app.inject({ url: `/dashboard/webhooks?empresa=${h.empresaA}`, headers: { cookie } })).body;
    expect(page).toContain('desativado: o destino respondeu 410');
    expect(page).not.toContain('webhook-reenviar');
    expect(page).not.toContain('webhook-recuperar');
    // A page loaded before the disabling still has the forms: their posts come back to the page, which says why.
    const forms: Array<[string, object]> = [
      ['/dashboard/acoes/webhook-reenviar', { entrega: String(failedA) }],
      ['/dashboard/acoes/webhook-recuperar', { desde: since }],
    ];
    for (const [url, fields] of forms) {
      const posted = await h.app.inject({
        method: 'POST',
        url,
        headers: { cookie },
        payload: { _csrf: csrf, empresa: String(h.empresaA), endpoint: String(endpointA), ...fields },
      });
      expect([url, posted.statusCode, posted.headers.location]).toEqual([
        url,
        302,
        // Not `endpoint=`: that is the deliveries filter, which the page would apply.
        `/dashboard/webhooks?empresa=${h.empresaA}&recusado=WEBHOOK_DISABLED&recusadoEndpoint=${endpointA}`,
      ]);
    }
    const back = await h.app.inject({
      url: `/dashboard/webhooks?empresa=${h.empresaA}&recusado=WEBHOOK_DISABLED&recusadoEndpoint=${endpointA}`,
      headers: { cookie },
    });
    expect(back.body).toContain(`webhook desativado: reative-o (PATCH /v1/webhooks/${endpointA} com`);
    // Only the codes the actions redirect with are worded; anything else in the address is not echoed.
    const forged = await h.app.inject({
      url: `/dashboard/webhooks?empresa=${h.empresaA}&recusado=%3Cb%3Exss&recusadoEndpoint=1`,
      headers: { cookie },
    });
    expect(forged.body).not.toContain('xss');
  });

  /** A delivery of A's endpoint in `status` whose job failed for good and is on the failures page: the job's id. */
  const failedDeliveryJob = async (status: string, n: number) => {
    const entregaId = await h.seedDelivery(h.empresaA, endpointA, status, n);
    const jobId = `whd-${entregaId}`;
    const data = { tenant: { empresaId: h.empresaA, filialId: null }, entregaId, endpointId: endpointA };
    await h.failJobs('webhook', 'webhook.deliver', [{ jobId, data }]);
    await recordJobEvent(h.database.db, {
      empresaId: h.empresaA,
      filialId: null,
      fila: 'webhook',
      jobId,
      nomeJob: 'webhook.deliver',
      integracaoId: null,
      parametros: { entregaId },
      estado: 'falhou',
      tentativas: 1,
      maxTentativas: 1,
      erro: null,
    });
    return jobId;
  };
  const retryV1 = (jobId: string) =>
    h.app.inject({ method: 'POST', url: `/v1/jobs/webhook/${jobId}/retry`, headers: { ...asKey(h.keyA), 'accept-language': 'pt-BR' } });

  it("refuses an operator's retry of a failed delivery job whose delivery was delivered since, in one language (API and dashboard)", async () => {
    // The delivery's first job failed for good; a resend delivered it since; its failed job stays on the failures page.
    const jobId = await failedDeliveryJob('entregue', 40);
    const queue = h.producer.queue('webhook');
    // Before, the retry was taken and its job POSTed the delivered body again.
    const v1 = await retryV1(jobId);
    expect([v1.statusCode, v1.json().error]).toEqual([
      409,
      {
        code: 'WEBHOOK_ALREADY_DELIVERED',
        message: `o job webhook/${jobId} não foi reprocessado: a entrega do webhook já foi entregue (por um reenvio ou uma recuperação); nada a enviar de novo`,
      },
    ]);
    const dashboard = await h.app.inject({
      method: 'POST',
      url: '/dashboard/api/jobs/retry',
      headers: { ...asKey(h.keyA), 'accept-language': 'en' },
      payload: { jobs: [{ queue: 'webhook', id: jobId }] },
    });
    expect([dashboard.statusCode, dashboard.json().error]).toEqual([
      409,
      {
        code: 'JOB_NOT_RETRYABLE',
        message: `Job webhook/${jobId} was not retried: its webhook delivery has been delivered since (by a resend or a recover); nothing to send again.`,
      },
    ]);
    // Another tenant's key does not reach it; the job stays failed, its record too.
    const b = await h.app.inject({ method: 'POST', url: `/v1/jobs/webhook/${jobId}/retry`, headers: asKey(h.keyB) });
    expect(b.statusCode).toBe(404);
    expect(await queue.getJobState(jobId)).toBe('failed');
    const stored = await h.database.db.selectFrom('registro_jobs').select('estado').where('job_id', '=', jobId).executeTakeFirstOrThrow();
    expect(stored.estado).toBe('falhou');
  });

  it("refuses an operator's retry of a given-up delivery job whose endpoint is still disabled, saying to re-enable and recover", async () => {
    await h.database.db.updateTable('webhook_endpoints').set({ ativo: 0 }).where('id', '=', endpointA).execute();
    const answers = [];
    for (const status of ['falhou', 'cancelada']) {
      const jobId = await failedDeliveryJob(status, status === 'falhou' ? 41 : 42);
      // Before, the retry was taken (202) and its job sent nothing: the endpoint is disabled.
      const v1 = await retryV1(jobId);
      const dashboard = await h.app.inject({
        method: 'POST',
        url: '/dashboard/api/jobs/retry',
        headers: { ...asKey(h.keyA), 'accept-language': 'en' },
        payload: { jobs: [{ queue: 'webhook', id: jobId }] },
      });
      answers.push({ jobId, v1: [v1.statusCode, v1.json().error], dashboard: [dashboard.statusCode, dashboard.json().error] });
      expect(await h.producer.queue('webhook').getJobState(jobId)).toBe('failed');
      // Another tenant's key does not reach it.
      expect((await h.app.inject({ method: 'POST', url: `/v1/jobs/webhook/${jobId}/retry`, headers: asKey(h.keyB) })).statusCode).toBe(404);
    }
    expect(answers).toEqual(
      answers.map(({ jobId }) => {
        return {
          jobId,
          v1: [
            409,
            {
              code: 'WEBHOOK_ENDPOINT_DISABLED',
              message: `o job webhook/${jobId} não foi reprocessado: o endpoint do webhook continua desativado e nada seria enviado; reative o endpoint (PATCH /v1/webhooks/:id com {"ativo": true}) e depois use POST /v1/webhooks/:id/recover para reenviar as entregas`,
            },
          ],
          dashboard: [
            409,
            {
              code: 'JOB_NOT_RETRYABLE',
              message: `Job webhook/${jobId} was not retried: its webhook endpoint is still disabled, so nothing would be sent; re-enable the endpoint (PATCH /v1/webhooks/:id with {"ativo": true}), then use "Recover failures since" on the Webhooks page to resend its deliveries.`,
            },
          ],
        };
      }),
    );
  });

  it("answers a cancelled delivery's reason as its code beside the words (motivo)", async () => {
    await h.database.db
      .updateTable('webhook_entregas')
      .set({ status: 'cancelada', ultimo_erro: 'ENDPOINT_DISABLED' })
      .where('id', '=', deliveredA)
      .execute();
    const list = (await h.app.inject({ url: '/dashboard/api/webhooks', headers: asKey(h.keyA) })).json();
    const shown = Object.fromEntries(
      list.items[0].deliveries.map((d: { id: number; motivo: string | null; ultimo_erro: string | null }) => [
        d.id,
        [d.motivo, d.ultimo_erro],
      ]),
    );
    expect(shown[deliveredA]).toEqual(['ENDPOINT_DISABLED', expect.stringMatching(/^cancelada: o webhook estava desativado/)]);
    expect(shown[failedA][0]).toBeNull();
  });
});
