import { parseAddressAllowlist } from '@integrador/connections';
import { createLogger } from '@integrador/logging';
import { createEmpresa, issueApiKey } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import type { AppProcess } from '@integrador/test-support/processes';
import { testPrefix } from '@integrador/test-support/redis-server';
import { type Receiver, spawnReceiver } from '@integrador/test-support/webhook-receiver';
import { createWebhookHttpClient, DEFAULT_WEBHOOK_SETTINGS, type WebhookHttpClient } from '@integrador/webhooks';
import type { FastifyInstance } from 'fastify';
import { startTestIngress, type TestIngress } from '../support/test-ingress';
import { LONG, report, until } from './fault-mode';
import { WorkerPool } from './worker-pool';

/**
 * worker-webhook killed with SIGKILL several times while deliveries flow, restarted each time: every event reaches the
 * receiver at least once, and a repeat carries the same webhook-id (Standard Webhooks' idempotency contract: the
 * receiver dedupes by it), never a second id for one event.
 */
describe('worker-webhook killed (SIGKILL) mid-delivery', () => {
  const _logger = createLogger({ name: 'fault-test', level: 'silent' });
  const EVENTS = LONG ? 400 : 60;
  const KILLS = LONG ? 6 : 3;
  let database: TestDatabase;
  let receiver: Receiver;
  let http: WebhookHttpClient;
  let app: FastifyInstance;
  let ingress: TestIngress;
  let prefix: string;
  let key: string;
  const workers = new WorkerPool();

  async function startWorker(): Promise<AppProcess> {
    return workers.start(
      'apps/worker-webhook/src/main.ts',
      { prefix, databaseUrl: database.url },
      {
        WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32',
        WEBHOOK_RETRY_SCHEDULE_MS: '200,500,1000,2000,4000',
        WEBHOOK_TIMEOUT_MS: '2000',
      },
    );
  }

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    prefix = testPrefix();
    receiver = await spawnReceiver();
    const empresaId = await createEmpresa(database.db, 'Faculdade Exemplo');
    key = await issueApiKey(database.db, empresaId, null, 'test');
    for (let i = 0; i < EVENTS; i++)
      await database.db
        .insertInto('contatos')
        .values({ id: 5000 + i, empresa_id: empresaId, codigo: `K${i}`, nome: `Aluno ${i}` })
        .execute();
    const settings = { ...DEFAULT_WEBHOOK_SETTINGS, allowlist: parseAddressAllowlist(['127.0.0.1/32']) };
    http = createWebhookHttpClient(settings);
    ingress = await startTestIngress(database, { prefix, deps: { webhooks: { settings, http } } });
    ({ app } = ingress);
  }, 120_000);

  afterAll(async () => {
    await workers.stopAll();
    await ingress.close();
    await http.close();
    await receiver.close();
    await database.drop();
  });

  const headers = () => ({ authorization: `Bearer ${key}` });

  it('delivers every event at least once, a repeat only under the same webhook-id', async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: headers(),
      payload: { nome: 'destino', url: `${receiver.url}/ok/kill`, gatilhos: ['contato.alterado'] },
    });
    expect(created.statusCode).toBe(201);
    const webhookId = (created.json() as { id: number }).id;
    let worker = await startWorker();
    for (let i = 0; i < EVENTS; i++) {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/events/crm-change',
        headers: headers(),
        payload: { tabela: 'contatos', id: String(5000 + i), operacao: 'alterado' },
      });
      expect(res.statusCode).toBe(202);
    }
    for (let kill = 1; kill <= KILLS; kill++) {
      const target = Math.floor((EVENTS * kill) / (KILLS + 1));
      await until(`${target} deliveries received`, async () => (await receiver.requests('/ok/kill')).length >= target, 120_000, 20);
      await workers.kill(worker);
      worker = await startWorker();
    }
    const deliveries = async () =>
      (
        (await app.inject({ url: `/v1/webhooks/${webhookId}/deliveries?limit=1000`, headers: headers() })).json() as {
          items: { status: string }[];
        }
      ).items;
    await until(
      'every event delivered',
      async () => {
        const rows = await deliveries();
        return rows.length === EVENTS && rows.every((d) => d.status === 'entregue');
      },
      180_000,
      250,
    );
    const requests = await receiver.requests('/ok/kill');
    // Which event each webhook-id carried, and which ids each event arrived under.
    const idsPerEvent = new Map<string, Set<string>>();
    const eventsPerId = new Map<string, Set<string>>();
    for (const request of requests) {
      const webhookMessageId = request.headers['webhook-id'] ?? '';
      for (const record of JSON.parse(request.body) as { id: string | number }[]) {
        const event = String(record.id);
        idsPerEvent.set(event, (idsPerEvent.get(event) ?? new Set()).add(webhookMessageId));
        eventsPerId.set(webhookMessageId, (eventsPerId.get(webhookMessageId) ?? new Set()).add(event));
      }
    }
    const expected = Array.from({ length: EVENTS }, (_, i) => String(5000 + i));
    const repeats = requests.length - eventsPerId.size;
    report(`worker-webhook killed ${KILLS} times during ${EVENTS} deliveries`, {
      enqueued: EVENTS,
      processed: (await deliveries()).filter((d) => d.status === 'entregue').length,
      lost: expected.filter((event) => !idsPerEvent.has(event)).length,
      duplicated: [...idsPerEvent.values()].reduce((sum, ids) => sum + ids.size - 1, 0),
    });
    process.stdout.write(`  ${repeats} repeated deliveries, each under its first webhook-id (at-least-once)\n`);
    for (const event of expected) expect(idsPerEvent.get(event)?.size).toBe(1);
    for (const events of eventsPerId.values()) expect(events.size).toBe(1);
  }, 400_000);
});
