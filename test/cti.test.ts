import type net from 'node:net';
import { issueListenerToken, saveCtiSettings } from '@integrador/cti';
import { createLogger } from '@integrador/logging';
import type { JobProducer } from '@integrador/queue';
import { createEmpresa, issueApiKey } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { type AppProcess, spawnApp } from '@integrador/test-support/processes';
import { freePort, TEST_REDIS_URL } from '@integrador/test-support/redis-server';
import type { FastifyInstance } from 'fastify';
import { type PbxStub, pbxCall, startPbxStub } from './fixtures/pbx-simulator';
import { openSse, type SseClient } from './fixtures/sse-client';
import { startTestIngress, type TestIngress } from './support/test-ingress';

const _logger = createLogger({ name: 'test', level: 'silent' });
const DOMAIN = 'crm.test';
const START = '/wconnect/WConnect_WSDL_ConsultaRamal.php';
const END = '/wconnect/WConnect_WSDL_FinalizaLigacao.php';
/** Short, so "sem fim recebido" shows within a test; long enough for the other calls to end first. */
const CALL_TIMEOUT_MS = 6000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** When each number was last clicked to call (click-to-call dedupes the same ramal and number within the window). */
const clickedAt = new Map<string, number>();

describe('CTI end to end: PBX simulator → ingress → worker-cti → call log and screen pop (SSE)', () => {
  let database: TestDatabase;
  let producer: JobProducer;
  let app: FastifyInstance;
  let ingress: TestIngress;
  let base: string;
  let worker: AppProcess;
  let ingress2: AppProcess;
  let base2: string;
  let pbx: PbxStub;
  let prefix: string;
  let acme: number;
  let outra: number;
  let keyAcme: string;
  let keyOutra: string;
  let tokenAcme: string;
  let tokenOutra: string;
  let contaId: number;
  let usuarioId: number;
  const clients: SseClient[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    pbx = await startPbxStub();
    acme = await createEmpresa(database.db, 'Acme');
    outra = await createEmpresa(database.db, 'Outra');
    keyAcme = await issueApiKey(database.db, acme, null, 'test');
    keyOutra = await issueApiKey(database.db, outra, null, 'test');
    await saveCtiSettings(database.db, acme, {
      hostLabel: 'acme',
      allowlist: ['127.0.0.1', '::1'],
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a ${NOME} secret reference, as an operator writes it
      pbxSecretRef: '${PBX_TOKEN}',
      pbxUrlTemplate: `${pbx.url}/api/clicktodial?origem={ramal_origem}&destino={numero_destino}&ramal={ramal_destino}`,
      pbxAuth: 'token_url',
      pbxParamName: 'token',
      dialPrefix: '0',
      ramalLength: 4,
      allowPrivateNetwork: true,
    });
    tokenAcme = await issueListenerToken(database.db, acme);
    // Outra's PBX calls from elsewhere: requests from here are foreign.
    await saveCtiSettings(database.db, outra, { hostLabel: 'outra', allowlist: ['10.9.9.9'] });
    tokenOutra = await issueListenerToken(database.db, outra);
    await database.db.insertInto('contas').values({ empresa_id: acme, nome: 'Conta Exemplo', celular: '(11) 98765-4321' }).execute();
    contaId = Number(
      (await database.db.selectFrom('contas').select('id').where('nome', '=', 'Conta Exemplo').executeTakeFirstOrThrow()).id,
    );
    await database.db.insertInto('usuarios').values({ empresa_id: acme, nome: 'Ana', ramal: '3501' }).execute();
    // Pop tokens are issued for an active usuario's ramal only (trial 3, finding 5); Outra has its own 3501.
    await database.db
      .insertInto('usuarios')
      .values([
        { empresa_id: acme, nome: 'Bia', ramal: '3601' },
        { empresa_id: acme, nome: 'Caio', ramal: '3801' },
        { empresa_id: outra, nome: 'Ana da Outra', ramal: '3501' },
      ])
      .execute();
    usuarioId = Number((await database.db.selectFrom('usuarios').select('id').where('ramal', '=', '3501').executeTakeFirstOrThrow()).id);

    ingress = await startTestIngress(database, {
      deps: {
        cti: { domain: DOMAIN, trustedProxies: ['127.0.0.1'], dedupeWindowMs: 2000, callTimeoutMs: CALL_TIMEOUT_MS, popTokenTtlMs: 60000 },
      },
    });
    ({ app, producer, prefix } = ingress);
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as net.AddressInfo).port}`;
    const env = { REDIS_URL: TEST_REDIS_URL, KEY_PREFIX: prefix, CRM_DATABASE_URL: database.url, LOG_LEVEL: 'info' };
    worker = spawnApp('apps/worker-cti/src/main.ts', {
      ...env,
      CTI_CALL_TIMEOUT_MS: String(CALL_TIMEOUT_MS),
      CTI_SWEEP_INTERVAL_MS: '300',
      [`CTI_SECRET_${acme}_PBX_TOKEN`]: 's3cr3t-pbx',
    });
    // A second ingress process, without trusted proxies.
    const port2 = await freePort();
    ingress2 = spawnApp('apps/ingress/src/server.ts', { ...env, PORT: String(port2), CTI_DOMAIN: DOMAIN });
    base2 = `http://127.0.0.1:${port2}`;
    await Promise.all([
      worker.waitForLog('worker started', 120000),
      ingress2.waitForLog(/^Server listening/, 120000).catch((err: Error) => {
        throw new Error(`${err.message}; log: ${JSON.stringify(ingress2.lines)}`);
      }),
    ]);
    // Two processes start on a shared machine: give them longer than one test.
  }, 180000);

  afterAll(async () => {
    for (const client of clients) client.close();
    worker.child.kill('SIGTERM');
    ingress2.child.kill('SIGTERM');
    await Promise.all([worker.exited, ingress2.exited]);
    await ingress.close();
    await pbx.close();
    await database.drop();
  });

  const auth = (key: string) => ({ authorization: `Bearer ${key}` });
  const host = 'acme.crm.test';

  async function subscribe(ramal: string, key = keyAcme, at = base, lastEventId?: string): Promise<SseClient> {
    const issued = await app.inject({ method: 'POST', url: '/v1/cti/pop-tokens', headers: auth(key), payload: { ramal } });
    expect(issued.statusCode).toBe(201);
    const client = await openSse(`${at}${issued.json().streamUrl}`, lastEventId);
    expect(client.status).toBe(200);
    clients.push(client);
    return client;
  }

  const callsOf = (empresaId: number, ramal: string) =>
    database.db.selectFrom('ligacoes').selectAll().where('empresa_id', '=', empresaId).where('ramal', '=', ramal).orderBy('id').execute();

  async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 15000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await read();
      if (done(value)) return value;
      if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)}; worker: ${worker.stderr.join('')}`);
      await sleep(100);
    }
  }

  it('host label form: the start pops "ringing" then the conta; the end closes one row with duration and url_audio', async () => {
    const sse = await subscribe('3501');
    const started = await pbxCall(base, `${START}?ramal=3501&telefone=11987654321`, { host });
    expect([started.status, started.body]).toEqual([200, 'OK']);

    const ringing = await sse.waitFor((e) => e.event === 'ringing');
    expect(ringing.data).toMatchObject({ ramal: '3501', numero: '11987654321', normalizado: '+5511987654321' });
    const caller = await sse.waitFor((e) => e.event === 'caller' && e.data.callId === ringing.data.callId);
    expect(caller.data.matches).toEqual([
      expect.objectContaining({ tabela: 'contas', id: contaId, nome: 'Conta Exemplo', campo: 'celular' }),
    ]);
    expect(Number(caller.id)).toBeGreaterThan(Number(ringing.id));

    await sleep(1100);
    const audio = 'https://pbx.example/gravacoes/abc.wav';
    const ended = await pbxCall(base, `${END}?ramal=3501&telefone=11987654321&url_audio=${encodeURIComponent(audio)}`, { host });
    expect(ended.status).toBe(200);
    await sse.waitFor((e) => e.event === 'ended' && e.data.callId === ringing.data.callId);

    const rows = await until(
      () => callsOf(acme, '3501'),
      (r) => r[0]?.status === 'finalizada',
      'call closed',
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      usuario_id: usuarioId,
      conta_id: contaId,
      telefone: '11987654321',
      telefone_normalizado: '+5511987654321',
      direcao: 'entrada',
      url_audio: audio,
      sem_inicio: 0,
    });
    expect(rows[0]?.duracao_segundos).toBeGreaterThanOrEqual(1);

    const listed = await app.inject({ url: '/v1/cti/calls?ramal=3501', headers: auth(keyAcme) });
    expect(listed.statusCode).toBe(200);
    expect(listed.json().calls).toEqual([
      expect.objectContaining({ id: rows[0]?.id, status: 'finalizada', contaId, usuarioId, urlAudio: audio, semInicio: false }),
    ]);
    const byConta = await app.inject({ url: `/v1/cti/calls?contaId=${contaId}&usuarioId=${usuarioId}&limit=1`, headers: auth(keyAcme) });
    expect(byConta.json().calls.map((c: { id: number }) => c.id)).toEqual([rows[0]?.id]);
  });

  it('path token form, posted as a form: an unknown caller pops with its normalised number', async () => {
    const sse = await subscribe('3601');
    const form = { ramal: '3601', telefone: '(47) 3210-0123' };
    expect((await pbxCall(base, `/t/${tokenAcme}${START}`, { form })).status).toBe(200);
    const caller = await sse.waitFor((e) => e.event === 'caller');
    expect(caller.data).toMatchObject({ matches: [], normalizado: '+554732100123' });
    expect((await pbxCall(base, `/t/${tokenAcme}${END}`, { form: { ...form, url_audio: '' } })).status).toBe(200);
    // The end may be taken while the start's job still runs (the card came from the listener): its end-only row is
    // then closed before the start fills it in, so wait for the call as it ends up, one closed row with its start.
    const rows = await until(
      () => callsOf(acme, '3601'),
      (r) => r[0]?.status === 'finalizada' && r[0]?.sem_inicio === 0,
      'call closed with its start',
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ conta_id: null, sem_inicio: 0 });
  });

  it('a PBX repeating a request within seconds makes one event and one row', async () => {
    const replies = await Promise.all([1, 2, 3].map(() => pbxCall(base, `${START}?ramal=3602&telefone=2133334444`, { host })));
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200]);
    await until(
      () => callsOf(acme, '3602'),
      (r) => r.length === 1,
      'start logged',
    );
    await Promise.all([1, 2].map(() => pbxCall(base, `${END}?ramal=3602&telefone=2133334444`, { host })));
    const rows = await until(
      () => callsOf(acme, '3602'),
      (r) => r[0]?.status === 'finalizada',
      'call closed',
    );
    await sleep(500);
    expect(await callsOf(acme, '3602')).toHaveLength(1);
    expect(rows[0]?.sem_inicio).toBe(0);
  });

  it('an end without a start is one closed row; a start without an end becomes "sem fim recebido"', async () => {
    await pbxCall(base, `${END}?ramal=3603&telefone=1140041234&url_audio=x.wav`, { host });
    const orphan = await until(
      () => callsOf(acme, '3603'),
      (r) => r.length === 1,
      'end logged',
    );
    expect(orphan[0]).toMatchObject({ status: 'finalizada', sem_inicio: 1, url_audio: 'x.wav', duracao_segundos: null });

    await pbxCall(base, `${START}?ramal=3604&telefone=1140041234`, { host });
    await until(
      () => callsOf(acme, '3604'),
      (r) => r[0]?.status === 'tocando',
      'start logged',
    );
    const expired = await until(
      () => callsOf(acme, '3604'),
      (r) => r[0]?.status === 'sem fim recebido',
      'start expired',
      CALL_TIMEOUT_MS + 10000,
    );
    expect(expired).toHaveLength(1);
  });

  it('a missing ramal is a 400 naming it; a missing telefone is a withheld caller id, taken (trial 3, finding 2)', async () => {
    const noRamal = await pbxCall(base, `${START}?telefone=11987654321`, { host, headers: { 'accept-language': 'en' } });
    expect(noRamal.status).toBe(400);
    expect(JSON.parse(noRamal.body).error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'ramal' });
    const noPhone = await pbxCall(base, `/t/${tokenAcme}${END}`, { form: { ramal: '3501', telefone: '1'.repeat(41) } });
    expect(noPhone.status).toBe(400);
    expect(JSON.parse(noPhone.body).error).toMatchObject({ field: 'telefone', message: expect.stringContaining('telefone') });
    expect((await pbxCall(base, `/t/${tokenAcme}${END}`, { form: { ramal: '3599' } })).status).toBe(200);
    // The PBX technician reads what each parameter takes (an over-long ramal: its maximum), and no internal spec name.
    const longRamal = await pbxCall(base, `${START}?ramal=${'1'.repeat(21)}&telefone=11987654321`, { host });
    expect(longRamal.status).toBe(400);
    const { message } = JSON.parse(longRamal.body).error as { message: string };
    expect(message).toBe(
      'parâmetro "ramal" é inválido (esperado: até 20 caracteres entre letras, dígitos, *, # e - (o canal do PABX também serve: SIP/201 ou PJSIP/201-0000001a é o ramal 201))',
    );
    expect(JSON.parse(noRamal.body).error.message).toBe(
      'parameter "ramal" is required (expected: up to 20 letters, digits, *, # or - (the PBX channel will do too: SIP/201 or PJSIP/201-0000001a is extension 201))',
    );
    expect(`${message} ${noPhone.body}`).not.toMatch(/seed/);
  });

  it('unknown tenants, bad tokens and foreign addresses all get the same 404 and enqueue nothing', async () => {
    const queue = producer.queue('cti');
    const count = async () => Object.values(await queue.getJobCounts()).reduce((a, b) => a + b, 0);
    const before = await count();
    const q = '?ramal=3501&telefone=11987654321';
    const replies = await Promise.all([
      pbxCall(base, `${START}${q}`, { host: 'ninguem.crm.test' }),
      pbxCall(base, `${START}${q}`, { host: 'acme.outro-dominio.test' }),
      pbxCall(base, `${START}${q}`),
      pbxCall(base, `/t/ctk_${'x'.repeat(32)}${START}${q}`),
      pbxCall(base, `/t/nada${START}${q}`),
      // Outra's allowlist holds only its PBX's address.
      pbxCall(base, `${START}${q}`, { host: 'outra.crm.test' }),
      pbxCall(base, `/t/${tokenOutra}${START}${q}`),
      // 127.0.0.1 is a trusted proxy here, so the forwarded address is the one checked: not Acme's PBX.
      pbxCall(base, `${START}${q}`, { host, headers: { 'x-forwarded-for': '200.1.2.3' } }),
      // The second ingress trusts no proxy: a forwarded header proves nothing there.
      pbxCall(base2, `${START}${q}`, { host: 'outra.crm.test', headers: { 'x-forwarded-for': '10.9.9.9' } }),
      pbxCall(base, '/wconnect/WConnect_WSDL_Outro.php'),
    ]);
    expect(replies.map((r) => r.status)).toEqual(replies.map(() => 404));
    expect(new Set(replies.map((r) => r.body)).size).toBe(1);
    expect(JSON.parse(replies[0]?.body ?? '{}')).toEqual({ error: { code: 'NOT_FOUND', message: 'recurso não encontrado' } });
    // Through a trusted proxy, the PBX's own forwarded address is let in.
    const proxied = await pbxCall(base, `${START}?ramal=3701&telefone=11987654321`, {
      host: 'outra.crm.test',
      headers: { 'x-forwarded-for': '10.9.9.9' },
    });
    expect(proxied.status).toBe(200);
    expect(await count()).toBe(before + 1);
    await until(
      () => callsOf(outra, '3701'),
      (r) => r.length === 1,
      'outra call logged',
    );
    // Outra's call found nothing of Acme's, though the number is Acme's conta.
    expect((await callsOf(outra, '3701'))[0]?.conta_id).toBeNull();
  });

  it("another tenant's key sees none of the calls, jobs or pops and cannot place a call", async () => {
    // Outra's key gets no token for a ramal only Acme has, as click-to-call refuses it; its own 3501 rings nothing of Acme's.
    const foreign = await app.inject({ method: 'POST', url: '/v1/cti/pop-tokens', headers: auth(keyOutra), payload: { ramal: '3601' } });
    expect(foreign.statusCode).toBe(400);
    expect(foreign.json().error).toMatchObject({ code: 'CTI_UNKNOWN_RAMAL', message: expect.stringContaining('3601') });
    const spy = await subscribe('3501', keyOutra);
    const own = await subscribe('3501');
    await pbxCall(base, `${START}?ramal=3501&telefone=11987654321`, { host });
    await own.waitFor((e) => e.event === 'caller');
    await sleep(300);
    expect(spy.events).toEqual([]);

    const theirs = await app.inject({ url: '/v1/cti/calls', headers: auth(keyOutra) });
    expect(theirs.json().calls.every((c: { ramal: string }) => c.ramal === '3701')).toBe(true);
    // Counted before Acme's click: its job may reach the PBX before the next line runs.
    const before = pbx.requests.length;
    clickedAt.set('3502', Date.now());
    const click = await app.inject({
      method: 'POST',
      url: '/v1/cti/click-to-call',
      headers: auth(keyAcme),
      payload: { ramal: '3501', numero: '3502' },
    });
    const jobId = click.json().jobId as string;
    expect((await app.inject({ url: `/v1/jobs/cti/${jobId}`, headers: auth(keyOutra) })).statusCode).toBe(404);
    const refused = await app.inject({
      method: 'POST',
      url: '/v1/cti/click-to-call',
      headers: auth(keyOutra),
      payload: { ramal: '3501', numero: '3502' },
    });
    expect(refused.statusCode).toBe(409);
    await until(
      () => app.inject({ url: `/v1/jobs/cti/${jobId}`, headers: auth(keyAcme) }).then((r) => r.json().state),
      (s) => s === 'completed',
      'click',
    );
    expect(pbx.requests.length).toBe(before + 1);
    await pbxCall(base, `${END}?ramal=3501&telefone=11987654321`, { host });
  });

  it('two ingress processes: a pop posted to one reaches a subscriber of the other; a reconnect replays the call still ringing', async () => {
    const remote = await subscribe('3801', keyAcme, base2);
    await pbxCall(base, `${START}?ramal=3801&telefone=11987654321`, { host });
    const first = await remote.waitFor((e) => e.event === 'caller');
    expect(first.data.matches).toEqual([expect.objectContaining({ id: contaId })]);
    const lastSeen = remote.lastEventId();
    remote.close();

    // While the operator is away, a second call rings at the ramal.
    await pbxCall(base, `${START}?ramal=3801&telefone=4732100123`, { host });
    await until(
      () => callsOf(acme, '3801'),
      (r) => r.length === 2,
      'second call logged',
    );
    const back = await subscribe('3801', keyAcme, base2, lastSeen);
    const replayed = await back.waitFor((e) => e.event === 'caller' && e.data.numero === '4732100123');
    expect(Number(replayed.id)).toBeGreaterThan(Number(lastSeen));
    await sleep(200);
    // The call it had already seen is not sent twice.
    expect(back.events.filter((e) => e.data.callId === first.data.callId)).toEqual([]);
    // A page opened afresh (no Last-Event-ID) gets both calls still ringing.
    const fresh = await subscribe('3801', keyAcme, base2);
    await fresh.waitFor((e) => e.data.callId === first.data.callId);
    await fresh.waitFor((e) => e.data.numero === '4732100123');
    await pbxCall(base, `${END}?ramal=3801&telefone=11987654321`, { host });
    await fresh.waitFor((e) => e.event === 'ended' && e.data.callId === first.data.callId);
  });

  describe('click-to-call against a local PBX stub', () => {
    async function clickToCall(numero: string) {
      // The same ramal and number within the dedupe window (2 s here) is one call (an agent's double click): each
      // click of these tests is a call of its own, so it waits the window out.
      const digits = numero.replace(/\D/g, '');
      const last = clickedAt.get(digits);
      if (last !== undefined) await sleep(Math.max(0, last + 2100 - Date.now()));
      clickedAt.set(digits, Date.now());
      const accepted = await app.inject({
        method: 'POST',
        url: '/v1/cti/click-to-call',
        headers: auth(keyAcme),
        payload: { ramal: '3501', numero },
      });
      expect(accepted.statusCode).toBe(202);
      const { jobId, callId } = accepted.json() as { jobId: string; callId: string };
      const job = await until(
        () => app.inject({ url: `/v1/jobs/cti/${jobId}`, headers: auth(keyAcme) }).then((r) => r.json()),
        (j) => j.state === 'completed' || j.state === 'failed',
        'click-to-call job',
        20000,
      );
      const row = await database.db
        .selectFrom('ligacoes')
        .selectAll()
        .where('empresa_id', '=', acme)
        .where('evento_id', '=', callId)
        .executeTakeFirstOrThrow();
      return { jobId, job, row, request: pbx.requests[pbx.requests.length - 1] };
    }

    it('dials an external number with the prefix and an extension without it, with the URL token', async () => {
      const external = await clickToCall('(47) 3210-0123');
      expect(external.job.state).toBe('completed');
      expect(Object.fromEntries(external.request?.url.searchParams ?? [])).toEqual({
        origem: '3501',
        destino: '04732100123',
        ramal: '',
        token: 's3cr3t-pbx',
      });
      expect(external.row).toMatchObject({
        direcao: 'saida',
        status: 'em andamento',
        usuario_id: usuarioId,
        telefone_normalizado: '+554732100123',
      });
      expect(JSON.stringify(external.job.returnvalue)).not.toContain('s3cr3t');

      const extension = await clickToCall('3502');
      expect(Object.fromEntries(extension.request?.url.searchParams ?? [])).toMatchObject({ destino: '3502', ramal: '3502' });
    });

    it('refuses a number that cannot be dialled, enqueueing nothing', async () => {
      const before = pbx.requests.length;
      const refused = await app.inject({
        method: 'POST',
        url: '/v1/cti/click-to-call',
        headers: { ...auth(keyAcme), 'accept-language': 'en' },
        payload: { ramal: '3501', numero: '1234567890123' },
      });
      expect(refused.statusCode).toBe(400);
      expect(refused.json().error).toMatchObject({ code: 'CTI_INVALID_NUMBER', message: expect.stringContaining('"1234567890123"') });
      // Longer than an extension of the empresa, shorter than a phone number: the ramal length that would take it.
      const short = await app.inject({
        method: 'POST',
        url: '/v1/cti/click-to-call',
        headers: { ...auth(keyAcme), 'accept-language': 'en' },
        payload: { ramal: '3501', numero: '123456' },
      });
      expect(short.json().error).toMatchObject({ code: 'CTI_NUMBER_TOO_SHORT', message: expect.stringContaining('--ramal-length 6') });
      await sleep(300);
      expect(pbx.requests.length).toBe(before);
    });

    it('retries a PBX that did not take the request (503, 429), and fails at once with the PBX answer on a 4xx', async () => {
      pbx.script.push({ status: 503, body: 'ocupado' }, { status: 429, body: 'devagar' });
      const before = pbx.requests.length;
      const retried = await clickToCall('11987654321');
      // BullMQ counts the attempt that succeeded too: two failures, then success on the third.
      expect(retried.job).toMatchObject({ state: 'completed', attemptsMade: 3 });
      expect(pbx.requests.length - before).toBe(3);

      pbx.script.push({ status: 404, body: 'ramal 3501 inexistente no PABX' });
      const refused = await clickToCall('11987654321');
      expect(refused.job.state).toBe('failed');
      expect(refused.job.failedReason).toContain('ramal 3501 inexistente no PABX');
      expect(refused.job.attemptsMade).toBe(1);
      expect(refused.row).toMatchObject({ status: 'falhou', erro: expect.stringContaining('404') });
      // An operator's retry of it is refused in words at the API (trial finding 7): the click has expired.
      const retry = (key: string, lang = 'pt-BR') =>
        app.inject({ method: 'POST', url: `/v1/jobs/cti/${refused.jobId}/retry`, headers: { ...auth(key), 'accept-language': lang } });
      const pt = await retry(keyAcme);
      expect([pt.statusCode, pt.json().error]).toEqual([
        409,
        {
          code: 'JOB_NOT_RETRYABLE',
          message: `o job cti/${refused.jobId} é um click-to-call, que não é reprocessado: o clique já expirou e a nova tentativa só falharia de novo; peça ao agente que clique de novo`,
        },
      ]);
      expect((await retry(keyAcme, 'en')).json().error.message).toBe(
        `job cti/${refused.jobId} is a click-to-call, which is not retried: the click has expired and a new attempt could only fail again; ask the agent to click again`,
      );
      expect((await retry(keyOutra)).statusCode).toBe(404);
      expect((await app.inject({ url: `/v1/jobs/cti/${refused.jobId}`, headers: auth(keyAcme) })).json().state).toBe('failed');
    });

    it("a PBX secret not set fails the call; GET /v1/cti/calls' motivo names the variable in the reader's language, to its tenant only", async () => {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a ${NOME} secret reference, as an operator writes it
      await saveCtiSettings(database.db, acme, { pbxSecretRef: '${SEM_VALOR}' });
      try {
        const before = pbx.requests.length;
        const failed = await clickToCall('(47) 3210-0123');
        expect(failed.job).toMatchObject({ state: 'failed', attemptsMade: 1 });
        expect(pbx.requests.length).toBe(before);
        expect(failed.row).toMatchObject({ status: 'falhou' });
        const variable = `CTI_SECRET_${acme}_SEM_VALOR`;
        const motivo = (lang: string) =>
          app
            .inject({ url: '/v1/cti/calls?ramal=3501&limit=200', headers: { ...auth(keyAcme), 'accept-language': lang } })
            .then((r) => (r.json().calls as Array<{ id: number; motivo: string | null }>).find((c) => c.id === failed.row.id)?.motivo);
        // Worded once the job's record is written (the worker records after the failure).
        expect(
          await until(
            () => motivo('pt-BR'),
            (text) => typeof text === 'string',
            'worded motivo',
          ),
        ).toBe(
          `o segredo do PABX desta empresa não está definido no hub, e nada foi enviado ao PABX: peça ao operador do hub que defina ${variable}`,
        );
        // The tenant cannot set the hub's environment: told whom to ask, not to set it on worker-cti.
        expect(await motivo('en')).toBe(
          `this empresa's PBX secret is not set on the hub, and nothing was sent to the PBX: ask the hub's operator to set ${variable}`,
        );
        const theirs = await app.inject({ url: '/v1/cti/calls?limit=200', headers: auth(keyOutra) });
        expect(theirs.statusCode).toBe(200);
        expect(theirs.body).not.toContain(variable);
        // The tenant polling its click-to-call's job reads the same wording, not the operators' "set it on worker-cti".
        const jobText = (lang: string) =>
          app
            .inject({ url: `/v1/jobs/cti/${failed.jobId}`, headers: { ...auth(keyAcme), 'accept-language': lang } })
            .then((r) => r.json().failedReasonText as string | null);
        expect(await jobText('pt-BR')).toBe(await motivo('pt-BR'));
        expect(await jobText('en')).toBe(await motivo('en'));
        const theirJob = await app.inject({ url: `/v1/jobs/cti/${failed.jobId}`, headers: auth(keyOutra) });
        expect(theirJob.statusCode).toBe(404);
        expect(theirJob.body).not.toContain(variable);
      } finally {
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the reference the suite's worker has a value for
        await saveCtiSettings(database.db, acme, { pbxSecretRef: '${PBX_TOKEN}' });
      }
    });

    it('never sends a call again once the PBX had the request: a reset or a 502 fails the job on its first attempt', async () => {
      for (const answer of ['reset', { status: 502, body: 'gateway' }] as const) {
        pbx.script.push(answer);
        const before = pbx.requests.length;
        const failed = await clickToCall('11987654321');
        expect(failed.job).toMatchObject({ state: 'failed', attemptsMade: 1 });
        // The pt-BR wording first (once the job's record is written), then the detail.
        const worded = await until(
          () => app.inject({ url: `/v1/jobs/cti/${failed.jobId}`, headers: auth(keyAcme) }).then((r) => String(r.json().failedReasonText)),
          (text) => text !== failed.job.failedReason,
          'worded failure',
        );
        expect(worded).toMatch(/^(resultado desconhecido|o PABX falhou).*a central pode ter discado; verifique antes de repetir/);
        // The dialled number is Conta Exemplo's: the outbound row names it, as an inbound call from it would.
        expect(failed.row).toMatchObject({
          status: 'falhou',
          conta_id: contaId,
          erro: expect.stringContaining('the PBX may have dialled'),
        });
        await sleep(1500);
        // A retry would have come after BullMQ's 1 s backoff.
        expect(pbx.requests.length - before).toBe(1);
      }
    });
  });
});
