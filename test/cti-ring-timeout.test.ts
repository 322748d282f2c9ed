import type net from 'node:net';
import { saveCtiSettings } from '@integrador/cti';
import { createEmpresa, issueApiKey, timestampValue } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { type AppProcess, spawnApp } from '@integrador/test-support/processes';
import { TEST_REDIS_URL } from '@integrador/test-support/redis-server';
import type { FastifyInstance } from 'fastify';
import { pbxCall } from './fixtures/pbx-simulator';
import { openSse, type SseClient } from './fixtures/sse-client';
import { startTestIngress, type TestIngress } from './support/test-ingress';

const DOMAIN = 'crm.test';
const HOST = `acme.${DOMAIN}`;
const START = '/wconnect/WConnect_WSDL_ConsultaRamal.php';
const END = '/wconnect/WConnect_WSDL_FinalizaLigacao.php';
const HOUR_MS = 3600 * 1000;

interface ListedCall {
  id: number;
  status: string;
  motivo: string | null;
  urlAudio: string | null;
  semInicio: boolean;
}

/**
 * One tenant's CTI over real HTTP: an ingress (listeners, pop streams, the calls API) and a worker-cti process started
 * with `workerEnv` (its CTI_RING_TIMEOUT_MS / CTI_CALL_TIMEOUT_MS as an operator sets them), sweeping every 300 ms.
 */
function ctiStack(workerEnv: Record<string, string>, callTimeoutMs: number) {
  const stack = {} as {
    database: TestDatabase;
    ingress: TestIngress;
    app: FastifyInstance;
    base: string;
    worker: AppProcess;
    keyAcme: string;
  };
  const clients: SseClient[] = [];

  beforeAll(async () => {
    stack.database = await createTestDatabase('postgres');
    const acme = await createEmpresa(stack.database.db, 'Acme');
    stack.keyAcme = await issueApiKey(stack.database.db, acme, null, 'test');
    // Pop tokens are issued for an active usuario's ramal only.
    await stack.database.db
      .insertInto('usuarios')
      .values(['3701', '3801'].map((ramal) => ({ empresa_id: acme, nome: `Agente ${ramal}`, ramal })))
      .execute();
    await saveCtiSettings(stack.database.db, acme, { hostLabel: 'acme', allowlist: ['127.0.0.1', '::1'], ramalLength: 4 });
    stack.ingress = await startTestIngress(stack.database, {
      deps: { cti: { domain: DOMAIN, trustedProxies: [], dedupeWindowMs: 2000, callTimeoutMs, popTokenTtlMs: 60000 } },
    });
    stack.app = stack.ingress.app;
    await stack.app.listen({ host: '127.0.0.1', port: 0 });
    stack.base = `http://127.0.0.1:${(stack.app.server.address() as net.AddressInfo).port}`;
    stack.worker = spawnApp('apps/worker-cti/src/main.ts', {
      REDIS_URL: TEST_REDIS_URL,
      KEY_PREFIX: stack.ingress.prefix,
      CRM_DATABASE_URL: stack.database.url,
      LOG_LEVEL: 'info',
      CTI_SWEEP_INTERVAL_MS: '300',
      ...workerEnv,
    });
    await stack.worker.waitForLog('worker started', 120000);
  }, 180000);

  afterAll(async () => {
    for (const client of clients) client.close();
    stack.worker?.child.kill('SIGTERM');
    await stack.worker?.exited;
    await stack.ingress?.close();
    await stack.database?.drop();
  });

  const auth = (lang = 'pt-BR') => ({ authorization: `Bearer ${stack.keyAcme}`, 'accept-language': lang });

  return {
    stack,
    /** The PBX's GET to a listener, as seed 002 writes it; the listener answers 200 once the event is on the queue. */
    async pbx(path: string, ramal: string, telefone: string, urlAudio?: string) {
      const audio = urlAudio ? `&url_audio=${encodeURIComponent(urlAudio)}` : '';
      const reply = await pbxCall(stack.base, `${path}?ramal=${ramal}&telefone=${telefone}${audio}`, { host: HOST });
      expect(reply.status).toBe(200);
    },
    async subscribe(ramal: string): Promise<SseClient> {
      const issued = await stack.app.inject({ method: 'POST', url: '/v1/cti/pop-tokens', headers: auth(), payload: { ramal } });
      expect(issued.statusCode).toBe(201);
      const client = await openSse(`${stack.base}${issued.json().streamUrl}`);
      clients.push(client);
      return client;
    },
    async listed(ramal: string, lang = 'pt-BR'): Promise<ListedCall[]> {
      const response = await stack.app.inject({ url: `/v1/cti/calls?ramal=${ramal}`, headers: auth(lang) });
      expect(response.statusCode).toBe(200);
      return (response.json() as { calls: ListedCall[] }).calls;
    },
    async until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 20000): Promise<T> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = await read();
        if (done(value)) return value;
        if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)}; worker: ${stack.worker.stderr.join('')}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    /** The call's row, with its duration (the API lists no duration). */
    row: (id: number) => stack.database.db.selectFrom('ligacoes').selectAll().where('id', '=', id).executeTakeFirstOrThrow(),
  };
}

describe('CTI ring timeout set (CTI_RING_TIMEOUT_MS): a call that only rang leaves the page; an end after that is a call of its own', () => {
  /** Set through worker-cti's configuration: a short ring timeout beside a call timeout no test reaches. */
  const RING_TIMEOUT_MS = 2000;
  const CALL_TIMEOUT_MS = 600_000;
  const cti = ctiStack({ CTI_RING_TIMEOUT_MS: String(RING_TIMEOUT_MS), CTI_CALL_TIMEOUT_MS: String(CALL_TIMEOUT_MS) }, CALL_TIMEOUT_MS);

  it('"não atendida" after CTI_RING_TIMEOUT_MS, off the page and its replay; the end sent later does not reopen it', async () => {
    const page = await cti.subscribe('3701');
    await cti.pbx(START, '3701', '11987654321');
    const ringing = await page.waitFor((e) => e.event === 'ringing');
    const callId = ringing.data.callId;
    // The sweep takes it off the page: "ended", without any end from the PBX.
    await page.waitFor((e) => e.event === 'ended' && e.data.callId === callId, RING_TIMEOUT_MS + 15000);
    const [expired] = await cti.until(
      () => cti.listed('3701'),
      (calls) => calls[0]?.status === 'não atendida',
      'call expired',
    );
    expect(expired?.motivo).toMatch(/^encerrada pelo hub: tocou além de CTI_RING_TIMEOUT_MS sem a central enviar o fim/);
    expect(expired?.motivo).toMatch(/um fim que chegar depois é registrado como ligação à parte, sem início$/);
    expect((await cti.listed('3701', 'en'))[0]?.motivo).toMatch(/^ended by the hub: it rang past CTI_RING_TIMEOUT_MS/);
    // A page opened now replays nothing of it.
    const fresh = await cti.subscribe('3701');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(fresh.events.filter((e) => e.data.callId === callId)).toEqual([]);

    // An end of this ramal and number comes now. WConnect names no call: it may be this call's (answered, long) or a
    // later call's whose start was lost. It is logged as a call of its own; the expired call keeps its status.
    const audio = 'https://pbx.example/gravacoes/tarde.wav';
    await cti.pbx(END, '3701', '11987654321', audio);
    const calls = await cti.until(
      () => cti.listed('3701'),
      (rows) => rows.length === 2,
      'end logged',
    );
    expect(calls).toEqual([
      expect.objectContaining({ status: 'finalizada', urlAudio: audio, motivo: null, semInicio: true }),
      expect.objectContaining({ id: expired?.id, status: 'não atendida', urlAudio: null, semInicio: false }),
    ]);
    expect(await cti.row(expired?.id ?? 0)).toMatchObject({ fim: null, duracao_segundos: null, evento_fim_id: null });
    // Nothing came back on the page for the expired call, and the end-only row put nothing on it.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const shown = page.events.filter((e) => e.data.callId === callId).map((e) => e.event);
    expect(shown.filter((e) => e === 'ended')).toHaveLength(1);
    expect(shown[shown.length - 1]).toBe('ended');
    expect(fresh.events).toEqual([]);
  });

  it('an end without a start never closes a call the PBX ended already: it is a call of its own', async () => {
    await cti.pbx(START, '3702', '1133334444');
    await cti.until(
      () => cti.listed('3702'),
      (rows) => rows[0]?.status === 'tocando',
      'start logged',
    );
    await cti.pbx(END, '3702', '1133334444', 'https://pbx.example/gravacoes/1.wav');
    const [ended] = await cti.until(
      () => cti.listed('3702'),
      (rows) => rows[0]?.status === 'finalizada',
      'end logged',
    );
    // Past the listener's dedupe window: a second end of the same ramal and number is a new event.
    await new Promise((resolve) => setTimeout(resolve, 2200));
    await cti.pbx(END, '3702', '1133334444', 'https://pbx.example/gravacoes/2.wav');
    const calls = await cti.until(
      () => cti.listed('3702'),
      (rows) => rows.length === 2,
      'second end logged',
    );
    expect(calls).toEqual([
      expect.objectContaining({ status: 'finalizada', semInicio: true, urlAudio: 'https://pbx.example/gravacoes/2.wav' }),
      expect.objectContaining({ id: ended?.id, status: 'finalizada', semInicio: false, urlAudio: 'https://pbx.example/gravacoes/1.wav' }),
    ]);
  });
});

describe('CTI ring timeout unset (the default): WConnect sends no answer event, so a call stays on the page until its end', () => {
  /** worker-cti's defaults: no CTI_RING_TIMEOUT_MS, CTI_CALL_TIMEOUT_MS 4 h. */
  const cti = ctiStack({}, 4 * HOUR_MS);

  /** Moves a call's start back in time, as if it had started `ms` ago (the worker's sweep reads inicio). */
  async function startedAgo(callId: string, ms: number) {
    const row = await cti.until(
      () => cti.stack.database.db.selectFrom('ligacoes').select('id').where('evento_id', '=', callId).executeTakeFirst(),
      (found) => found !== undefined,
      'start logged',
    );
    const { db } = cti.stack.database;
    await db
      .updateTable('ligacoes')
      .set({ inicio: timestampValue(db, new Date(Date.now() - ms)) })
      .where('id', '=', row?.id ?? 0)
      .execute();
    return row?.id ?? 0;
  }

  it('a call open 2 h (past the old 1 h ring timeout) stays tocando and on the page; its end closes it with the real duration', async () => {
    const page = await cti.subscribe('3801');
    await cti.pbx(START, '3801', '11987654321');
    const answered = String((await page.waitFor((e) => e.event === 'ringing' && e.data.numero === '11987654321')).data.callId);
    // A control call of another number, open past CTI_CALL_TIMEOUT_MS: the sweep closes it ("sem fim recebido"), which
    // shows the sweep ran over both.
    await cti.pbx(START, '3801', '1133334444');
    const stale = String((await page.waitFor((e) => e.event === 'ringing' && e.data.numero === '1133334444')).data.callId);
    const answeredId = await startedAgo(answered, 2 * HOUR_MS);
    await startedAgo(stale, 4 * HOUR_MS + 60000);

    await page.waitFor((e) => e.event === 'ended' && e.data.callId === stale, 15000);
    // Two sweeps more (300 ms apart), then the call is still open and on the page.
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(await cti.row(answeredId)).toMatchObject({ status: 'tocando', fim: null });
    expect(page.events.filter((e) => e.data.callId === answered).map((e) => e.event)).not.toContain('ended');
    const fresh = await cti.subscribe('3801');
    await fresh.waitFor((e) => e.data.callId === answered);
    expect(fresh.events.map((e) => e.data.callId)).not.toContain(stale);

    // Its end, two hours on: the same row, finalizada, with the two hours in its duration; the page drops it.
    await cti.pbx(END, '3801', '11987654321', 'https://pbx.example/gravacoes/longa.wav');
    await page.waitFor((e) => e.event === 'ended' && e.data.callId === answered);
    const row = await cti.row(answeredId);
    expect(row).toMatchObject({ status: 'finalizada', sem_inicio: 0, url_audio: 'https://pbx.example/gravacoes/longa.wav' });
    expect(row.duracao_segundos).toBeGreaterThanOrEqual(2 * 3600);
    expect((await cti.listed('3801')).map((c) => c.status).sort()).toEqual(['finalizada', 'sem fim recebido']);
  });
});
