import { reconcileSchedules } from '@integrador/integrador';
import { DEFAULT_CREDENTIALS, INVALID_CREDENTIALS } from './fixtures/senior-g5';
import { DashboardHarness, LOGIN_RATE_LIMIT, PASSWORD, WRONG_ERP_PASSWORD } from './support/dashboard-harness';

/**
 * The dashboard's API against the real thing: a SET push failing at the Senior G5 double (erroExecucao), recorded
 * by a real worker-set in registro_jobs; every action through the session (with CSRF) and through a tenant API key,
 * each in the audit log; roles and tenant walls.
 */
describe('dashboard API', () => {
  const h = new DashboardHarness();
  let failedJob: string;
  let jobOfB: string;

  beforeAll(async () => {
    await h.start();
    await h.startWorker();
    failedJob = await h.runSet();
    await h.waitForRecord(failedJob, 'falhou');
    // Tenant B's failed job: recorded as the worker would (B has no SET integration to fail for real).
    jobOfB = 'b-job-1';
    await h.recordSetJob(jobOfB, {
      empresaId: h.empresaB,
      integracaoId: 77,
      parametros: { telefone: '11999990000' },
      maxTentativas: 6,
      erro: { classe: 'PermanentError', codigo: 'RECEPTOR_ERROR', mensagem: 'Usuário ou senha inválidos (tenant B)' },
    });
  }, 240000);

  afterAll(async () => {
    await h.close();
  });

  const asKey = (key: string) => ({ authorization: `Bearer ${key}` });

  it('records the failure with the ERP message, the key parameters and the attempts', async () => {
    const response = await h.app.inject({ url: '/dashboard/api/jobs?q=contaId%3D42', headers: asKey(h.keyA) });
    expect(response.statusCode).toBe(200);
    const { items, total } = response.json();
    expect(total).toBe(1);
    expect(items[0]).toMatchObject({
      job_id: failedJob,
      estado: 'falhou',
      integracao_id: 19,
      erro_mensagem: expect.stringContaining(INVALID_CREDENTIALS),
    });
    expect(JSON.parse(items[0].parametros)).toMatchObject({ contaId: '42' });
  });

  it('shows the detail with the sent envelope, the ERP password masked', async () => {
    const { cookie } = await h.login('opa');
    const response = await h.app.inject({ url: `/dashboard/api/jobs/set/${failedJob}`, headers: { cookie } });
    expect(response.statusCode).toBe(200);
    const detail = response.json();
    const [tentativa] = detail.execucoes[0].tentativas;
    expect(tentativa.requisicao).toContain('Padaria');
    expect(tentativa.requisicao).not.toContain(WRONG_ERP_PASSWORD);
    expect(detail.preview.consulta).toBeDefined();
    const page = await h.app.inject({ url: `/dashboard/jobs/set/${failedJob}`, headers: { cookie } });
    expect(page.body).toContain(INVALID_CREDENTIALS);
    expect(page.body).not.toContain(WRONG_ERP_PASSWORD);
    expect(page.body).not.toContain(DEFAULT_CREDENTIALS.password);
  });

  it('refuses a bad password, a missing session and an action without the CSRF token', async () => {
    const bad = await h.postLogin({ login: 'opa', senha: 'x' });
    expect(bad.statusCode).toBe(401);
    expect((await h.app.inject({ url: '/dashboard/api/jobs' })).statusCode).toBe(401);
    expect((await h.app.inject({ url: '/dashboard' })).statusCode).toBe(302);
    const english = await h.login('opa');
    const page = await h.app.inject({ url: '/dashboard/falhas?lang=en', headers: { cookie: english.cookie } });
    expect(page.body).toContain('<h1>Failures</h1>');
    expect((await h.app.inject({ url: '/dashboard/falhas', headers: { cookie: english.cookie } })).body).toContain('<h1>Falhas</h1>');
    const { cookie } = await h.login('opa');
    const noCsrf = await h.app.inject({
      method: 'POST',
      url: '/dashboard/api/jobs/retry',
      headers: { cookie },
      payload: { jobs: [{ queue: 'set', id: failedJob }] },
    });
    expect(noCsrf.statusCode).toBe(403);
    expect(noCsrf.json().error.code).toBe('CSRF_INVALID');
  });

  it('lets a leitor read but not act', async () => {
    const { cookie, csrf } = await h.login('leitora');
    expect((await h.app.inject({ url: '/dashboard/api/jobs', headers: { cookie } })).json().total).toBe(1);
    const retry = await h.app.inject({
      method: 'POST',
      url: '/dashboard/api/jobs/retry',
      headers: { cookie, 'x-csrf-token': csrf },
      payload: { jobs: [{ queue: 'set', id: failedJob }] },
    });
    expect(retry.statusCode).toBe(403);
    const form = await h.app.inject({
      method: 'POST',
      url: '/dashboard/acoes/reprocessar',
      headers: { cookie },
      payload: { _csrf: csrf, modo: 'selecao', job: `set/${failedJob}` },
    });
    expect(form.statusCode).toBe(403);
    expect(await (await h.producer.getJob('set', failedJob))?.getState()).toBe('failed');
  });

  it("keeps an operador of tenant B away from tenant A's job by search, count, URL and action", async () => {
    const { cookie, csrf } = await h.login('opb');
    const search = (await h.app.inject({ url: '/dashboard/api/jobs?q=senha', headers: { cookie } })).json();
    expect(search.items.map((i: { job_id: string }) => i.job_id)).toEqual([jobOfB]);
    expect(search.total).toBe(1);
    const counts = (await h.app.inject({ url: '/dashboard/api/counts', headers: { cookie } })).json();
    expect(counts.lastHour.falhou).toBe(1);
    expect((await h.app.inject({ url: `/dashboard/api/jobs/set/${failedJob}`, headers: { cookie } })).statusCode).toBe(404);
    expect((await h.app.inject({ url: `/dashboard/jobs/set/${failedJob}`, headers: { cookie } })).statusCode).toBe(404);
    const retry = await h.app.inject({
      method: 'POST',
      url: '/dashboard/api/jobs/retry',
      headers: { cookie, 'x-csrf-token': csrf },
      payload: { jobs: [{ queue: 'set', id: failedJob }] },
    });
    expect(retry.json()).toEqual({ done: 0, skipped: 0, notFound: 1, skippedReasons: {} });
    expect((await h.app.inject({ url: '/dashboard/filas/', headers: { cookie } })).statusCode).toBe(403);
    // The same wall for a script with tenant B's API key.
    expect((await h.app.inject({ url: `/dashboard/api/jobs/set/${failedJob}`, headers: asKey(h.keyB) })).statusCode).toBe(404);
    expect(await (await h.producer.getJob('set', failedJob))?.getState()).toBe('failed');
  });

  it('lets only an admin open the raw queue view', async () => {
    const admin = await h.login('admin');
    expect((await h.app.inject({ url: '/dashboard/filas/', headers: { cookie: admin.cookie } })).statusCode).toBe(200);
    const opa = await h.login('opa');
    expect((await h.app.inject({ url: '/dashboard/filas/', headers: { cookie: opa.cookie } })).statusCode).toBe(403);
  });

  it('retries one job, a selection and all matching a filter, discards, runs now — each audited', async () => {
    // Fix the cause (the worker's ERP password), then retry the job with the tenant's API key (a script).
    h.writeConnections(DEFAULT_CREDENTIALS.password);
    await h.startWorker();
    const one = await h.app.inject({
      method: 'POST',
      url: '/dashboard/api/jobs/retry',
      headers: asKey(h.keyA),
      payload: { jobs: [{ queue: 'set', id: failedJob }] },
    });
    expect(one.json()).toEqual({ done: 1, skipped: 0, notFound: 0, skippedReasons: {} });
    await h.waitForRecord(failedJob, 'concluido');

    // Break it again: two failures, retried by filter (the failures list's "retry all matching").
    h.writeConnections(WRONG_ERP_PASSWORD);
    await h.startWorker();
    const a = await h.runSet();
    const b = await h.runSet();
    await h.waitForRecord(a, 'falhou');
    await h.waitForRecord(b, 'falhou');
    h.writeConnections(DEFAULT_CREDENTIALS.password);
    await h.startWorker();
    const { cookie, csrf } = await h.login('opa');
    const bulk = await h.app.inject({
      method: 'POST',
      url: '/dashboard/api/jobs/retry',
      headers: { cookie, 'x-csrf-token': csrf },
      payload: { filter: { q: 'senha inválidos', integracao: '19' } },
    });
    expect(bulk.json()).toEqual({ done: 2, skipped: 0, notFound: 0, skippedReasons: {} });
    await h.waitForRecord(a, 'concluido');
    await h.waitForRecord(b, 'concluido');

    // A selection with one job not failed (skipped), then discard of a failed one.
    h.writeConnections(WRONG_ERP_PASSWORD);
    await h.startWorker();
    const c = await h.runSet();
    await h.waitForRecord(c, 'falhou');
    const selection = await h.app.inject({
      method: 'POST',
      url: '/dashboard/api/jobs/retry',
      headers: { cookie, 'x-csrf-token': csrf },
      payload: {
        jobs: [
          { queue: 'set', id: a },
          { queue: 'set', id: 'missing' },
        ],
      },
    });
    expect(selection.json()).toEqual({ done: 0, skipped: 1, notFound: 1, skippedReasons: { 'not-failed': 1 } });
    const discard = await h.app.inject({
      method: 'POST',
      url: '/dashboard/api/jobs/discard',
      headers: { cookie, 'x-csrf-token': csrf },
      payload: { jobs: [{ queue: 'set', id: c }] },
    });
    expect(discard.json()).toEqual({ done: 1, skipped: 0, notFound: 0, skippedReasons: {} });
    expect(await h.producer.getJob('set', c)).toBeUndefined();
    await h.waitForRecord(c, 'descartado');

    const refused = await h.app.inject({ method: 'POST', url: '/dashboard/api/integrations/19/run', headers: asKey(h.keyA), payload: {} });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.code).toBe('MISSING_PARAMETERS');
    // Worded by the dashboard in the operator's language, never the engine's English message.
    expect(refused.json().error.message).toBe(
      'Parâmetros obrigatórios ausentes: contaId (parametros_obrigatorios da integração); nada foi enfileirado.',
    );
    const refusedEn = await h.app.inject({
      method: 'POST',
      url: '/dashboard/api/integrations/19/run?lang=en',
      headers: asKey(h.keyA),
      payload: {},
    });
    expect(refusedEn.json().error.message).toBe(
      "Missing required parameters: contaId (the integration's parametros_obrigatorios); nothing was enqueued.",
    );
    const run = await h.app.inject({
      method: 'POST',
      url: '/dashboard/api/integrations/19/run',
      headers: asKey(h.keyA),
      payload: { parametros: { contaId: '42' } },
    });
    expect(run.statusCode).toBe(202);
    // A control character in a value (SQLite read "42\u0000x" as conta 42): refused by admission, naming the parameter.
    const nul = await h.app.inject({
      method: 'POST',
      url: '/dashboard/api/integrations/19/run',
      headers: asKey(h.keyA),
      payload: { parametros: { contaId: '42\u0000x' } },
    });
    expect(nul.statusCode).toBe(400);
    expect(nul.json().error.code).toBe('CONTROL_CHARACTER');
    expect(nul.json().error.message).toContain('contaId');
    const otherTenant = await h.app.inject({
      method: 'POST',
      url: '/dashboard/api/integrations/19/run',
      headers: asKey(h.keyB),
      payload: {},
    });
    expect(otherTenant.statusCode).toBe(404);

    const audit = (await h.app.inject({ url: '/dashboard/api/audit', headers: asKey(h.keyA) })).json().items;
    const summary = audit.map(
      (e: { autor: string; acao: string; quantidade: number }) =>
        `${e.autor.startsWith('api:') ? 'api' : e.autor} ${e.acao} ${e.quantidade}`,
    );
    expect(summary).toEqual(expect.arrayContaining(['api retry 1', 'opa retry 2', 'opa retry 0', 'opa discard 1', 'api run-now 1']));
    expect(audit.find((e: { acao: string; detalhe: string }) => e.acao === 'retry' && e.detalhe.includes('filtro'))).toBeDefined();
    // Tenant B's operator sees none of tenant A's audit entries.
    const { cookie: cookieB } = await h.login('opb');
    const auditB = (await h.app.inject({ url: '/dashboard/api/audit', headers: { cookie: cookieB } })).json().items;
    expect(auditB.filter((e: { empresa_id: number }) => e.empresa_id !== h.empresaB)).toEqual([]);
  }, 400000);

  it('pauses and resumes a GET schedule (the reconciler keeps it paused), audited; not for another tenant', async () => {
    const { id, scheduled } = await h.scheduledGet('GET-CONTAS', '0 3 * * *');
    expect(await scheduled()).toBe(true);

    const otherTenant = await h.app.inject({
      method: 'POST',
      url: `/dashboard/api/schedules/${id}/pause`,
      headers: asKey(h.keyB),
      payload: {},
    });
    expect(otherTenant.statusCode).toBe(404);
    const { cookie, csrf } = await h.login('opa');
    const pause = await h.app.inject({
      method: 'POST',
      url: `/dashboard/api/schedules/${id}/pause`,
      headers: { cookie, 'x-csrf-token': csrf },
      payload: {},
    });
    expect(pause.json()).toEqual({ integracaoId: id, paused: true });
    expect(await scheduled()).toBe(false);
    // worker-get's periodic sync does not bring it back while paused.
    await reconcileSchedules(h.database.db, h.producer, { tz: 'America/Sao_Paulo' });
    expect(await scheduled()).toBe(false);
    const page = await h.app.inject({ url: '/dashboard/agendamentos', headers: { cookie } });
    expect(page.body).toContain('pausado');

    const resume = await h.app.inject({
      method: 'POST',
      url: `/dashboard/api/schedules/${id}/resume`,
      headers: asKey(h.keyA),
      payload: {},
    });
    expect(resume.json()).toEqual({ integracaoId: id, paused: false });
    expect(await scheduled()).toBe(true);
    const audit = (await h.app.inject({ url: '/dashboard/api/audit', headers: asKey(h.keyA) }))
      .json()
      .items.map((e: { acao: string }) => e.acao);
    expect(audit).toEqual(expect.arrayContaining(['pause-schedule', 'resume-schedule']));
  });

  it('limits login attempts per address', async () => {
    // An address of its own: the window (fixed, from an address's first attempt) is not one the earlier tests' logins
    // opened, which on a loaded machine could end in the middle of this loop and let the last attempt through.
    const attempt = (remoteAddress: string) => h.postLogin({ login: 'opa', senha: `${PASSWORD}x` }, { remoteAddress });
    const answers: number[] = [];
    for (let i = 0; i <= LOGIN_RATE_LIMIT; i++) answers.push((await attempt('192.0.2.10')).statusCode);
    expect(answers).toEqual([...Array(LOGIN_RATE_LIMIT).fill(401), 429]);
    // Per address: another one still gets its answer.
    expect((await attempt('192.0.2.11')).statusCode).toBe(401);
  });
});
