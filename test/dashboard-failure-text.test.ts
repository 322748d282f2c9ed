import { EndpointSyncError } from '@integrador/integrador';
import { createLogger } from '@integrador/logging';
import { createJobRecorder, createRedis, recordedFailure, setAttemptLogLine } from '@integrador/queue';
import { type JobEvent, recordJobEvent } from '@integrador/store';
import { TEST_REDIS_URL } from '@integrador/test-support/redis-server';
import { type Job, Worker } from 'bullmq';
import { DashboardHarness } from './support/dashboard-harness';

/** What must never show: the password a receptor quoted back in its refusal, and a URL's userinfo and query value. */
const LEAKS = /senha-que-o-erp-ecoou|urlpass|s3cr3t-da-url/;

/**
 * The failures list and a job's detail word a failure's code in the operator's language (the failure catalogue of
 * @integrador/queue), with the class, code and stored message (its secrets masked) kept for support; a code the
 * catalogue does not word shows its message as is; another tenant's failures stay out of reach. Records are written
 * as the workers' recorder writes them (the worded text depends only on the row).
 */
describe('dashboard: a failure worded for the operator (pt-BR and English)', () => {
  const h = new DashboardHarness();
  // The receptor refused, quoting the body it was sent and the URL with its userinfo and token.
  const refusal =
    'receptor rejected the request: {"erro":"login inválido","senha":"senha-que-o-erp-ecoou"} at http://urluser:urlpass@erp.example/g5?token=s3cr3t-da-url';

  const failed = (empresaId: number, jobId: string, erro: NonNullable<JobEvent['erro']>) =>
    recordJobEvent(h.database.db, {
      empresaId,
      filialId: null,
      fila: 'set',
      jobId,
      nomeJob: 'integration.run',
      integracaoId: 19,
      parametros: { contaId: 42 },
      estado: 'falhou',
      tentativas: 1,
      maxTentativas: 6,
      erro,
    });

  beforeAll(async () => {
    await h.start();
    await failed(h.empresaA, 'a-refused', { classe: 'ReceptorError', codigo: 'RECEPTOR_REJECTED', mensagem: refusal });
    await failed(h.empresaA, 'a-unworded', { classe: 'Error', codigo: 'SOMETHING_NEW', mensagem: 'algo que o catálogo não conhece' });
    await failed(h.empresaB, 'b-forbidden', {
      classe: 'ConnectionForbiddenError',
      codigo: 'CONNECTION_FORBIDDEN',
      mensagem: 'connection "erp-b" is restricted to empresa 9 (tenant B)',
    });
  }, 120000);

  afterAll(async () => {
    await h.close();
  });

  const page = async (cookie: string, url: string) => {
    const response = await h.app.inject({ url, headers: { cookie } });
    expect(response.statusCode).toBe(200);
    return response.body;
  };

  it("lists the worded reason in the operator's language, the code and the masked message after it", async () => {
    const { cookie } = await h.login('opa');
    const pt = await page(cookie, '/dashboard/falhas');
    expect(pt).toContain(
      '<span class="erro-motivo">o sistema receptor recusou a requisição (confira usuário, senha e os dados enviados)</span>',
    );
    expect(pt).toContain('ReceptorError RECEPTOR_REJECTED');
    expect(pt).toContain(
      'receptor rejected the request: {&quot;erro&quot;:&quot;login inválido&quot;,&quot;senha&quot;:&quot;••••••&quot;}',
    );
    // One language per row: the class, code and English message only folded under "Detalhes técnicos".
    const row = /<tr data-job="set\/a-refused">[\s\S]*?<\/tr>/.exec(pt)?.[0] ?? '';
    expect(row.replace(/<details[\s\S]*?<\/details>/g, '')).not.toMatch(/ReceptorError|receptor rejected/);
    expect(row).toMatch(/<details class="detalhes-tecnicos"><summary>Detalhes técnicos<\/summary>[\s\S]*ReceptorError RECEPTOR_REJECTED/);
    // A code the catalogue does not word: a line in the operator's language, its message (as stored) folded.
    expect(pt).toContain('<span class="erro-motivo">falha sem descrição no catálogo: veja os detalhes técnicos</span>');
    expect(pt).toContain('<span class="muted erro-mensagem">algo que o catálogo não conhece</span></details>');
    expect(pt).not.toMatch(LEAKS);
    const en = await page(cookie, '/dashboard/falhas?lang=en');
    expect(en).toContain(
      '<span class="erro-motivo">the receptor refused the request (check the user, the password and the data sent)</span>',
    );
    expect(en).not.toMatch(LEAKS);
    // The live rows alone, as the page refreshes them.
    expect(await page(cookie, '/dashboard/falhas/linhas?lang=en')).toContain('the receptor refused the request');
  });

  it('shows the detail with the worded reason and the whole message, masked, in pt-BR and English', async () => {
    const { cookie } = await h.login('opa');
    const pt = await page(cookie, '/dashboard/jobs/set/a-refused');
    const cell = /<td id="erro">([\s\S]*?)<\/td>/.exec(pt)?.[1] ?? '';
    expect(cell).toContain('<span class="erro-motivo">o sistema receptor recusou a requisição');
    expect(cell).toContain('ReceptorError RECEPTOR_REJECTED');
    expect(cell).toContain('http://erp.example/g5?token=***');
    expect(pt).not.toMatch(LEAKS);
    const en = await page(cookie, '/dashboard/jobs/set/a-refused?lang=en');
    expect(en).toContain('<span class="erro-motivo">the receptor refused the request');
    expect(en).not.toMatch(LEAKS);
    expect(await page(cookie, '/dashboard/jobs/set/a-unworded')).toContain(
      '<span class="muted erro-mensagem">algo que o catálogo não conhece</span></details>',
    );
  });

  it('gives scripts the worded reason beside the masked message (erro_motivo), in the viewer language', async () => {
    const { cookie } = await h.login('opa');
    const list = await h.app.inject({ url: '/dashboard/api/jobs?lang=en', headers: { cookie } });
    const items = list.json().items as Array<{ job_id: string; erro_motivo: string | null; erro_mensagem: string }>;
    expect(items.find((i) => i.job_id === 'a-refused')).toMatchObject({
      erro_motivo: 'the receptor refused the request (check the user, the password and the data sent)',
      erro_mensagem: expect.stringContaining('"senha":"••••••"'),
    });
    expect(items.find((i) => i.job_id === 'a-unworded')?.erro_motivo).toBeNull();
    const detail = await h.app.inject({ url: '/dashboard/api/jobs/set/a-refused', headers: { cookie } });
    expect(detail.json().record.erro_motivo).toBe('o sistema receptor recusou a requisição (confira usuário, senha e os dados enviados)');
    expect(list.body + detail.body).not.toMatch(LEAKS);
  });

  it("masks BullMQ's copy of the failure and the job's log lines as the record's message (a real failed job)", async () => {
    const queue = h.producer.queue('set');
    await queue.add(
      'integration.run' as never,
      { tenant: { empresaId: h.empresaA, filialId: null }, integracaoId: 19 } as never,
      {
        jobId: 'a-live',
      } as never,
    );
    const connection = createRedis(TEST_REDIS_URL, { role: 'worker' });
    const worker = new Worker(
      'set',
      async (job) => {
        await job.log(`tentativa 1: ${refusal}`);
        throw new Error(refusal);
      },
      { connection, prefix: h.prefix },
    );
    for (let i = 0; i < 200 && !(await queue.getJob('a-live'))?.failedReason; i++) await new Promise((r) => setTimeout(r, 50));
    await worker.close();
    connection.disconnect();
    await failed(h.empresaA, 'a-live', { classe: 'ReceptorError', codigo: 'RECEPTOR_REJECTED', mensagem: refusal });
    const { cookie } = await h.login('opa');
    const detail = await h.app.inject({ url: '/dashboard/api/jobs/set/a-live', headers: { cookie } });
    expect(detail.statusCode).toBe(200);
    const { live } = detail.json() as { live: { failedReason: string; logs: string[] } };
    expect(live.failedReason).toContain('"senha":"••••••"');
    expect(live.logs[0]).toContain('"senha":"••••••"');
    expect(detail.body).not.toMatch(LEAKS);
    const html = await page(cookie, '/dashboard/jobs/set/a-live');
    expect(html).toContain('tentativa 1: receptor rejected the request');
    expect(html).not.toMatch(LEAKS);
  });

  it("words the job's log (Registro) in the viewer's language where the lines are ours; a library's line stays, marked technical", async () => {
    const queue = h.producer.queue('set');
    await queue.add(
      'integration.run' as never,
      { tenant: { empresaId: h.empresaA, filialId: null }, integracaoId: 19 } as never,
      { jobId: 'a-logged' } as never,
    );
    const connection = createRedis(TEST_REDIS_URL, { role: 'worker' });
    const worker = new Worker(
      'set',
      async (job) => {
        // As worker-set writes its attempts, one line written before the lines had codes, and a line of someone else's.
        await job.log(setAttemptLogLine({ recordKey: '42', url: 'http://erp.example/g5?token=s3cr3t-da-url', error: refusal }));
        await job.log(setAttemptLogLine({ recordKey: '43', url: 'http://erp.example/g5', error: null }));
        await job.log(JSON.stringify({ recordKey: '44', url: null, error: 'campo obrigatório sem valor' }));
        await job.log('Missing lock for job a-logged. moveToFinished');
        throw new Error(refusal);
      },
      { connection, prefix: h.prefix },
    );
    for (let i = 0; i < 200 && !(await queue.getJob('a-logged'))?.failedReason; i++) await new Promise((r) => setTimeout(r, 50));
    await worker.close();
    connection.disconnect();
    await failed(h.empresaA, 'a-logged', { classe: 'ReceptorError', codigo: 'RECEPTOR_REJECTED', mensagem: refusal });
    const { cookie } = await h.login('opa');
    const section = (body: string) => /<section id="registro">([\s\S]*?)<\/section>/.exec(body)?.[1] ?? '';
    const pt = section(await page(cookie, '/dashboard/jobs/set/a-logged'));
    expect(pt).toContain('<h2>Registro</h2>');
    // One language per line (F11): the receptor's refusal (English here) folded under "Detalhes técnicos".
    expect(pt).toContain(
      '<li data-codigo="SET_RECORD_FAILED">Registro 42: o envio a http://erp.example/g5?token=*** falhou.<details class="detalhes-tecnicos"><summary>Detalhes técnicos</summary><span class="muted erro-mensagem">receptor rejected',
    );
    expect(pt).toContain('<li data-codigo="SET_RECORD_SENT">Registro 43: enviado a http://erp.example/g5.</li>');
    expect(pt).toContain(
      '<li data-codigo="SET_RECORD_NOT_SENT">Registro 44: não enviado.<details class="detalhes-tecnicos"><summary>Detalhes técnicos</summary><span class="muted erro-mensagem">campo obrigatório sem valor</span></details></li>',
    );
    expect(pt).toContain(
      '<li class="tecnico"><span class="muted">[técnico]</span> <code>Missing lock for job a-logged. moveToFinished</code></li>',
    );
    expect(pt).not.toContain('recordKey');
    expect(pt).not.toMatch(LEAKS);
    const en = section(await page(cookie, '/dashboard/jobs/set/a-logged?lang=en'));
    expect(en).toContain('<li data-codigo="SET_RECORD_SENT">Record 43: sent to http://erp.example/g5.</li>');
    expect(en).toContain(
      'Record 42: sending to http://erp.example/g5?token=*** failed.<details class="detalhes-tecnicos"><summary>Technical details</summary>',
    );
    expect(en).toContain('<span class="muted">[technical]</span> <code>Missing lock for job a-logged. moveToFinished</code>');
    expect(en).not.toMatch(LEAKS);
  });

  it('shows a job BullMQ took back from a worker that stopped mid-run (#8): the attempt count alone hides the resend', async () => {
    const queue = h.producer.queue('set');
    await queue.add(
      'integration.run' as never,
      { tenant: { empresaId: h.empresaA, filialId: null }, integracaoId: 19 } as never,
      { jobId: 'a-stalled', attempts: 6 } as never,
    );
    // The first worker takes the job and dies mid-run (closed by force: its lock is never renewed nor released).
    const first = createRedis(TEST_REDIS_URL, { role: 'worker' });
    let taken!: () => void;
    const running = new Promise<void>((resolve) => {
      taken = resolve;
    });
    const dying = new Worker(
      'set',
      async () => {
        taken();
        await new Promise(() => {});
      },
      // No stalled check of its own: its run would hold the queue's check throttle for a whole interval.
      { connection: first, prefix: h.prefix, lockDuration: 1000, skipStalledCheck: true },
    );
    await running;
    await dying.close(true);
    first.disconnect();
    // Another worker finds the lock gone, takes the job back and runs it to the end.
    const second = createRedis(TEST_REDIS_URL, { role: 'worker' });
    // The earlier tests' workers ran the queue's stalled check, which then rests for their interval (30 s): let it run now.
    await second.del(`${h.prefix}:set:stalled-check`);
    const survivor = new Worker('set', async () => 'ok', {
      connection: second,
      prefix: h.prefix,
      lockDuration: 1000,
      stalledInterval: 200,
    });
    for (let i = 0; i < 300 && (await queue.getJob('a-stalled'))?.finishedOn === undefined; i++)
      await new Promise((r) => setTimeout(r, 50));
    await survivor.close();
    second.disconnect();
    const job = await queue.getJob('a-stalled');
    expect(job?.stalledCounter).toBe(1);
    expect(job?.attemptsMade).toBe(1);
    await recordJobEvent(h.database.db, {
      empresaId: h.empresaA,
      filialId: null,
      fila: 'set',
      jobId: 'a-stalled',
      nomeJob: 'integration.run',
      integracaoId: 19,
      parametros: { contaId: 42 },
      estado: 'concluido',
      tentativas: 1,
      maxTentativas: 6,
    });
    const { cookie } = await h.login('opa');
    const cell = (body: string) => /<td id="tentativas">([\s\S]*?)<\/td>/.exec(body)?.[1] ?? '';
    const pt = cell(await page(cookie, '/dashboard/jobs/set/a-stalled'));
    expect(pt).toMatch(/^1\/6 <span class="falhou retomado">retomado 1 vez depois que o worker parou no meio/);
    expect(cell(await page(cookie, '/dashboard/jobs/set/a-stalled?lang=en'))).toContain('taken back once after its worker stopped mid-run');
    const detail = await h.app.inject({ url: '/dashboard/api/jobs/set/a-stalled', headers: { cookie } });
    expect(detail.json().live.stalledCounter).toBe(1);
    // A job that no worker lost says nothing of the kind.
    expect(cell(await page(cookie, '/dashboard/jobs/set/a-refused'))).toBe('1/6');
  }, 60_000);

  it("words an endpoint sync's failure in the viewer's language from the values its record keeps", async () => {
    // As the worker's recorder writes it: the start first (its row written), then the failure updating that row.
    const recorder = createJobRecorder(h.database, createLogger({ name: 'test', level: 'silent' }), { flushMs: 5 });
    const job = {
      id: 'a-endpoint',
      name: 'endpoint.sync',
      data: { tenant: { empresaId: h.empresaA, filialId: null }, servicoId: 3 },
      attemptsMade: 0,
      opts: { attempts: 3 },
    } as unknown as Job;
    recorder.onJobEvent({ queue: 'get', job, kind: 'started' });
    await recorder.drain();
    const url = 'https://erp.example/contatos';
    const error = new EndpointSyncError('TIMEOUT', { url, limitMs: 30000, seconds: 30 }, true);
    recorder.onJobEvent({ queue: 'get', job: { ...job, attemptsMade: 1 } as Job, kind: 'failed', final: true, error });
    await recorder.drain();
    const pt = `o endpoint ${url} não respondeu em 30 s: a requisição foi cancelada`;
    const en = `the endpoint ${url} did not answer within 30 s: the request was cancelled`;
    expect(error.message).toContain(pt);

    const { cookie } = await h.login('opa');
    const list = await page(cookie, '/dashboard/falhas?lang=en');
    expect(list).toContain(`<span class="erro-motivo">${en}`);
    const detail = await page(cookie, '/dashboard/jobs/get/a-endpoint?lang=en');
    expect(/<td id="erro">([\s\S]*?)<\/td>/.exec(detail)?.[1]).toContain(`<span class="erro-motivo">${en}`);
    // The job's parameters stay its own (the failure's values are not among them).
    expect(detail).toContain('<code>{&quot;servicoId&quot;:3}</code>');
    expect((await page(cookie, '/dashboard/jobs/get/a-endpoint')).includes(`<span class="erro-motivo">${pt}`)).toBe(true);
    const api = await h.app.inject({ url: '/dashboard/api/jobs/get/a-endpoint?lang=en', headers: { cookie } });
    expect(api.json().record).toMatchObject({
      erro_codigo: 'TIMEOUT',
      erro_motivo: expect.stringContaining(en),
      erro_mensagem: error.message,
    });
    // The job status (ingress) and the CLI read the same record.
    const recorded = await recordedFailure(h.database.db, { queue: 'get', jobId: 'a-endpoint', empresaId: h.empresaA }, error.message);
    expect(recorded).toEqual({ code: 'TIMEOUT', params: { url, limitMs: 30000, seconds: 30 } });
    // Another tenant's operator does not reach it.
    const { cookie: other } = await h.login('opb');
    expect((await h.app.inject({ url: '/dashboard/jobs/get/a-endpoint', headers: { cookie: other } })).statusCode).toBe(404);
  });

  it("masks an endpoint's echoed secret in the failure's values and shows the reason once, in the viewer's language", async () => {
    const recorder = createJobRecorder(h.database, createLogger({ name: 'test', level: 'silent' }), { flushMs: 5 });
    // A run parameter named as the key older rows kept a failure's values under stays a parameter.
    const data = { tenant: { empresaId: h.empresaA, filialId: null }, servicoId: 4, parametros: { erroParametros: 'x' } };
    const job = { id: 'a-echo', name: 'endpoint.sync', data, attemptsMade: 0, opts: { attempts: 1 } } as unknown as Job;
    recorder.onJobEvent({ queue: 'get', job, kind: 'started' });
    await recorder.drain();
    const detail = '{"erro":"login inválido","senha":"senha-que-o-erp-ecoou"}';
    const error = new EndpointSyncError('HTTP_ERROR', { url: 'https://erp.example/c', status: 500, detail }, true);
    recorder.onJobEvent({ queue: 'get', job: { ...job, attemptsMade: 1 } as Job, kind: 'failed', final: true, error });
    await recorder.drain();

    const { cookie } = await h.login('opa');
    for (const lang of ['pt-BR', 'en']) {
      const api = await h.app.inject({ url: `/dashboard/api/jobs/get/a-echo?lang=${lang}`, headers: { cookie } });
      const { record } = api.json() as { record: { erro_motivo: string; parametros: string } };
      expect(record.erro_motivo).toContain('"senha":"••••••"');
      expect(JSON.parse(record.parametros)).toMatchObject({ servicoId: 4, erroParametros: 'x' });
      expect(api.body).not.toMatch(LEAKS);
      const html = await page(cookie, `/dashboard/jobs/get/a-echo?lang=${lang}`);
      expect(html).not.toMatch(LEAKS);
      const cell = /<td id="erro">([\s\S]*?)<\/td>/.exec(html)?.[1] ?? '';
      expect(cell).toContain('<span class="erro-motivo">');
      // The stored message is the engine's pt-BR wording of the same reason: not shown beside it, in either language.
      expect(cell).not.toContain('erro-mensagem');
      expect(html).toContain('<code>{&quot;erroParametros&quot;:&quot;x&quot;,&quot;servicoId&quot;:4}</code>');
      const list = await page(cookie, `/dashboard/falhas?lang=${lang}`);
      expect(list).not.toMatch(LEAKS);
    }
    const recorded = await recordedFailure(h.database.db, { queue: 'get', jobId: 'a-echo', empresaId: h.empresaA }, error.message);
    expect(recorded?.params).toMatchObject({ status: 500, detail: '{"erro":"login inválido","senha":"••••••"}' });
  });

  it('masks a secret-named run parameter whatever its JSON type (a number, a boolean, an object), on the page and the API', async () => {
    // A run's parameters as a script sends them: the password a number, a token an object, a flag under a secret name.
    // Written raw, as a row recorded before the store masked them (7831c877): what is shown is the dashboard's masking.
    const at = new Date();
    await h.database.db
      .insertInto('registro_jobs')
      .values({
        empresa_id: h.empresaA,
        empresa_filial_id: null,
        fila: 'set',
        job_id: 'a-numeric-secret',
        nome_job: 'integration.run',
        integracao_id: 19,
        parametros: JSON.stringify({ contaId: 42, senha: 918273, token: { valor: 'tk-aninhado-645' }, apiKey: true, pin: 5 }),
        criado_em: at,
        estado: 'falhou',
        tentativas: 1,
        max_tentativas: 6,
        erro_classe: 'Error',
        erro_codigo: 'SOMETHING_NEW',
        erro_mensagem: 'falhou',
        // The search text as written before the store masked non-string parameters (ab6b7e8c).
        busca:
          'integration.run #a-numeric-secret integracao=19 contaid=42 senha=918273 token={"valor":"tk-aninhado-645"} apikey=true pin=5 error something_new falhou',
        atualizado_em: at,
        iniciado_em: at,
        finalizado_em: at,
      })
      .execute();
    const stored = await h.database.db
      .selectFrom('registro_jobs')
      .select('parametros')
      .where('job_id', '=', 'a-numeric-secret')
      .executeTakeFirstOrThrow();
    expect(stored.parametros).toMatch(/918273/);
    const leaks = /918273|tk-aninhado-645/;
    const { cookie } = await h.login('opa');
    const list = await page(cookie, '/dashboard/falhas');
    const row = /<tr data-job="set\/a-numeric-secret">[\s\S]*?<\/tr>/.exec(list)?.[0] ?? '';
    expect(row).toContain('contaId=42 senha=•••••• token=•••••• apiKey=•••••• pin=5');
    expect(list).not.toMatch(leaks);
    expect(await page(cookie, '/dashboard/jobs/set/a-numeric-secret')).not.toMatch(leaks);
    const detail = await h.app.inject({ url: '/dashboard/api/jobs/set/a-numeric-secret', headers: { cookie } });
    expect(JSON.parse(detail.json().record.parametros)).toEqual({
      contaId: 42,
      senha: '••••••',
      token: '••••••',
      apiKey: '••••••',
      pin: 5,
    });
    const items = (await h.app.inject({ url: '/dashboard/api/jobs', headers: { cookie } })).json().items as Array<{
      job_id: string;
      parametros: string;
    }>;
    expect(JSON.parse(items.find((i) => i.job_id === 'a-numeric-secret')?.parametros ?? '{}')).toMatchObject({
      senha: '••••••',
      token: '••••••',
    });
    expect(detail.body).not.toMatch(leaks);
    expect(detail.json().record.busca).toBe(
      'integration.run #a-numeric-secret integracao=19 contaid=42 senha=•••••• token=•••••• apikey=•••••• pin=5 error something_new falhou',
    );
  });

  it("keeps tenant B's operator and key to tenant B's failures, worded the same way", async () => {
    const { cookie } = await h.login('opb');
    const list = await page(cookie, '/dashboard/falhas');
    expect(list).toContain('a conexão da integração é restrita a outra empresa');
    expect(list).not.toContain('a-refused');
    expect(list).not.toContain('o sistema receptor recusou');
    expect((await h.app.inject({ url: '/dashboard/jobs/set/a-refused', headers: { cookie } })).statusCode).toBe(404);
    const asB = { authorization: `Bearer ${h.keyB}` };
    expect((await h.app.inject({ url: '/dashboard/api/jobs/set/a-refused', headers: asB })).statusCode).toBe(404);
    const items = (await h.app.inject({ url: '/dashboard/api/jobs', headers: asB })).json().items as Array<{ job_id: string }>;
    expect(items.map((i) => i.job_id)).toEqual(['b-forbidden']);
  });
});
