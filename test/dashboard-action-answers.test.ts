import { createRedis } from '@integrador/queue';
import { type EstadoRegistroJob, findJobRecord, setTenantPaused } from '@integrador/store';
import { TEST_REDIS_URL } from '@integrador/test-support/redis-server';
import { Worker } from 'bullmq';
import { seniorG5ConnectionsYaml } from './fixtures/senior-g5';
import { DashboardHarness } from './support/dashboard-harness';

/**
 * What the dashboard answers its actions with: run now's refusals in the engine's words (the ingress's own, one
 * catalogue), malformed form fields and query parameters as a 400 in the page (never a 500), and a retried job
 * relabelled before it can run again (a record in another state never is).
 */
describe('dashboard action answers', () => {
  const h = new DashboardHarness();
  // Connection senior_g5 (tenant A's conexao_integracao #3) is restricted by this connections file to another empresa.
  const RESTRICTED_TO = 987654;

  beforeAll(async () => {
    await h.start({
      connectionsYaml: (erpUrl, password) => `${seniorG5ConnectionsYaml(erpUrl, { password })}\n    empresaId: ${RESTRICTED_TO}`,
    });
  }, 240000);

  afterAll(async () => {
    await h.close();
  });

  const unescapeHtml = (text: string) =>
    text.replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');
  /** The error flash of a page in the layout (undefined when the answer is no such page). */
  const flashOf = (body: string) => {
    const text = /<div class="flash err" role="status">([^<]*)<\/div>/.exec(body)?.[1];
    return text === undefined ? undefined : unescapeHtml(text);
  };
  const inLayout = (body: string) => body.includes('<meta name="csrf-token"') && body.includes('href="/dashboard/falhas"');

  const integracao = async (values: { nome: string; tipo_servico: string; ativo: number; conexao_integracao_id?: number | null }) =>
    (
      await h.database.db
        .insertInto('integracao')
        .values({ empresa_id: h.empresaA, empresa_filial_id: null, ...values })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;

  it("run now's refusals say the engine's words (the ingress's), in the page and the viewer's language, nothing internal", async () => {
    const { cookie, csrf } = await h.login('opa');
    const info = await integracao({ nome: 'INFO-SALDO', tipo_servico: 'INFO', ativo: 1 });
    const inactive = await integracao({ nome: 'SET-PARADA', tipo_servico: 'SET', ativo: 0 });
    // A conexao_integracao row of tenant B: for tenant A's integration, as if it did not exist.
    const { id: conexaoB } = await h.database.db
      .insertInto('conexao_integracao')
      .values({ tipo_conexao: 'WS', nome_conexao: 'conexao_da_b', empresa_id: h.empresaB })
      .returning('id')
      .executeTakeFirstOrThrow();
    const foreign = await integracao({ nome: 'SET-CONEXAO-B', tipo_servico: 'SET', ativo: 1, conexao_integracao_id: conexaoB });
    const restricted = await integracao({ nome: 'SET-RESTRITA', tipo_servico: 'SET', ativo: 1, conexao_integracao_id: 3 });
    const cases: Array<[number, number, string, string]> = [
      [
        restricted,
        422,
        `A integração #${restricted} usa a conexão "senior_g5", que o arquivo de conexões restringe a outra empresa; nada foi executado (corrija conexao_integracao.nome_conexao; \`config lint\` aponta a linha).`,
        `Integration #${restricted} uses connection "senior_g5", which the connections file restricts to another empresa; nothing was run (fix conexao_integracao.nome_conexao; \`config lint\` names the row).`,
      ],
      [
        19,
        400,
        'Parâmetros obrigatórios ausentes: contaId (parametros_obrigatorios da integração); nada foi enfileirado.',
        "Missing required parameters: contaId (the integration's parametros_obrigatorios); nothing was enqueued.",
      ],
      [
        info,
        409,
        `A integração #${info} (INFO) não pode ser executada por esta rota: /info.`,
        `Integration #${info} (INFO) cannot be run by this route: /info.`,
      ],
      [inactive, 409, `A integração #${inactive} está inativa.`, `Integration #${inactive} is inactive.`],
      [
        foreign,
        422,
        'A integração não tem uma conexão desta empresa (conexao_integracao_id vazio ou de outra empresa); nada foi executado (`config lint` aponta a linha).',
        'The integration has no connection of this empresa (conexao_integracao_id empty or of another empresa); nothing was run (`config lint` names the row).',
      ],
    ];
    for (const [id, status, pt, en] of cases) {
      for (const [lang, text] of [
        ['pt-BR', pt],
        ['en', en],
      ] as const) {
        const form = await h.app.inject({
          method: 'POST',
          url: `/dashboard/acoes/executar?lang=${lang}`,
          headers: { cookie },
          payload: { _csrf: csrf, empresa: String(h.empresaA), integracao: String(id) },
        });
        // The page the form came from, in the layout, with the refusal; not a JSON body nor a generic "HTTP 422".
        expect([id, lang, form.statusCode, form.headers['content-type'], flashOf(form.body)]).toEqual([
          id,
          lang,
          status,
          expect.stringMatching(/^text\/html/),
          text,
        ]);
        expect(inLayout(form.body)).toBe(true);
        // The engine's own message (English, technical: row ids, the other empresa) is never shown.
        for (const internal of ['may not use it', 'no such row', 'conexao_da_b', String(RESTRICTED_TO)])
          expect(form.body).not.toContain(internal);
        for (const internal of ['conexao_integracao #', `empresa ${h.empresaB}`]) expect(flashOf(form.body)).not.toContain(internal);
        // The dashboard's API answers the same words; the ingress's /v1 the same catalogue's (one mapping).
        const api = await h.app.inject({
          method: 'POST',
          url: `/dashboard/api/integrations/${id}/run`,
          headers: { authorization: `Bearer ${h.keyA}`, 'accept-language': lang },
          payload: {},
        });
        const v1 = await h.app.inject({
          method: 'POST',
          url: `/v1/integrations/${id}/run`,
          headers: { authorization: `Bearer ${h.keyA}`, 'accept-language': lang },
          payload: {},
        });
        expect([api.statusCode, api.json().error.message]).toEqual([status, text]);
        expect([v1.statusCode, v1.json().error.code]).toEqual([status, api.json().error.code]);
        expect(`${v1.json().error.message.charAt(0).toUpperCase()}${v1.json().error.message.slice(1)}.`).toBe(text);
      }
    }
    // Another tenant's operator: the integration is not theirs (404), whatever its state.
    const other = await h.login('opb');
    const foreignRun = await h.app.inject({
      method: 'POST',
      url: '/dashboard/acoes/executar',
      headers: { cookie: other.cookie },
      payload: { _csrf: other.csrf, empresa: String(h.empresaA), integracao: '19' },
    });
    expect(foreignRun.statusCode).toBe(404);
  });

  it('a schedule pause and a run now answer in words that fit: the integration paused, the job queued (trial L2)', async () => {
    const { cookie, csrf } = await h.login('admin');
    const get = await h.scheduledGet('GET-FLASH-L2', '0 3 * * *');
    const infoFlash = (body: string) => unescapeHtml(/<div class="flash " role="status">([^<]*)<\/div>/.exec(body)?.[1] ?? '');
    const post = (url: string, fields: Record<string, string>) =>
      h.app.inject({
        method: 'POST',
        url,
        headers: { cookie },
        payload: { _csrf: csrf, empresa: String(h.empresaA), integracao: String(get.id), ...fields },
      });
    const run = await post('/dashboard/acoes/executar', {});
    expect([run.statusCode, flashOf(run.body)]).toEqual([302, undefined]);
    const location = run.headers.location as string;
    expect(location).toMatch(new RegExp(`^/dashboard/agendamentos\\?executada=${get.id}&job=get%2F`));
    const job = decodeURIComponent(/job=([^&]+)/.exec(location)?.[1] ?? '');
    expect(infoFlash((await h.app.inject({ url: location, headers: { cookie } })).body)).toBe(
      `Execução da integração #${get.id} enfileirada: job ${job}.`,
    );
    expect(infoFlash((await h.app.inject({ url: `${location}&lang=en`, headers: { cookie } })).body)).toBe(
      `Run of integracao #${get.id} queued: job ${job}.`,
    );
    for (const [modo, text] of [
      ['pausar', `Agendamento da integração #${get.id} pausado.`],
      ['retomar', `Agendamento da integração #${get.id} retomado.`],
    ] as const) {
      const answer = await post('/dashboard/acoes/agendamento', { modo });
      expect(answer.statusCode).toBe(302);
      expect(infoFlash((await h.app.inject({ url: answer.headers.location as string, headers: { cookie } })).body)).toBe(text);
    }
  });

  it("an operator of one empresa typing another empresa's id gets one answer on every page: the not-found page, 404 (trial L5)", async () => {
    const b = await h.login('opb');
    const a = h.empresaA;
    for (const url of [
      `/dashboard/falhas?empresa=${a}`,
      `/dashboard/agendamentos?empresa=${a}`,
      `/dashboard/ligacoes?empresa=${a}`,
      `/dashboard/webhooks?empresa=${a}`,
      '/dashboard/jobs/set/no-such-job',
    ]) {
      for (const [lang, text] of [
        ['pt-BR', 'Não encontrado.'],
        ['en', 'Not found.'],
      ] as const) {
        const answer = await h.app.inject({ url: `${url}${url.includes('?') ? '&' : '?'}lang=${lang}`, headers: { cookie: b.cookie } });
        expect([url, answer.statusCode, /<p id="nao-encontrado">([^<]*)<\/p>/.exec(answer.body)?.[1]]).toEqual([url, 404, text]);
      }
    }
  });

  it('the webhooks page says the empresa is paused, so a resend there waits for its resume; its schedules offer no row pause (trial L3)', async () => {
    const { cookie } = await h.login('opa');
    const get = await h.scheduledGet('GET-PAUSA-L3', '0 4 * * *');
    const row = async () =>
      /<tr><td>GET-PAUSA-L3[\s\S]*?<\/tr>/.exec((await h.app.inject({ url: '/dashboard/agendamentos', headers: { cookie } })).body)?.[0] ??
      '';
    expect(await row()).toContain('value="pausar"');
    const url = `/dashboard/webhooks?empresa=${h.empresaA}`;
    expect((await h.app.inject({ url, headers: { cookie } })).body).not.toContain('id="empresas-pausadas"');
    await setTenantPaused(h.database.db, h.empresaA, true, 'test');
    try {
      const paused = await row();
      expect(paused).toContain('<td>pausado com a empresa (retome a empresa)</td>');
      expect(paused).not.toContain('value="pausar"');
      expect(paused).toContain(`value="${get.id}"`);
      const body = (await h.app.inject({ url, headers: { cookie } })).body;
      expect(body).toMatch(
        /<p class="flash err" id="empresas-pausadas">Empresas pausadas \(agendamentos parados; jobs na fila só rodam quando forem retomadas\):/,
      );
    } finally {
      await setTenantPaused(h.database.db, h.empresaA, false, 'test');
    }
  });

  it('a form action with a malformed job, integration, empresa, endpoint or delivery id answers 400 in the page, never a 500', async () => {
    const { cookie, csrf } = await h.login('admin');
    const a = String(h.empresaA);
    const forms: Array<[string, Record<string, string | string[]>, string, string]> = [
      ['/dashboard/acoes/reprocessar', { modo: 'selecao', job: 'set/abc\u0000def' }, 'job', 'fila/id de um job'],
      ['/dashboard/acoes/reprocessar', { modo: 'selecao', job: ['set/ok', 'se\u0000t/x'] }, 'job', 'fila/id de um job'],
      ['/dashboard/acoes/reprocessar', { modo: 'selecao', job: `set/${'x'.repeat(201)}` }, 'job', 'fila/id de um job'],
      ['/dashboard/acoes/descartar', { job: 'set/a\u0001b' }, 'job', 'fila/id de um job'],
      ['/dashboard/acoes/executar', { empresa: a, integracao: '19\u0000' }, 'integracao', 'um id'],
      ['/dashboard/acoes/executar', { empresa: '99999999999', integracao: '19' }, 'empresa', 'um id'],
      ['/dashboard/acoes/executar', { empresa: a }, 'integracao', 'um id'],
      ['/dashboard/acoes/agendamento', { empresa: a, integracao: '2147483648', modo: 'pausar' }, 'integracao', 'um id'],
      ['/dashboard/acoes/empresa', { empresa: '1.5', modo: 'pausar' }, 'empresa', 'um id'],
      ['/dashboard/acoes/empresa', { empresa: '-1', modo: 'pausar' }, 'empresa', 'um id'],
      ['/dashboard/acoes/webhook-reenviar', { empresa: a, endpoint: '1\u0000', entrega: '1' }, 'endpoint', 'um id'],
      ['/dashboard/acoes/webhook-reenviar', { empresa: a, endpoint: '1', entrega: '99999999999' }, 'entrega', 'um id'],
      ['/dashboard/acoes/webhook-reenviar', { empresa: 'x\u0000', endpoint: '1', entrega: '1' }, 'empresa', 'um id'],
      ['/dashboard/acoes/webhook-recuperar', { empresa: a, endpoint: '1', desde: '\u0000' }, 'desde', 'uma data e hora'],
    ];
    for (const [url, fields, field, expected] of forms) {
      const res = await h.app.inject({ method: 'POST', url, headers: { cookie }, payload: { _csrf: csrf, ...fields } });
      expect([url, field, res.statusCode, res.headers['content-type']]).toEqual([url, field, 400, expect.stringMatching(/^text\/html/)]);
      expect(inLayout(res.body)).toBe(true);
      expect(flashOf(res.body)).toMatch(new RegExp(`^Campo ${field} inválido: esperado ${expected}`));
    }
    // A form without the session's CSRF token (a page older than the session): a page saying to reload, nothing done.
    const stale = await h.app.inject({
      method: 'POST',
      url: '/dashboard/acoes/empresa',
      headers: { cookie },
      payload: { _csrf: 'token-de-outra-sessao', empresa: a, modo: 'pausar' },
    });
    expect([stale.statusCode, flashOf(stale.body)]).toEqual([403, 'Token de segurança inválido; recarregue a página.']);
    expect(inLayout(stale.body)).toBe(true);
    const english = await h.app.inject({
      method: 'POST',
      url: '/dashboard/acoes/descartar?lang=en',
      headers: { cookie },
      payload: { _csrf: csrf, job: 'set/a\u0000b' },
    });
    expect([english.statusCode, flashOf(english.body)]).toEqual([
      400,
      "Invalid field job: expected a job's queue/id (up to 200 characters, no control characters).",
    ]);
    // Well-formed ids of nothing still answer as before: a redirect with the counts, a 404 for an integration.
    const unknown = await h.app.inject({
      method: 'POST',
      url: '/dashboard/acoes/reprocessar',
      headers: { cookie },
      payload: { _csrf: csrf, modo: 'selecao', job: 'set/nao-existe' },
    });
    expect(unknown.statusCode).toBe(302);
    // Trial 4: the page it goes back to says how many were not found (never whose), not only "0 jobs".
    const back = await h.app.inject({ url: String(unknown.headers.location), headers: { cookie } });
    expect(unescapeHtml(/<div class="flash ?"[^>]*>([^<]*)<\/div>/.exec(back.body)?.[1] ?? '')).toBe(
      'Ação registrada: 0 jobs reprocessados; 1 não encontrado (não existe mais ou não é de uma empresa que você vê).',
    );
    const missing = await h.app.inject({
      method: 'POST',
      url: '/dashboard/acoes/executar',
      headers: { cookie },
      payload: { _csrf: csrf, empresa: a, integracao: '2147483647' },
    });
    expect(missing.statusCode).toBe(404);
  });

  it('relabels a retried job aguardando_retentativa before it can run again; a refused retry keeps its falhou', async () => {
    const queue = h.producer.queue('set');
    const data = { tenant: { empresaId: h.empresaA, filialId: null }, integracaoId: 19 };
    const record = (jobId: string, estado: EstadoRegistroJob) =>
      h.recordSetJob(jobId, {
        parametros: {},
        estado,
        erro: { classe: 'PermanentError', codigo: 'RECEPTOR_ERROR', mensagem: 'recusado-relabel' },
      });
    const estadoOf = async (jobId: string) => (await findJobRecord(h.database.db, 'all', 'set', jobId))?.estado;
    // What the record says each time a worker takes the job: a worker failing at once, as the ERP refusing it would.
    const seen: Array<string | undefined> = [];
    const connection = createRedis(TEST_REDIS_URL, { role: 'worker' });
    const worker = new Worker(
      'set',
      async (job) => {
        seen.push(await estadoOf(job.id as string));
        throw new Error('recusado-relabel');
      },
      { connection, prefix: h.prefix },
    );
    const until = async (done: () => Promise<boolean> | boolean, tries = 200) => {
      for (let i = 0; i < tries && !(await done()); i++) await new Promise((r) => setTimeout(r, 50));
    };
    try {
      await queue.add('integration.run' as never, data as never, { jobId: 'relabel-1' } as never);
      await until(async () => (await queue.getJob('relabel-1'))?.finishedOn !== undefined);
      await record('relabel-1', 'falhou');
      const { cookie, csrf } = await h.login('opa');
      // The record's row held by another transaction: the dashboard's relabel waits for it. Retried before relabelling,
      // the job would reach the worker meanwhile (still reading falhou); relabelled first, it is not retried yet.
      let release = () => {};
      const released = new Promise<void>((r) => (release = r));
      let locked = () => {};
      const isLocked = new Promise<void>((r) => (locked = r));
      const lock = h.database.db.transaction().execute(async (trx) => {
        await trx
          .selectFrom('registro_jobs')
          .select('id')
          .where('fila', '=', 'set')
          .where('job_id', '=', 'relabel-1')
          .forUpdate()
          .execute();
        locked();
        await released;
      });
      await isLocked;
      const posting = h.app.inject({
        method: 'POST',
        url: '/dashboard/acoes/reprocessar',
        headers: { cookie },
        payload: { _csrf: csrf, modo: 'selecao', job: 'set/relabel-1' },
      });
      await until(() => seen.length === 2, 20);
      release();
      await lock;
      const retried = await posting;
      expect([retried.statusCode, retried.headers.location]).toEqual([302, '/dashboard/falhas?feito=1&acao=retry']);
      await until(() => seen.length === 2);
      // The worker that took the retried job already read the new label: it was written before the retry, so the
      // worker's next falhou (written after it) is the last word, never overwritten by a late relabel.
      expect(seen[1]).toBe('aguardando_retentativa');
    } finally {
      await worker.close();
      connection.disconnect();
    }
    // Waiting in Redis (retried elsewhere) but recorded falhou: the retry is refused (409), and the record says what
    // Redis says — the job waits to run again — instead of the lagging falhou.
    await queue.add('integration.run' as never, data as never, { jobId: 'relabel-waiting' } as never);
    await record('relabel-waiting', 'falhou');
    const retryApi = (jobId: string) =>
      h.app.inject({
        method: 'POST',
        url: '/dashboard/api/jobs/retry',
        headers: { authorization: `Bearer ${h.keyA}` },
        payload: { jobs: [{ queue: 'set', id: jobId }] },
      });
    const refused = await retryApi('relabel-waiting');
    expect([refused.statusCode, refused.json().error.code]).toEqual([409, 'JOB_NOT_FAILED']);
    expect(await estadoOf('relabel-waiting')).toBe('aguardando_retentativa');
    // A record that never said failed (ativo while its job waits, adiado while it is delayed: a selection of every
    // state, or the API) keeps its state when the retry is refused: only a failed record is relabelled (it used to end
    // aguardando_retentativa, the refused retry's label left on it).
    for (const [jobId, estado, delay] of [
      ['relabel-ativo', 'ativo', 0],
      ['relabel-adiado', 'adiado', 600000],
    ] as const) {
      await queue.add('integration.run' as never, data as never, { jobId, delay } as never);
      await record(jobId, estado);
      const answer = await retryApi(jobId);
      expect([jobId, answer.statusCode, answer.json().error.code]).toEqual([jobId, 409, 'JOB_NOT_FAILED']);
      expect(await estadoOf(jobId)).toBe(estado);
    }

    // A double click: two retries of one failed job at once (no worker running). One retries it, the other is refused
    // or finds it retried — never a 500 — and the record is left aguardando_retentativa while the job waits in Redis
    // (the refused one used to put falhou back over the first one's label).
    for (let round = 0; round < 4; round++) {
      const jobId = `relabel-double-${round}`;
      await queue.add('integration.run' as never, data as never, { jobId, attempts: 1 } as never);
      // Failed by a worker that runs only until then (a running one would take the retried job).
      const oneShotConnection = createRedis(TEST_REDIS_URL, { role: 'worker' });
      const oneShot = new Worker(
        'set',
        async () => {
          throw new Error('recusado-relabel');
        },
        { connection: oneShotConnection, prefix: h.prefix },
      );
      await until(async () => (await queue.getJob(jobId))?.finishedOn !== undefined);
      await oneShot.close();
      oneShotConnection.disconnect();
      await record(jobId, 'falhou');
      const answers = await Promise.all([retryApi(jobId), retryApi(jobId)]);
      expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 409]);
      expect(await (await queue.getJob(jobId))?.getState()).toBe('waiting');
      expect(await estadoOf(jobId)).toBe('aguardando_retentativa');
    }
  });

  it('the list pages and the API answer weird query values with a page or a 4xx, never a 500', async () => {
    const { cookie } = await h.login('opa');
    const pages = ['/dashboard/falhas', '/dashboard/falhas/linhas', '/dashboard/ligacoes', '/dashboard/webhooks', '/dashboard/auditoria'];
    const apis = ['/dashboard/api/jobs', '/dashboard/api/calls', '/dashboard/api/webhooks', '/dashboard/api/audit'];
    const weird = [
      'page=-1',
      'page=99999999999999999999',
      'estado=nenhum',
      'empresa=99999999999',
      `empresa=${h.empresaB}`,
      'empresa=-1',
      'integracao=0',
      'q=%27%3B%20DROP%20TABLE%20registro_jobs%3B--',
      'q=%00',
      'telefone=%00',
      'desde=%00',
      'antes=-1',
      'limit=-1',
      'offset=-1',
      'limit=99999999999',
      'lang=xx',
      'q=a&q=b',
      'telefone=1&telefone=2',
      'empresa=1&empresa=2',
      'lang=pt-BR&lang=en',
    ];
    for (const base of [...pages, ...apis]) {
      for (const query of weird) {
        const url = `${base}?${query}`;
        const headers = base.startsWith('/dashboard/api/') ? { authorization: `Bearer ${h.keyA}` } : { cookie };
        const res = await h.app.inject({ url, headers });
        expect([url, res.statusCode < 500]).toEqual([url, true]);
      }
    }
    // A repeated parameter is refused naming it (it was a 500 where the value is trimmed or searched).
    const repeated = await h.app.inject({ url: '/dashboard/falhas?q=a&q=b', headers: { cookie } });
    expect([repeated.statusCode, flashOf(repeated.body)]).toEqual([
      400,
      'Campo q inválido: esperado um único valor (o parâmetro veio repetido).',
    ]);
    const calls = await h.app.inject({ url: '/dashboard/api/calls?telefone=1&telefone=2', headers: { authorization: `Bearer ${h.keyA}` } });
    expect([calls.statusCode, calls.json().error.message]).toEqual([
      400,
      'Campo querystring.telefone inválido: esperado um único valor (o parâmetro veio repetido).',
    ]);
    const audit = await h.app.inject({ url: '/dashboard/api/audit?limit=-1', headers: { authorization: `Bearer ${h.keyA}` } });
    expect([audit.statusCode, audit.json().error.code]).toEqual([400, 'VALIDATION_FAILED']);
    // Ids in the API's paths and bodies past the database's integer: 400, not the database's error.
    const post = (url: string, payload: object = {}) =>
      h.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${h.keyA}` }, payload });
    for (const res of [
      await post('/dashboard/api/integrations/99999999999/run'),
      await post('/dashboard/api/schedules/99999999999/pause'),
      await post('/dashboard/api/webhooks/99999999999/deliveries/1/resend'),
      await post('/dashboard/api/webhooks/99999999999/recover', { since: '2026-01-01T00:00:00Z' }),
      await h.app.inject({
        url: '/dashboard/api/webhooks/99999999999/deliveries/1/attempts',
        headers: { authorization: `Bearer ${h.keyA}` },
      }),
    ])
      expect([res.statusCode, res.json().error.message]).toEqual([400, expect.stringMatching(/params\.id inválido: esperado um id/)]);
    // A count past its bounds is worded by them, not as an id (the bulk retry's `expected` counts from 0).
    const count = await post('/dashboard/api/jobs/retry', { filter: { q: 'x' }, expected: -1 });
    expect([count.statusCode, count.json().error.message]).toEqual([
      400,
      'Campo body.expected inválido: esperado um número inteiro a partir de 0.',
    ]);
    const countEn = await h.app.inject({
      method: 'POST',
      url: '/dashboard/api/jobs/retry',
      headers: { authorization: `Bearer ${h.keyA}`, 'accept-language': 'en' },
      payload: { filter: { q: 'x' }, expected: -1 },
    });
    expect(countEn.json().error.message).toBe('Invalid field body.expected: expected an integer of at least 0.');
  });
});
