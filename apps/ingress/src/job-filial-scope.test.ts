import { createEmpresa, createFilial, issueApiKey, recordJobEvent } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { UnrecoverableError, Worker } from 'bullmq';
import { startTestIngress, type TestIngress } from '../../../test/support/test-ingress';

/**
 * One filial rule for jobs (packages/store filial-scope: readableBy / whereReadableBy): a filial key sees its own
 * filial's jobs and the empresa-wide ones (filial null), never a sibling filial's — in /v1/jobs, the dashboard's list,
 * its counts and its detail alike.
 */
describe.each(['postgres', 'mysql'] as const)('jobs seen by a filial key (%s)', (dialect) => {
  let database: TestDatabase;
  let ingress: TestIngress;
  const keys = { empresa: '', recife: '', saoPaulo: '' };
  const jobs = { empresa: '', recife: '', saoPaulo: '' };

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    ingress = await startTestIngress(database, { deps: { dashboard: { secureCookies: false } } });
    const empresaId = await createEmpresa(database.db, 'Acme');
    const filiais = {
      recife: await createFilial(database.db, empresaId, 'Recife'),
      saoPaulo: await createFilial(database.db, empresaId, 'São Paulo'),
    };
    keys.empresa = await issueApiKey(database.db, empresaId, null, 'empresa');
    keys.recife = await issueApiKey(database.db, empresaId, filiais.recife, 'recife');
    keys.saoPaulo = await issueApiKey(database.db, empresaId, filiais.saoPaulo, 'sp');
    for (const who of ['empresa', 'recife', 'saoPaulo'] as const) {
      const accepted = await ingress.app.inject({
        method: 'POST',
        url: '/v1/ping',
        headers: { authorization: `Bearer ${keys[who]}` },
        payload: { queue: 'webhook' },
      });
      expect(accepted.statusCode).toBe(202);
      jobs[who] = accepted.json().jobId;
      // Its record, as the workers' recorder writes it: failed, so the failures list shows it.
      await recordJobEvent(database.db, {
        empresaId,
        filialId: who === 'empresa' ? null : filiais[who],
        fila: 'webhook',
        jobId: jobs[who],
        nomeJob: 'system.ping',
        integracaoId: null,
        parametros: { segredo: `de-${who}` },
        estado: 'falhou',
        tentativas: 1,
        maxTentativas: 1,
        erro: { classe: 'Error', codigo: null, mensagem: `falhou (${who})` },
      });
    }
  }, 60_000);
  afterAll(async () => {
    await ingress?.close();
    await database?.drop();
  });

  const get = (key: string, url: string) => ingress.app.inject({ url, headers: { authorization: `Bearer ${key}` } });

  it('/v1/jobs: its own filial’s and the empresa-wide job, a sibling filial’s is a 404', async () => {
    expect((await get(keys.saoPaulo, `/v1/jobs/webhook/${jobs.saoPaulo}`)).statusCode).toBe(200);
    expect((await get(keys.saoPaulo, `/v1/jobs/webhook/${jobs.empresa}`)).statusCode).toBe(200);
    expect((await get(keys.saoPaulo, `/v1/jobs/webhook/${jobs.recife}`)).statusCode).toBe(404);
    // The empresa's own key sees every filial's.
    expect((await get(keys.empresa, `/v1/jobs/webhook/${jobs.recife}`)).statusCode).toBe(200);
  });

  it('the dashboard list and its total: its own filial’s and the empresa-wide jobs only', async () => {
    const listed = async (key: string, query = '') => {
      const response = await get(key, `/dashboard/api/jobs?estado=todos${query}`);
      expect(response.statusCode).toBe(200);
      const { items, total } = response.json() as { items: { job_id: string }[]; total: number };
      return { ids: items.map((i) => i.job_id).sort(), total };
    };
    expect(await listed(keys.saoPaulo)).toEqual({ ids: [jobs.empresa, jobs.saoPaulo].sort(), total: 2 });
    // A search for the sibling's parametros finds nothing.
    expect(await listed(keys.saoPaulo, '&q=de-recife')).toEqual({ ids: [], total: 0 });
    expect((await listed(keys.empresa)).total).toBe(3);
  });

  it('the dashboard detail: the empresa-wide job opens, a sibling filial’s is a 404', async () => {
    expect((await get(keys.saoPaulo, `/dashboard/api/jobs/webhook/${jobs.empresa}`)).statusCode).toBe(200);
    expect((await get(keys.saoPaulo, `/dashboard/api/jobs/webhook/${jobs.saoPaulo}`)).statusCode).toBe(200);
    expect((await get(keys.saoPaulo, `/dashboard/api/jobs/webhook/${jobs.recife}`)).statusCode).toBe(404);
  });

  it('the dashboard’s actions: none offered on an empresa-wide job, a bulk retry counts its own filial’s only', async () => {
    const detail = async (key: string, id: string) => (await get(key, `/dashboard/api/jobs/webhook/${id}`)).json().actions;
    expect(await detail(keys.saoPaulo, jobs.empresa)).toEqual([]);
    expect(await detail(keys.saoPaulo, jobs.saoPaulo)).toEqual(['retry', 'discard']);
    expect(await detail(keys.empresa, jobs.empresa)).toEqual(['retry', 'discard']);
    const post = (key: string, url: string, payload: object) =>
      ingress.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${key}` }, payload });
    // A count no filter finds: nothing is retried, and the answer says what the filter finds (its own filial's job).
    const bulk = await post(keys.saoPaulo, '/dashboard/api/jobs/retry', { filter: { estado: 'falhou' }, expected: 99 });
    expect(bulk.statusCode).toBe(409);
    expect(bulk.json().error.message).toContain('encontra 1 job que falhou');
    // Named alone, the empresa-wide job is the filial rule's 403 (a sibling filial's: not found).
    for (const url of ['/dashboard/api/jobs/retry', '/dashboard/api/jobs/discard']) {
      const named = await post(keys.saoPaulo, url, { jobs: [{ queue: 'webhook', id: jobs.empresa }] });
      expect(named.statusCode).toBe(403);
      expect(named.json().error.code).toBe('FILIAL_SCOPE');
    }
    expect((await post(keys.saoPaulo, '/dashboard/api/jobs/discard', { jobs: [{ queue: 'webhook', id: jobs.recife }] })).json()).toEqual({
      done: 0,
      skipped: 0,
      notFound: 1,
      skippedReasons: {},
    });
  });

  it('a retry: its own filial’s job, an empresa-wide one is a 403 FILIAL_SCOPE (in a dashboard selection too), a sibling filial’s a 404', async () => {
    // The three jobs fail, taken by hand (no worker runs here), so a retry would move them.
    const queue = ingress.producer.queue('webhook');
    const connection = ingress.redis.duplicate({ maxRetriesPerRequest: null });
    const worker = new Worker(queue.name, null, { connection, prefix: queue.opts.prefix, autorun: false });
    try {
      for (let taken = 0; taken < 3; taken++) {
        const job = await worker.getNextJob('t', { block: false });
        expect(job).toBeDefined();
        await job?.moveToFailed(new UnrecoverableError('falhou'), 't', false);
      }
    } finally {
      await worker.close();
      connection.disconnect();
    }
    // A crafted selection (the list offers no box on the empresa-wide job) naming it beside the filial's own: refused
    // whole as not permitted, worded as the filial rule's other refusals — the form's page and the API alike — and
    // neither job is touched (both still failed).
    const form = (url: string) =>
      ingress.app.inject({
        method: 'POST',
        url,
        headers: { authorization: `Bearer ${keys.saoPaulo}`, 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams([
          ['modo', 'selecao'],
          ['job', `webhook/${jobs.saoPaulo}`],
          ['job', `webhook/${jobs.empresa}`],
          // A discard is asked first: the confirmed form is the one the rule refuses.
          ['confirmado', '1'],
        ]).toString(),
      });
    for (const url of ['/dashboard/acoes/reprocessar', '/dashboard/acoes/descartar']) {
      const refused = await form(url);
      expect([url, refused.statusCode]).toEqual([url, 403]);
      expect(refused.body).toContain(`Job webhook/${jobs.empresa} pertence à empresa toda ou a outra filial`);
      const api = await ingress.app.inject({
        method: 'POST',
        url: url === '/dashboard/acoes/reprocessar' ? '/dashboard/api/jobs/retry' : '/dashboard/api/jobs/discard',
        headers: { authorization: `Bearer ${keys.saoPaulo}`, 'accept-language': 'en' },
        payload: {
          jobs: [
            { queue: 'webhook', id: jobs.saoPaulo },
            { queue: 'webhook', id: jobs.empresa },
          ],
        },
      });
      expect([api.statusCode, api.json().error.code]).toEqual([403, 'FILIAL_SCOPE']);
      expect(api.json().error.message).toContain('belongs to the whole empresa or another filial');
      for (const id of [jobs.empresa, jobs.saoPaulo]) expect(await (await queue.getJob(id))?.getState()).toBe('failed');
    }
    const retry = (key: string, id: string) =>
      ingress.app.inject({ method: 'POST', url: `/v1/jobs/webhook/${id}/retry`, headers: { authorization: `Bearer ${key}` } });
    const empresaWide = await retry(keys.saoPaulo, jobs.empresa);
    expect(empresaWide.statusCode).toBe(403);
    expect(empresaWide.json()).toMatchObject({ error: { code: 'FILIAL_SCOPE' } });
    expect((await queue.getJob(jobs.empresa))?.failedReason).toBe('falhou');
    expect(await (await queue.getJob(jobs.empresa))?.getState()).toBe('failed');
    expect((await retry(keys.saoPaulo, jobs.recife)).statusCode).toBe(404);
    expect((await retry(keys.saoPaulo, jobs.saoPaulo)).statusCode).toBe(202);
    // The empresa's own key retries the empresa-wide job (and any filial's).
    expect((await retry(keys.empresa, jobs.empresa)).statusCode).toBe(202);
    expect((await retry(keys.empresa, jobs.recife)).statusCode).toBe(202);
  });
});
