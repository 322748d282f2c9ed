import { recordJobEvent } from '@integrador/store';
import { createEndpoint, DEFAULT_WEBHOOK_SETTINGS, removeEndpoint } from '@integrador/webhooks';
import { flashOf, suiteHarness, unescapeHtml } from './support/dashboard-harness';

/**
 * The webhook persona trial's leftovers on the dashboard and the API (real PostgreSQL and Redis): "retry all" counts,
 * confirms and retries the same jobs, and says what it skipped and why (#10); a retry or resend of a delivery whose
 * endpoint was deleted is refused, and bulk retries skip it with a count; a deleted endpoint's deliveries stay readable,
 * marked so (#11); plurals (not "job(s)"); a refused `since` names an example (#6). Every route with another tenant too.
 */
describe('dashboard and API: webhook trial leftovers', () => {
  const h = suiteHarness();

  const post = (cookie: string, url: string, payload: Record<string, string | string[]>) =>
    h.app.inject({
      method: 'POST',
      url,
      headers: { cookie, host: 'dash.test', referer: 'http://dash.test/dashboard/falhas?fila=webhook' },
      payload,
    });
  const get = async (cookie: string, url: string) => (await h.app.inject({ url, headers: { cookie } })).body;
  const asKey = (key: string) => ({ authorization: `Bearer ${key}` });

  const endpoint = async (empresaId: number, nome: string) =>
    (
      await createEndpoint(
        h.database.db,
        DEFAULT_WEBHOOK_SETTINGS,
        { empresaId, filialId: null },
        { nome, url: `https://hooks.example.com/${nome}`, gatilhos: ['contato.criado'] },
      )
    ).id;

  /** A delivery job of tenant A given up in BullMQ, recorded falhou as worker-webhook's recorder writes it. */
  async function failedDeliveryJob(jobId: string, entregaId: number, endpointId: number): Promise<void> {
    const data = { tenant: { empresaId: h.empresaA, filialId: null }, entregaId, endpointId };
    await h.failJobs('webhook', 'webhook.deliver', [{ jobId, data }]);
    await recordJobEvent(h.database.db, {
      empresaId: h.empresaA,
      filialId: null,
      fila: 'webhook',
      jobId,
      nomeJob: 'webhook.deliver',
      integracaoId: null,
      parametros: { entregaId, endpointId },
      estado: 'falhou',
      tentativas: 4,
      maxTentativas: 4,
      erro: { classe: 'DeliveryFailedError', codigo: 'WEBHOOK_RECEIVER_HTTP_ERROR', mensagem: 'gave up after 4 attempts: HTTP 500' },
    });
  }

  let active: number;
  let deleted: number;
  let disabled: number;
  let deletedDelivery: number;

  beforeAll(async () => {
    const db = h.database.db;
    active = await endpoint(h.empresaA, 'ativo');
    deleted = await endpoint(h.empresaA, 'excluido');
    disabled = await endpoint(h.empresaA, 'desativado');
    // Given up and still failed; delivered since by a resend; given up on a since-deleted endpoint; on a disabled one.
    const failed = await h.seedDelivery(h.empresaA, active, 'falhou', 101);
    const delivered = await h.seedDelivery(h.empresaA, active, 'entregue', 102);
    deletedDelivery = await h.seedDelivery(h.empresaA, deleted, 'falhou', 103);
    const offDelivery = await h.seedDelivery(h.empresaA, disabled, 'falhou', 104);
    await failedDeliveryJob('wh-left-failed', failed, active);
    await failedDeliveryJob('wh-left-delivered', delivered, active);
    await failedDeliveryJob('wh-left-deleted', deletedDelivery, deleted);
    await failedDeliveryJob('wh-left-disabled', offDelivery, disabled);
    await removeEndpoint(db, { empresaId: h.empresaA, filialId: null }, deleted);
    await db.updateTable('webhook_endpoints').set({ ativo: 0 }).where('id', '=', disabled).execute();
  });

  it('"retry all" counts and confirms only what it retries, then says how many it retried and skipped and why', async () => {
    const { cookie, csrf } = await h.login('opa');
    // The failures page's button: 4 failed rows, 1 the retry would act on (before: 4, and "retry 4" retried 1).
    const list = await get(cookie, '/dashboard/falhas?fila=webhook&q=wh-left-');
    expect(list).toMatch(/id="reprocessar-todos"[^>]*>Reprocessar todos os que falharam neste filtro \(1\)</);
    const asked = await post(cookie, '/dashboard/acoes/reprocessar', {
      _csrf: csrf,
      modo: 'filtro',
      filtro_fila: 'webhook',
      filtro_q: 'wh-left-',
    });
    expect(asked.statusCode).toBe(200);
    expect(asked.body).toContain('Reprocessar 1 job que falhou neste filtro?');
    expect(asked.body).toContain('<input type="hidden" name="esperado" value="1">');
    expect(asked.body).toContain('<code>webhook/wh-left-failed</code>');
    expect(asked.body).not.toContain('<code>webhook/wh-left-delivered</code>');
    expect(unescapeHtml(asked.body)).toContain(
      '<p id="recusados" class="flash">3 jobs que falharam não entram na conta e não serão reprocessados: 1 já entregue depois (por um reenvio ou uma recuperação): nada a enviar de novo; 1 com o endpoint do webhook desativado (reative-o e use "Recuperar falhas desde" na página Webhooks); 1 com o endpoint do webhook excluído (nada seria enviado).</p>',
    );

    // Tenant B's operator finds none of A's jobs with the same filter.
    const b = await h.login('opb');
    expect(await get(b.cookie, '/dashboard/falhas?fila=webhook&q=wh-left-')).toMatch(
      /id="reprocessar-todos"[^>]*disabled[^>]*>[^<]*\(0\)</,
    );
    const crafted = await post(b.cookie, '/dashboard/acoes/reprocessar', {
      _csrf: b.csrf,
      modo: 'filtro',
      filtro_fila: 'webhook',
      filtro_q: 'wh-left-',
      esperado: '1',
    });
    expect([crafted.statusCode, flashOf(crafted.body)]).toEqual([
      200,
      'Nada foi reprocessado: o filtro agora encontra 0 jobs que falharam a reprocessar, não o 1 confirmado. Confira a lista e confirme de novo.',
    ]);
    expect(await (await h.producer.getJob('webhook', 'wh-left-failed'))?.getState()).toBe('failed');

    const confirmed = await post(cookie, '/dashboard/acoes/reprocessar', {
      _csrf: csrf,
      modo: 'filtro',
      filtro_fila: 'webhook',
      filtro_q: 'wh-left-',
      esperado: '1',
    });
    expect(confirmed.statusCode).toBe(302);
    const location = confirmed.headers.location as string;
    expect(location).toContain(
      'feito=1&acao=retry&ignorados=webhook-delivered%3A1%2Cwebhook-endpoint-disabled%3A1%2Cwebhook-endpoint-deleted%3A1',
    );
    expect(flashOf(await get(cookie, location))).toBe(
      'Ação registrada: 1 job reprocessado; 3 não reprocessados: 1 já entregue depois (por um reenvio ou uma recuperação): nada a enviar de novo; 1 com o endpoint do webhook desativado (reative-o e use "Recuperar falhas desde" na página Webhooks); 1 com o endpoint do webhook excluído (nada seria enviado).',
    );
    expect(flashOf(await get(cookie, `${location}&lang=en`))).toBe(
      'Action recorded: 1 job retried; 3 not retried: 1 delivered since (by a resend or a recover): nothing to send again; 1 whose webhook endpoint is disabled (re-enable it and use "Recover failures since" on the Webhooks page); 1 whose webhook endpoint was deleted (nothing would be sent).',
    );
    expect(await (await h.producer.getJob('webhook', 'wh-left-failed'))?.getState()).not.toBe('failed');
    for (const id of ['wh-left-delivered', 'wh-left-deleted', 'wh-left-disabled'])
      expect(await (await h.producer.getJob('webhook', id))?.getState()).toBe('failed');
    // A count the report did not make (a crafted link) is not echoed.
    expect(flashOf(await get(cookie, '/dashboard/falhas?feito=2&acao=retry&ignorados=<b>x</b>:3,not-failed:1'))).toBe(
      'Ação registrada: 2 jobs reprocessados; 1 não reprocessado: 1 já não estava em falha (reprocessado ou concluído enquanto isso).',
    );
  });

  it("refuses a retry or resend of a deleted endpoint's delivery in the API, the dashboard and its API; another tenant gets 404", async () => {
    const { cookie, csrf } = await h.login('opa');
    // The dashboard's JSON retry of the job alone: refused (before: accepted, and its run sent nothing).
    const one = await h.app.inject({
      method: 'POST',
      url: '/dashboard/api/jobs/retry',
      headers: asKey(h.keyA),
      payload: { jobs: [{ queue: 'webhook', id: 'wh-left-deleted' }] },
    });
    expect([one.statusCode, one.json().error.code]).toEqual([409, 'JOB_NOT_RETRYABLE']);
    expect(one.json().error.message).toBe(
      'O job webhook/wh-left-deleted não foi reprocessado: o endpoint do webhook foi excluído e nada seria enviado. As entregas dele continuam na página Webhooks, em "Endpoints excluídos", até o fim da retenção; para enviar de novo a esse destino, cadastre-o como um novo webhook.',
    );
    // A selection skips it with its reason counted.
    const selection = await h.app.inject({
      method: 'POST',
      url: '/dashboard/api/jobs/retry',
      headers: asKey(h.keyA),
      payload: {
        jobs: [
          { queue: 'webhook', id: 'wh-left-deleted' },
          { queue: 'webhook', id: 'wh-left-disabled' },
        ],
      },
    });
    expect(selection.json()).toEqual({
      done: 0,
      skipped: 2,
      notFound: 0,
      skippedReasons: { 'webhook-endpoint-deleted': 1, 'webhook-endpoint-disabled': 1 },
    });
    // /v1: the job retry and the delivery resend.
    const v1 = await h.app.inject({ method: 'POST', url: '/v1/jobs/webhook/wh-left-deleted/retry', headers: asKey(h.keyA) });
    expect([v1.statusCode, v1.json().error.code]).toEqual([409, 'WEBHOOK_ENDPOINT_DELETED']);
    expect(v1.json().error.message).toContain('o endpoint do webhook foi excluído e nada seria enviado');
    const resendUrl = `/v1/webhooks/${deleted}/deliveries/${deletedDelivery}/resend`;
    const resend = await h.app.inject({ method: 'POST', url: resendUrl, headers: { ...asKey(h.keyA), 'accept-language': 'en' } });
    expect([resend.statusCode, resend.json().error]).toEqual([
      409,
      {
        code: 'WEBHOOK_DELETED',
        message: `webhook #${deleted} was deleted: nothing is sent to it, and resending or recovering its deliveries would send nothing. Its deliveries stay readable until the retention period ends (RETENTION_WEBHOOKS_DAYS); to send to that receiver again, register it as a new webhook`,
      },
    ]);
    const recover = await h.app.inject({
      method: 'POST',
      url: `/v1/webhooks/${deleted}/recover`,
      headers: asKey(h.keyA),
      payload: { since: '2026-01-01T00:00:00Z' },
    });
    expect([recover.statusCode, recover.json().error.code]).toEqual([409, 'WEBHOOK_DELETED']);
    // The dashboard's resend, form and JSON.
    const form = await post(cookie, '/dashboard/acoes/webhook-reenviar', {
      _csrf: csrf,
      empresa: String(h.empresaA),
      endpoint: String(deleted),
      entrega: String(deletedDelivery),
    });
    expect(form.headers.location).toBe(`/dashboard/webhooks?empresa=${h.empresaA}&recusado=WEBHOOK_DELETED&recusadoEndpoint=${deleted}`);
    expect(flashOf(await get(cookie, form.headers.location as string))).toContain(
      `o webhook #${deleted} foi excluído: nada é enviado a ele`,
    );
    const json = await h.app.inject({
      method: 'POST',
      url: `/dashboard/api/webhooks/${deleted}/deliveries/${deletedDelivery}/resend`,
      headers: asKey(h.keyA),
      payload: { empresaId: h.empresaA },
    });
    expect([json.statusCode, json.json().error.code]).toEqual([409, 'WEBHOOK_DELETED']);
    expect(await h.producer.getJob('webhook', 'wh-left-deleted').then((job) => job?.getState())).toBe('failed');

    // Tenant B: A's job and delivery are not found, never "deleted".
    const b = asKey(h.keyB);
    expect((await h.app.inject({ method: 'POST', url: '/v1/jobs/webhook/wh-left-deleted/retry', headers: b })).statusCode).toBe(404);
    const foreign = await h.app.inject({ method: 'POST', url: resendUrl, headers: b });
    expect([foreign.statusCode, foreign.json().error.code]).toEqual([404, 'WEBHOOK_NOT_FOUND']);
    const foreignDashboard = await h.app.inject({
      method: 'POST',
      url: '/dashboard/api/jobs/retry',
      headers: b,
      payload: { jobs: [{ queue: 'webhook', id: 'wh-left-deleted' }] },
    });
    expect(foreignDashboard.json()).toMatchObject({ done: 0, skipped: 0, notFound: 1 });
  });

  it("keeps a deleted endpoint's deliveries readable, marked as such, in the API and the dashboard; not to another tenant", async () => {
    // Before: 404 "webhook não encontrado" once the endpoint was deleted.
    const listed = await h.app.inject({ url: `/v1/webhooks/${deleted}/deliveries`, headers: asKey(h.keyA) });
    expect(listed.statusCode).toBe(200);
    expect(listed.json().items).toEqual([expect.objectContaining({ id: deletedDelivery, status: 'falhou', endpoint_excluido: true })]);
    const live = await h.app.inject({ url: `/v1/webhooks/${active}/deliveries`, headers: asKey(h.keyA) });
    expect(live.json().items.map((d: { endpoint_excluido: boolean }) => d.endpoint_excluido)).toEqual([false, false]);
    const attempts = await h.app.inject({ url: `/v1/webhooks/${deleted}/deliveries/${deletedDelivery}/attempts`, headers: asKey(h.keyA) });
    expect([attempts.statusCode, attempts.json().items.length]).toEqual([200, 1]);
    const dashboardApi = await h.app.inject({ url: `/dashboard/api/webhooks?empresa=${h.empresaA}`, headers: asKey(h.keyA) });
    const shown = dashboardApi.json().items.find((e: { id: number }) => e.id === deleted);
    expect(shown).toMatchObject({
      id: deleted,
      nome: null,
      url: null,
      excluido: true,
      deliveries: [expect.objectContaining({ id: deletedDelivery })],
    });
    const { cookie } = await h.login('opa');
    const page = await get(cookie, `/dashboard/webhooks?empresa=${h.empresaA}`);
    expect(page).toContain(
      `<section data-endpoint="${deleted}" data-excluido="1"><h2 class="excluido">Endpoint excluído (#${deleted})</h2>`,
    );
    expect(page).toContain(`<tr data-entrega="${deletedDelivery}">`);
    // No resend button for it (nothing would be sent).
    const section = page.slice(page.indexOf(`data-endpoint="${deleted}"`));
    expect(section.slice(0, section.indexOf('</section>'))).not.toContain('webhook-reenviar');

    // Tenant B's key and operator: not found.
    const b = asKey(h.keyB);
    expect((await h.app.inject({ url: `/v1/webhooks/${deleted}/deliveries`, headers: b })).statusCode).toBe(404);
    expect((await h.app.inject({ url: `/v1/webhooks/${deleted}/deliveries/${deletedDelivery}/attempts`, headers: b })).statusCode).toBe(
      404,
    );
    expect(
      (await h.app.inject({ url: `/dashboard/api/webhooks/${deleted}/deliveries/${deletedDelivery}/attempts`, headers: b })).statusCode,
    ).toBe(404);
    const opb = await h.login('opb');
    expect((await h.app.inject({ url: `/dashboard/webhooks?empresa=${h.empresaA}`, headers: { cookie: opb.cookie } })).statusCode).toBe(
      404,
    );
    expect(await get(opb.cookie, '/dashboard/webhooks')).not.toContain(`data-endpoint="${deleted}"`);
  });

  it('refuses an unreadable recover time naming an accepted form with an example (API, dashboard form and JSON)', async () => {
    const v1 = await h.app.inject({
      method: 'POST',
      url: `/v1/webhooks/${active}/recover`,
      headers: asKey(h.keyA),
      payload: { since: 'ontem' },
    });
    expect([v1.statusCode, v1.json().error.code]).toEqual([400, 'VALIDATION_FAILED']);
    // Before: "deve corresponder ao formato "date-time"", no example.
    expect(v1.json().error.message).toContain('como 2026-12-01T09:00:00-03:00 ou 2026-12-01T12:00:00Z');
    const json = await h.app.inject({
      method: 'POST',
      url: `/dashboard/api/webhooks/${active}/recover`,
      headers: { ...asKey(h.keyA), 'accept-language': 'en' },
      payload: { since: 'yesterday', empresaId: h.empresaA },
    });
    expect([json.statusCode, json.json().error.message]).toEqual([
      400,
      'Invalid field body.since: expected an ISO 8601 date-time with its time zone, e.g. 2026-12-01T09:00:00-03:00 or 2026-12-01T12:00:00Z (without one, the instant would be ambiguous).',
    ]);
    const { cookie, csrf } = await h.login('opa');
    const form = await post(cookie, '/dashboard/acoes/webhook-recuperar', {
      _csrf: csrf,
      empresa: String(h.empresaA),
      endpoint: String(active),
      desde: 'ontem',
    });
    expect([form.statusCode, flashOf(form.body)]).toEqual([
      400,
      'Campo desde inválido: esperado uma data e hora AAAA-MM-DDThh:mm no fuso do painel, por exemplo 2026-12-01T09:00.',
    ]);
  });

  it('words discard confirmations with real plurals', async () => {
    const { cookie, csrf } = await h.login('opa');
    const one = await post(cookie, '/dashboard/acoes/descartar', { _csrf: csrf, job: 'webhook/wh-left-delivered' });
    expect(one.body).toContain('Descartar 1 job? Ele não será mais reprocessado:');
    const two = await post(cookie, '/dashboard/acoes/descartar', {
      _csrf: csrf,
      job: ['webhook/wh-left-delivered', 'webhook/wh-left-deleted'],
    });
    expect(two.body).toContain('Descartar 2 jobs? Eles não serão mais reprocessados:');
    expect(two.body).not.toContain('job(s)');
  });
});
