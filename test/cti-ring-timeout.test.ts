import type net from 'node:net';
import { saveCtiSettings } from '@integrador/cti';
import { createEmpresa, issueApiKey } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { type AppProcess, spawnApp } from '@integrador/test-support/processes';
import { TEST_REDIS_URL } from '@integrador/test-support/redis-server';
import type { FastifyInstance } from 'fastify';
import { pbxCall } from './fixtures/pbx-simulator';
import { openSse, type SseClient } from './fixtures/sse-client';
import { startTestIngress, type TestIngress } from './support/test-ingress';

const DOMAIN = 'crm.test';
const START = '/wconnect/WConnect_WSDL_ConsultaRamal.php';
const END = '/wconnect/WConnect_WSDL_FinalizaLigacao.php';
/** Set through worker-cti's configuration: a short ring timeout beside a call timeout no test reaches. */
const RING_TIMEOUT_MS = 2000;
const CALL_TIMEOUT_MS = 600_000;

describe('CTI ring timeout end to end: a call that only rang leaves the operator page; its late end still closes it', () => {
  let database: TestDatabase;
  let ingress: TestIngress;
  let app: FastifyInstance;
  let base: string;
  let worker: AppProcess;
  let acme: number;
  let keyAcme: string;
  const clients: SseClient[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    acme = await createEmpresa(database.db, 'Acme');
    keyAcme = await issueApiKey(database.db, acme, null, 'test');
    await saveCtiSettings(database.db, acme, { hostLabel: 'acme', allowlist: ['127.0.0.1', '::1'], ramalLength: 4 });
    ingress = await startTestIngress(database, {
      deps: { cti: { domain: DOMAIN, trustedProxies: [], dedupeWindowMs: 2000, callTimeoutMs: CALL_TIMEOUT_MS, popTokenTtlMs: 60000 } },
    });
    app = ingress.app;
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as net.AddressInfo).port}`;
    worker = spawnApp('apps/worker-cti/src/main.ts', {
      REDIS_URL: TEST_REDIS_URL,
      KEY_PREFIX: ingress.prefix,
      CRM_DATABASE_URL: database.url,
      LOG_LEVEL: 'info',
      CTI_RING_TIMEOUT_MS: String(RING_TIMEOUT_MS),
      CTI_CALL_TIMEOUT_MS: String(CALL_TIMEOUT_MS),
      CTI_SWEEP_INTERVAL_MS: '300',
    });
    await worker.waitForLog('worker started', 120000);
  }, 180000);

  afterAll(async () => {
    for (const client of clients) client.close();
    worker?.child.kill('SIGTERM');
    await worker?.exited;
    await ingress?.close();
    await database?.drop();
  });

  const auth = (lang = 'pt-BR') => ({ authorization: `Bearer ${keyAcme}`, 'accept-language': lang });

  async function subscribe(ramal: string): Promise<SseClient> {
    const issued = await app.inject({ method: 'POST', url: '/v1/cti/pop-tokens', headers: auth(), payload: { ramal } });
    expect(issued.statusCode).toBe(201);
    const client = await openSse(`${base}${issued.json().streamUrl}`);
    clients.push(client);
    return client;
  }

  async function listed(lang: string) {
    const response = await app.inject({ url: '/v1/cti/calls?ramal=3701', headers: auth(lang) });
    expect(response.statusCode).toBe(200);
    return (response.json() as { calls: { id: number; status: string; motivo: string | null; urlAudio: string | null }[] }).calls;
  }

  async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 20000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await read();
      if (done(value)) return value;
      if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)}; worker: ${worker.stderr.join('')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('"não atendida" after CTI_RING_TIMEOUT_MS, off the page and its replay; the end sent later makes it finalizada', async () => {
    const host = `acme.${DOMAIN}`;
    const page = await subscribe('3701');
    expect((await pbxCall(base, `${START}?ramal=3701&telefone=11987654321`, { host })).status).toBe(200);
    const ringing = await page.waitFor((e) => e.event === 'ringing');
    const callId = ringing.data.callId;
    // The sweep takes it off the page: "ended", without any end from the PBX.
    await page.waitFor((e) => e.event === 'ended' && e.data.callId === callId, RING_TIMEOUT_MS + 15000);
    const [expired] = await until(
      () => listed('pt-BR'),
      (calls) => calls[0]?.status === 'não atendida',
      'call expired',
    );
    expect(expired?.motivo).toMatch(/^encerrada pelo hub: tocou além de CTI_RING_TIMEOUT_MS sem a central enviar o fim/);
    expect((await listed('en'))[0]?.motivo).toMatch(/^ended by the hub: it rang past CTI_RING_TIMEOUT_MS/);
    // A page opened now replays nothing of it.
    const fresh = await subscribe('3701');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(fresh.events.filter((e) => e.data.callId === callId)).toEqual([]);

    // The PBX's end comes late (the call had been answered, which WConnect never says): recorded on that row.
    const audio = 'https://pbx.example/gravacoes/tarde.wav';
    expect((await pbxCall(base, `${END}?ramal=3701&telefone=11987654321&url_audio=${encodeURIComponent(audio)}`, { host })).status).toBe(
      200,
    );
    const calls = await until(
      () => listed('pt-BR'),
      (rows) => rows[0]?.status === 'finalizada',
      'late end recorded',
    );
    expect(calls).toEqual([
      expect.objectContaining({ id: expired?.id, status: 'finalizada', urlAudio: audio, motivo: null, semInicio: false }),
    ]);
    const row = await database.db
      .selectFrom('ligacoes')
      .selectAll()
      .where('id', '=', expired?.id ?? 0)
      .executeTakeFirstOrThrow();
    expect(row.duracao_segundos).toBeGreaterThanOrEqual(RING_TIMEOUT_MS / 1000);
  });
});
