import { parseAddressAllowlist } from '@integrador/connections';
import { createLogger } from '@integrador/logging';
import { createEmpresa, issueApiKey } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { type AppProcess, spawnApp } from '@integrador/test-support/processes';
import { TEST_REDIS_URL, testPrefix } from '@integrador/test-support/redis-server';
import { type Receiver, spawnReceiver } from '@integrador/test-support/webhook-receiver';
import { createWebhookHttpClient, DEFAULT_WEBHOOK_SETTINGS, type WebhookHttpClient } from '@integrador/webhooks';
import type { FastifyInstance } from 'fastify';
import { startTestIngress, type TestIngress } from '../support/test-ingress';
import { LONG, report, sleep, until } from './fault-mode';

/**
 * A webhook receiver down (connection refused) for longer than several retries, then back: every delivery succeeds
 * within the retry schedule (shortened through WEBHOOK_RETRY_SCHEDULE_MS), once per event. Webhooks are at-least-once:
 * the same webhook-id may arrive twice (the receiver dedupes by it), but one event never gets two different ids.
 */
// Long mode only (npm run test:faults): starting the worker process dominates its ~40 s, over npm test's budget.
(LONG ? describe : describe.skip)('a webhook receiver down for a long stretch', () => {
  const _logger = createLogger({ name: 'fault-test', level: 'silent' });
  // A fixed port of this suite's range, so the receiver comes back at the address the endpoint names.
  const port = 17400 + Math.floor(Math.random() * 100);
  const downMs = 20_000;
  const EVENTS = 50;
  const schedule = '500,1000,2000,4000,8000,16000';
  let database: TestDatabase;
  let receiver: Receiver | undefined;
  let http: WebhookHttpClient;
  let app: FastifyInstance;
  let ingress: TestIngress;
  let worker: AppProcess;
  let prefix: string;
  let key: string;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    prefix = testPrefix();
    const empresaId = await createEmpresa(database.db, 'Faculdade Exemplo');
    key = await issueApiKey(database.db, empresaId, null, 'test');
    for (let i = 0; i < EVENTS; i++)
      await database.db
        .insertInto('contatos')
        .values({ id: 1000 + i, empresa_id: empresaId, codigo: `C${i}`, nome: `Aluno ${i}` })
        .execute();
    const settings = { ...DEFAULT_WEBHOOK_SETTINGS, allowlist: parseAddressAllowlist(['127.0.0.1/32']) };
    http = createWebhookHttpClient(settings);
    ingress = await startTestIngress(database, { prefix, deps: { webhooks: { settings, http } } });
    ({ app } = ingress);
    worker = spawnApp('apps/worker-webhook/src/main.ts', {
      REDIS_URL: TEST_REDIS_URL,
      KEY_PREFIX: prefix,
      CRM_DATABASE_URL: database.url,
      LOG_LEVEL: 'info',
      JOB_LOCK_MS: '2000',
      WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32',
      WEBHOOK_RETRY_SCHEDULE_MS: schedule,
      WEBHOOK_TIMEOUT_MS: '1000',
      WEBHOOK_CONNECT_TIMEOUT_MS: '1000',
      WEBHOOK_BREAKER_COOLDOWN_MS: '500',
      WEBHOOK_DISABLE_AFTER_MS: String(downMs * 10),
    });
    await worker.waitForLog('worker started');
  });

  afterAll(async () => {
    worker.child.kill('SIGTERM');
    await worker.exited;
    await ingress.close();
    await http.close();
    await receiver?.close();
    await database.drop();
  });

  const headers = () => ({ authorization: `Bearer ${key}` });

  it('delivers every event once the receiver is back, within the retry schedule', async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: headers(),
      payload: { nome: 'destino fora do ar', url: `http://127.0.0.1:${port}/ok/down`, gatilhos: ['contato.alterado'] },
    });
    expect(created.statusCode).toBe(201);
    const webhookId = (created.json() as { id: number }).id;

    // The receiver is down (nothing listens on the port): attempts are refused connections until the endpoint's
    // breaker opens; while it is open, deliveries wait for the cooldown without an attempt.
    const events = EVENTS;
    for (let i = 0; i < events; i++) {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/events/crm-change',
        headers: headers(),
        payload: { tabela: 'contatos', id: String(1000 + i), operacao: 'alterado' },
      });
      expect(res.statusCode).toBe(202);
    }
    await sleep(downMs);
    receiver = await spawnReceiver(port);

    const deliveries = async () =>
      (
        (await app.inject({ url: `/v1/webhooks/${webhookId}/deliveries?limit=200`, headers: headers() })).json() as {
          items: { id: number; status: string }[];
        }
      ).items;
    await until('every delivery delivered', async () => (await deliveries()).every((d) => d.status === 'entregue'), 60_000, 200);
    const rows = await deliveries();
    const requests = await receiver.requests('/ok/down');
    const ids = new Set(requests.map((r) => r.headers['webhook-id']));
    let refusedAttempts = 0;
    for (const row of rows) {
      const attempts = (
        (await app.inject({ url: `/v1/webhooks/${webhookId}/deliveries/${row.id}/attempts`, headers: headers() })).json() as {
          items: { classe_erro: string | null }[];
        }
      ).items;
      refusedAttempts += attempts.filter((a) => a.classe_erro === 'connection_refused').length;
    }
    report(`webhook receiver refusing connections for ${downMs / 1000} s, then back`, {
      enqueued: events,
      processed: rows.filter((d) => d.status === 'entregue').length,
      lost: events - ids.size,
      duplicated: requests.length - ids.size,
    });
    process.stdout.write(`  ${refusedAttempts} attempts refused while it was down; retry schedule ${schedule} ms\n`);
    expect(rows).toHaveLength(events);
    // One webhook-id per event; a repeat of the same id would be at-least-once, allowed, and the receiver dedupes it.
    expect(ids.size).toBe(events);
    // The outage was real: refusals were recorded (not every event has one of its own: the breaker holds the rest back).
    expect(refusedAttempts).toBeGreaterThan(0);
  }, 120_000);
});
