import { recordJobEvent } from '@integrador/store';
import { LOGIN_RATE_LIMIT, PASSWORD, suiteHarness } from './support/dashboard-harness';

/**
 * F16/F22: the dashboard's JSON API refuses a filter it cannot apply (400 naming it) instead of ignoring it; its 401
 * and its malformed-JSON answer read like the /v1 API's; the login's rate limit answers the login page, worded.
 */
describe('dashboard input refusals', () => {
  const h = suiteHarness();

  const asKey = (key: string, lang = 'pt-BR') => ({ authorization: `Bearer ${key}`, 'accept-language': lang });

  it("a body field the dashboard API does not take is refused in the /v1 API's words, one language per message (trial 4 #2)", async () => {
    for (const [lang, text] of [
      ['pt-BR', 'Campo "body.foo" não é permitido.'],
      ['en', 'Field "body.foo" is not allowed.'],
    ] as const) {
      const res = await h.app.inject({
        method: 'POST',
        url: '/dashboard/api/schedules/5/pause',
        headers: asKey(h.keyA, lang),
        payload: { foo: 1 },
      });
      expect([res.statusCode, res.json().error]).toEqual([400, { code: 'VALIDATION_FAILED', message: text }]);
    }
    // The same words as /v1's for the same fault (made a sentence, as the dashboard says the engine's refusals).
    const v1 = await h.app.inject({ method: 'POST', url: '/v1/integrations/5/run', headers: asKey(h.keyA), payload: { foo: 1 } });
    expect(v1.json().error.message).toBe('campo "body.foo" não é permitido');
  });

  it('a bad estado, date or number on /dashboard/api/jobs → 400 naming the field and what it expects', async () => {
    const estado = await h.app.inject({ url: '/dashboard/api/jobs?estado=xx', headers: asKey(h.keyA) });
    expect(estado.statusCode).toBe(400);
    expect(estado.json().error.code).toBe('VALIDATION_FAILED');
    expect(estado.json().error.message).toBe(
      'Campo querystring.estado inválido: esperado um de todos, ativo, concluido, falhou, aguardando_retentativa, adiado, bloqueado, descartado.',
    );
    const desde = await h.app.inject({ url: '/dashboard/api/jobs?desde=ontem', headers: asKey(h.keyB, 'en') });
    expect(desde.statusCode).toBe(400);
    expect(desde.json().error.message).toBe(
      'Invalid field querystring.desde: expected an ISO 8601 date (YYYY-MM-DD or YYYY-MM-DDThh:mm, zone optional).',
    );
    const empresa = await h.app.inject({ url: '/dashboard/api/jobs?empresa=dois', headers: asKey(h.keyA) });
    expect(empresa.json().error.message).toMatch(/querystring\.empresa.*um número inteiro/);
    // Past a 32-bit id: refused like any other, not left to the database (PostgreSQL's integer answered a 500).
    for (const field of ['empresa', 'integracao']) {
      const big = await h.app.inject({ url: `/dashboard/api/jobs?${field}=9999999999`, headers: asKey(h.keyA) });
      expect({ status: big.statusCode, message: big.json().error.message }).toEqual({
        status: 400,
        message: expect.stringMatching(new RegExp(`querystring\\.${field}.*um número inteiro`)),
      });
    }
    // Good filters (and the empty ones a form sends) still answer, each key within its tenant.
    for (const url of [
      '/dashboard/api/jobs?estado=todos&desde=2026-01-01&ate=2026-12-31T23:59Z',
      '/dashboard/api/jobs?estado=&desde=&q=x',
    ]) {
      for (const key of [h.keyA, h.keyB]) expect((await h.app.inject({ url, headers: asKey(key) })).statusCode).toBe(200);
    }
  });

  it("another tenant's empresa on /dashboard/api/jobs → 404, as the calls and webhooks APIs answer it", async () => {
    await recordJobEvent(h.database.db, {
      empresaId: h.empresaA,
      filialId: null,
      fila: 'set',
      jobId: 'walls-a-falhou',
      nomeJob: 'set',
      integracaoId: null,
      parametros: null,
      estado: 'falhou',
      tentativas: 1,
      maxTentativas: 1,
      erro: { classe: 'Error', codigo: null, mensagem: 'boom' },
    });
    // Tenant A's key sees its failed job under its own empresa.
    const own = await h.app.inject({ url: `/dashboard/api/jobs?empresa=${h.empresaA}&q=walls-a`, headers: asKey(h.keyA) });
    expect([own.statusCode, own.json().total]).toEqual([200, 1]);
    // Tenant B's key asking for tenant A's jobs: the calls API's answer (not an empty list), in each language.
    for (const lang of ['pt-BR', 'en']) {
      const jobs = await h.app.inject({ url: `/dashboard/api/jobs?empresa=${h.empresaA}`, headers: asKey(h.keyB, lang) });
      const calls = await h.app.inject({ url: `/dashboard/api/calls?empresa=${h.empresaA}`, headers: asKey(h.keyB, lang) });
      expect(calls.statusCode).toBe(404);
      expect([jobs.statusCode, jobs.json()]).toEqual([404, calls.json()]);
      expect(jobs.json().error.code).toBe('NOT_FOUND');
    }
    expect((await h.app.inject({ url: `/dashboard/api/jobs?empresa=${h.empresaA}`, headers: asKey(h.keyB) })).json().error.message).toBe(
      'Não encontrado.',
    );
  });

  it('F3: the bulk retry refuses a filter it cannot apply (400 naming it), never retries every failed job', async () => {
    await recordJobEvent(h.database.db, {
      empresaId: h.empresaA,
      filialId: null,
      fila: 'set',
      jobId: 'f3-falhou',
      nomeJob: 'set',
      integracaoId: null,
      parametros: null,
      estado: 'falhou',
      tentativas: 1,
      maxTentativas: 1,
      erro: { classe: 'Error', codigo: null, mensagem: 'boom' },
    });
    const retry = (filter: Record<string, string>, key = h.keyA, lang = 'pt-BR') =>
      h.app.inject({ method: 'POST', url: '/dashboard/api/jobs/retry', headers: asKey(key, lang), payload: { filter } });
    const ontem = await retry({ desde: 'ontem' });
    expect(ontem.statusCode).toBe(400);
    expect(ontem.json().error).toEqual({
      code: 'VALIDATION_FAILED',
      message: 'Campo body.filter.desde inválido: esperado uma data ISO 8601 (AAAA-MM-DD ou AAAA-MM-DDThh:mm, com fuso opcional).',
    });
    const fila = await retry({ fila: 'SET' }, h.keyB, 'en');
    expect(fila.statusCode).toBe(400);
    expect(fila.json().error.message).toBe('Invalid field body.filter.fila: expected one of set, get, cti, webhook.');
    expect((await retry({ empresa: 'dois' })).json().error.message).toMatch(/body\.filter\.empresa.*um número inteiro/);
    for (const desde of ['2026-13-01', '2026-12-05T25:00', '2026-02-31']) {
      const res = await retry({ desde });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.message).toMatch(/body\.filter\.desde/);
      const search = await h.app.inject({ url: `/dashboard/api/jobs?desde=${desde}`, headers: asKey(h.keyA) });
      expect(search.statusCode).toBe(400);
      expect(search.json().error.message).toMatch(/querystring\.desde/);
    }
    // The form's bulk retry names its own field; the failures page says why instead of listing every failure.
    const { cookie, csrf } = await h.login('opa');
    const form = await h.app.inject({
      method: 'POST',
      url: '/dashboard/acoes/reprocessar',
      headers: { cookie, 'x-csrf-token': csrf },
      payload: { _csrf: csrf, modo: 'filtro', filtro_desde: '2026-02-31' },
    });
    // Answered as a page (an HTML form posted it), naming the field by its label in the filter form.
    expect([form.statusCode, form.headers['content-type']]).toEqual([400, expect.stringMatching(/^text\/html/)]);
    expect(form.body).toContain('Campo Desde inválido: esperado uma data ISO 8601');
    const page = await h.app.inject({ url: '/dashboard/falhas?fila=SET', headers: { cookie } });
    expect(page.statusCode).toBe(400);
    // The page names the field by its label in the form.
    expect(page.body).toContain('Campo Fila inválido');
    // Nothing was retried: the failed job is still listed as failed.
    const still = await h.app.inject({ url: '/dashboard/api/jobs?q=f3-falhou', headers: asKey(h.keyA) });
    expect(still.json().items.map((i: { job_id: string }) => i.job_id)).toContain('f3-falhou');
    // An empty estado (as the form sends it) is the default (the failed ones), not "state ''"; for tenant B it is empty.
    const empty = await h.app.inject({ url: '/dashboard/api/jobs?estado=&q=f3-falhou', headers: asKey(h.keyA) });
    expect(empty.json().total).toBe(1);
    const other = await h.app.inject({ url: '/dashboard/api/jobs?estado=&q=f3-falhou', headers: asKey(h.keyB) });
    expect(other.json().total).toBe(0);
    // A good filter still acts, within the key's tenant: B retries nothing of A's.
    const good = await retry({ desde: '2026-01-01', fila: 'set', q: 'f3-falhou' }, h.keyB);
    expect(good.statusCode).toBe(200);
  });

  it('the search text (q) refuses a control character (CONTROL_CHARACTER, as /v1) and a text past its cap, never cut', async () => {
    const control = 'Campo querystring.q inválido: esperado um texto de até 200 caracteres, sem caractere de controle';
    for (const q of ['%00', 'conta%01', 'x%7F', '%C2%85']) {
      const res = await h.app.inject({ url: `/dashboard/api/jobs?q=${q}`, headers: asKey(h.keyA) });
      expect([q, res.statusCode, res.json().error.code]).toEqual([q, 400, 'CONTROL_CHARACTER']);
      expect(res.json().error.message).toContain(control);
    }
    const en = await h.app.inject({ url: '/dashboard/api/jobs?q=a%1Fb', headers: asKey(h.keyB, 'en') });
    expect(en.json().error.message).toMatch(
      /^Invalid field querystring\.q: expected a text of up to 200 characters, without a control character/,
    );
    // Tab and line breaks are text (a stored error spans lines), as in a run's parametros.
    expect((await h.app.inject({ url: '/dashboard/api/jobs?q=a%09b%0A', headers: asKey(h.keyA) })).statusCode).toBe(200);
    // Up to 200 characters; one more is refused (it was cut to 200 and searched, so a bulk retry matched more).
    expect((await h.app.inject({ url: `/dashboard/api/jobs?q=${'x'.repeat(200)}`, headers: asKey(h.keyA) })).statusCode).toBe(200);
    const long = await h.app.inject({ url: `/dashboard/api/jobs?q=${'x'.repeat(201)}`, headers: asKey(h.keyA) });
    expect([long.statusCode, long.json().error.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(long.json().error.message).toContain('querystring.q');
    const retry = (filter: Record<string, string>) =>
      h.app.inject({ method: 'POST', url: '/dashboard/api/jobs/retry', headers: asKey(h.keyA), payload: { filter } });
    const byControl = await retry({ q: 'boom\u0000' });
    expect([byControl.statusCode, byControl.json().error.code]).toEqual([400, 'CONTROL_CHARACTER']);
    expect(byControl.json().error.message).toContain('Campo body.filter.q inválido');
    expect((await retry({ q: 'b'.repeat(201) })).statusCode).toBe(400);
    // The page says it in its frame, naming the field by its label, in the operator's language.
    const { cookie } = await h.login('opa');
    const page = await h.app.inject({ url: '/dashboard/falhas?q=a%00b', headers: { cookie } });
    expect([page.statusCode, page.headers['content-type']]).toEqual([400, expect.stringMatching(/^text\/html/)]);
    expect(page.body).toContain('Campo Buscar inválido: esperado um texto de até 200 caracteres, sem caractere de controle');
    const rows = await h.app.inject({ url: `/dashboard/falhas/linhas?q=${'y'.repeat(201)}&lang=en`, headers: { cookie } });
    expect(rows.statusCode).toBe(400);
    expect(rows.body).toContain('Invalid field Search: expected a text of up to 200 characters');
  });

  it('the search cap counts characters, not UTF-16 units: 200 emoji pass, 201 are refused', async () => {
    const emoji = (n: number) => encodeURIComponent('\u{1F600}'.repeat(n));
    expect((await h.app.inject({ url: `/dashboard/api/jobs?q=${emoji(200)}`, headers: asKey(h.keyA) })).statusCode).toBe(200);
    const long = await h.app.inject({ url: `/dashboard/api/jobs?q=${emoji(201)}`, headers: asKey(h.keyA) });
    expect([long.statusCode, long.json().error.code]).toEqual([400, 'VALIDATION_FAILED']);
    const { cookie } = await h.login('opa');
    expect((await h.app.inject({ url: `/dashboard/falhas?q=${emoji(101)}`, headers: { cookie } })).statusCode).toBe(200);
  });

  it('the failures page and its rows naming an empresa the operator does not see → 404, as the API answers', async () => {
    // Operator B sees only tenant B: tenant A's empresa is not found, not an empty list.
    const { cookie } = await h.login('opb');
    for (const url of [`/dashboard/falhas?empresa=${h.empresaA}`, `/dashboard/falhas/linhas?empresa=${h.empresaA}`]) {
      const res = await h.app.inject({ url, headers: { cookie } });
      expect([url, res.statusCode, res.headers['content-type']]).toEqual([url, 404, expect.stringMatching(/^text\/html/)]);
    }
    for (const url of [`/dashboard/falhas?empresa=${h.empresaB}`, `/dashboard/falhas/linhas?empresa=${h.empresaB}`])
      expect([url, (await h.app.inject({ url, headers: { cookie } })).statusCode]).toEqual([url, 200]);
  });

  it("the bulk retry by a filter naming another tenant's empresa → 404 as the search answers it, nothing retried", async () => {
    await recordJobEvent(h.database.db, {
      empresaId: h.empresaA,
      filialId: null,
      fila: 'set',
      jobId: 'walls-retry-a',
      nomeJob: 'set',
      integracaoId: null,
      parametros: null,
      estado: 'falhou',
      tentativas: 1,
      maxTentativas: 1,
      erro: { classe: 'Error', codigo: null, mensagem: 'boom' },
    });
    for (const lang of ['pt-BR', 'en']) {
      const search = await h.app.inject({ url: `/dashboard/api/jobs?empresa=${h.empresaA}`, headers: asKey(h.keyB, lang) });
      const retry = await h.app.inject({
        method: 'POST',
        url: '/dashboard/api/jobs/retry',
        headers: asKey(h.keyB, lang),
        payload: { filter: { empresa: String(h.empresaA), q: 'walls-retry-a' } },
      });
      expect([retry.statusCode, retry.json()]).toEqual([404, search.json()]);
    }
    // The operator's form alike (operator B sees only tenant B): the not-found page, no confirmation of 0 jobs.
    const { cookie, csrf } = await h.login('opb');
    const form = await h.app.inject({
      method: 'POST',
      url: '/dashboard/acoes/reprocessar',
      headers: { cookie, 'x-csrf-token': csrf },
      payload: { _csrf: csrf, modo: 'filtro', filtro_empresa: String(h.empresaA), filtro_q: 'walls-retry-a', esperado: '1' },
    });
    expect(form.statusCode).toBe(404);
    // Tenant A's job is still failed; A's own key retries it.
    const own = await h.app.inject({ url: `/dashboard/api/jobs?empresa=${h.empresaA}&q=walls-retry-a`, headers: asKey(h.keyA) });
    expect(own.json().items.map((i: { job_id: string }) => i.job_id)).toEqual(['walls-retry-a']);
  });

  it('401 without a key says what to send, not "user or password"', async () => {
    const pt = await h.app.inject({ url: '/dashboard/api/jobs' });
    expect(pt.statusCode).toBe(401);
    expect(pt.json().error.message).toMatch(/^Chave de API ausente ou inválida/);
    const en = await h.app.inject({ url: '/dashboard/api/jobs', headers: { 'accept-language': 'en' } });
    expect(en.json().error.message).toMatch(/^Missing or invalid API key/);
  });

  it('malformed JSON on the API → 400 INVALID_JSON worded, as /v1 answers', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/dashboard/api/jobs/retry',
      headers: { ...asKey(h.keyA), 'content-type': 'application/json' },
      payload: '{"jobs": [',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: { code: 'INVALID_JSON', message: 'O corpo da requisição não é um JSON válido.' } });
  });

  it('the login rate limit answers the login page with the wait worded (HTML, not JSON)', async () => {
    let last = await h.postLogin({ login: 'opa', senha: `${PASSWORD}x` });
    for (let i = 0; i < LOGIN_RATE_LIMIT; i++) {
      last = await h.postLogin({ login: 'opa', senha: `${PASSWORD}x` });
    }
    expect(last.statusCode).toBe(429);
    expect(last.headers['content-type']).toMatch(/^text\/html/);
    expect(last.headers['retry-after']).toMatch(/^\d+$/);
    expect(last.body).toMatch(/Muitas tentativas de entrada deste endereço; tente novamente em \d+ s\./);
    expect(last.body).toContain('<form method="post" action="/dashboard/login"');
    const en = await h.postLogin({ login: 'opa', senha: 'x' }, { url: '/dashboard/login?lang=en' });
    expect(en.body).toMatch(/Too many login attempts from this address; try again in \d+ s\./);
  });
});
