import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseAddressAllowlist } from '@integrador/connections';
import { createRedis, waitUntilReady } from '@integrador/queue';
import { type CrmDatabase, createDatabase, createEmpresa } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { deletePrefix, TEST_REDIS_URL, testPrefix } from '@integrador/test-support/redis-server';
import { startTcpRelay, type TcpRelay } from '@integrador/test-support/tcp-relay';
import { startTestProducer } from '@integrador/test-support/test-producer';
import { useTestRedis } from '@integrador/test-support/test-redis';
import type { Redis } from 'ioredis';
import { sql } from 'kysely';
import { type DeliveryOutcome, deliverOnce } from './deliver';
import { insertEntregaOnce, insertMensagemOnce, listTentativas } from './deliveries.repository';
import { createDeliveryStore } from './delivery-store';
import { cachedEndpoint } from './endpoint-cache';
import { createWebhookEndpoint, findWebhookEndpoint } from './endpoints.repository';
import { EndpointFlowControl } from './flow-control';
import { createWebhookHttpClient, type WebhookHttpClient } from './http-client';
import { storedErrorMessage } from './messages';
import { DEFAULT_WEBHOOK_SETTINGS, type WebhookSettings } from './settings';
import { endpointWithDeliveries as withDeliveries } from './test/deliveries';
import { recoverDeliveries, replaceEndpoint } from './webhooks.service';

describe('a delivery that throws while it holds its endpoint slot (real PostgreSQL and Redis)', () => {
  let database: TestDatabase;
  const testRedis = useTestRedis();
  let redis: Redis;
  let prefix: string;
  beforeAll(async () => {
    database = await createTestDatabase('postgres');
  });
  afterAll(async () => {
    await database.drop();
  });
  beforeEach(() => {
    ({ redis, prefix } = testRedis);
  });

  it('gives the slot back at once and fails with the original error', async () => {
    const empresaId = await createEmpresa(database.db, 'Slots');
    const input = { nome: 'e', url: 'https://example.com/hook', gatilhos: ['contato.criado' as const], ativo: true, cabecalhos: {} };
    const endpointId = await createWebhookEndpoint(database.db, empresaId, { ...input, limitePorSegundo: null }, 'plain:whsec_x');
    // The deliveries' database down for a moment: nothing listens on this port (the endpoint row is read from the
    // working one, so the slot is taken first, from the job's endpoint hint).
    const down = createDatabase('postgres://postgres@127.0.0.1:55491/nada');
    const flow = new EndpointFlowControl(redis, prefix, {
      breakerFailures: 3,
      breakerCooldownMs: 60000,
      endpointConcurrency: 1,
      leaseMs: 20000,
    });
    const http = createWebhookHttpClient(DEFAULT_WEBHOOK_SETTINGS);
    try {
      const deps = { db: database.db, store: createDeliveryStore(down.db), http, flow, settings: DEFAULT_WEBHOOK_SETTINGS };
      await expect(deliverOnce(deps, empresaId, 1, false, endpointId)).rejects.toThrow(/ECONNREFUSED|connect/);
      // Without the give-back the slot stayed held for its 20 s lease: the endpoint's only slot.
      expect(await redis.zcard(`${prefix}:webhook:inflight:${endpointId}`)).toBe(0);
      expect((await flow.admit(endpointId, null, 'next')).refused).toBeUndefined();
    } finally {
      await down.destroy();
      await http.close();
    }
  });

  it("a breaker update Redis refuses after the attempt's record committed: the outcome stands, logged, the row re-read", async () => {
    const empresaId = await createEmpresa(database.db, 'Registro');
    // Redis goes away while the endpoint answers (after the admission): the breaker's update fails at once, while the
    // record goes through a slow link to the database.
    const flowRedis = createRedis(TEST_REDIS_URL, { role: 'producer' });
    await waitUntilReady(flowRedis);
    const receiver = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        flowRedis.disconnect();
        res.writeHead(500).end('down');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const input = { nome: 'e', url, gatilhos: ['contato.criado' as const], ativo: true, cabecalhos: {} };
    const endpointId = await createWebhookEndpoint(database.db, empresaId, { ...input, limitePorSegundo: null }, 'plain:whsec_x');
    const mensagem = await insertMensagemOnce(database.db, {
      empresaId,
      chave: 'r',
      gatilho: 'contato.criado',
      tabela: 'contatos',
      registroId: '1',
      webhookId: 'msg_r',
      payload: '{}',
    });
    const { id } = await insertEntregaOnce(database.db, empresaId, mensagem.id, endpointId);
    const slow = await startTcpRelay(database.url, { delayMs: 200 });
    const store = createDatabase(slow.url);
    const settings = { ...DEFAULT_WEBHOOK_SETTINGS, allowlist: parseAddressAllowlist(['127.0.0.1/32']) };
    const client = createWebhookHttpClient(settings);
    try {
      const flow = new EndpointFlowControl(flowRedis, prefix, { ...settings, leaseMs: 20000 });
      const warnings: string[] = [];
      const logger = { warn: (_context: object, message: string) => void warnings.push(message) };
      const deps = { db: database.db, store: createDeliveryStore(store.db), http: client, flow, settings, logger };
      const before = await cachedEndpoint(database.db, empresaId, endpointId);
      // Thrown, the job would be retried at once by BullMQ, before the delivery's next attempt is due.
      const outcome = await deliverOnce(deps, empresaId, id, false, endpointId);
      expect(outcome).toMatchObject({ kind: 'retry', attempt: 1 });
      expect(warnings).toEqual(['webhook breaker update failed']);
      const row = await database.db
        .selectFrom('webhook_entregas')
        .select(['tentativas', 'proxima_tentativa_em'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      expect(row.tentativas).toBe(1);
      expect(new Date(row.proxima_tentativa_em as Date).getTime()).toBe((outcome as { untilMs: number }).untilMs);
      // The endpoint's failure clock started: its cached row was dropped, the next delivery reads the new one.
      expect(await cachedEndpoint(database.db, empresaId, endpointId)).not.toBe(before);
    } finally {
      await client.close();
      await new Promise((resolve) => receiver.close(resolve));
      await store.destroy();
      await slow.close();
    }
  });
});

describe('failed deliveries of one endpoint, recorded together (real PostgreSQL, Redis and HTTP receiver)', () => {
  const N = 20;
  let database: TestDatabase;
  let relay: TcpRelay;
  let far: CrmDatabase;
  let redis: Redis;
  let prefix: string;
  let receiver: http.Server;
  let client: WebhookHttpClient;
  let url: string;
  // The receiver holds each batch of requests until `expected` arrived, then answers them all (500, or 410 to a body
  // that says "gone"): the deliveries fail together, as they do when a customer's receiver is down.
  let expected = 0;
  const held: Array<{ body: string; res: http.ServerResponse }> = [];
  const settings: WebhookSettings = {
    ...DEFAULT_WEBHOOK_SETTINGS,
    breakerFailures: 1000,
    endpointConcurrency: 100,
    allowlist: parseAddressAllowlist(['127.0.0.1/32']),
  };

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    // The worker's database through a relay that counts what it writes: roughly one chunk per statement.
    relay = await startTcpRelay(database.url);
    far = createDatabase(relay.url, { poolSize: N });
    receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        held.push({ body, res });
        if (held.length < expected) return;
        for (const request of held.splice(0)) request.res.writeHead(request.body.includes('gone') ? 410 : 500).end('down');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    client = createWebhookHttpClient({ ...settings, connectionsPerOrigin: N });
  });
  afterAll(async () => {
    await client.close();
    await new Promise((resolve) => receiver.close(resolve));
    await far.destroy();
    await relay.close();
    await database.drop();
  });
  beforeEach(async () => {
    prefix = testPrefix();
    redis = createRedis(TEST_REDIS_URL, { role: 'producer' });
    await waitUntilReady(redis);
  });
  afterEach(async () => {
    redis.disconnect();
    await deletePrefix(TEST_REDIS_URL, prefix);
  });

  const endpointWithDeliveries = (nome: string, bodies: string[]) =>
    withDeliveries(database.db, { nome, url, segredo: 'plain:whsec_x', bodies });

  /** Runs the deliveries at once, as a worker's concurrent jobs; answers their outcomes and the statements they cost. */
  async function deliverAll(empresaId: number, endpointId: number, entregaIds: number[]) {
    // Every pooled connection opened first: the count is the deliveries' statements, not connection start-ups.
    await Promise.all(Array.from({ length: N }, () => sql`select pg_sleep(0.01)`.execute(far.db)));
    const deps = {
      db: far.db,
      store: createDeliveryStore(far.db),
      http: client,
      flow: new EndpointFlowControl(redis, prefix, { ...settings, leaseMs: 20000 }),
      settings,
    };
    expected = entregaIds.length;
    const before = relay.clientChunks();
    const outcomes = await Promise.all(entregaIds.map((id) => deliverOnce(deps, empresaId, id, false, endpointId)));
    return { outcomes, statements: relay.clientChunks() - before };
  }

  const entregas = (ids: number[]) =>
    database.db
      .selectFrom('webhook_entregas')
      .select(['id', 'status', 'tentativas', 'ultimo_status_http', 'ultimo_erro', 'proxima_tentativa_em'])
      .where('id', 'in', ids)
      .orderBy('id')
      .execute();

  it('records N failures in a few statements, each with its attempt, number and next attempt; other tenants untouched', async () => {
    const other = await endpointWithDeliveries('Outro', ['{"n":0}', '{"n":1}']);
    const { empresaId, endpointId, entregaIds } = await endpointWithDeliveries(
      'Falhas',
      Array.from({ length: N }, (_, i) => `{"n":${i}}`),
    );
    const startedAt = Date.now();
    const { outcomes, statements } = await deliverAll(empresaId, endpointId, entregaIds);
    expect(outcomes.map((o) => o.kind)).toEqual(Array(N).fill('retry'));
    // One by one they cost three statements each (attempt, clock, delivery: 62 for 20); together, the endpoint read,
    // one load and one record.
    expect(statements).toBeLessThan(N / 4);
    const rows = await entregas(entregaIds);
    for (const [index, row] of rows.entries()) {
      const outcome = outcomes[index] as Extract<DeliveryOutcome, { kind: 'retry' }>;
      expect(row).toMatchObject({ status: 'pendente', tentativas: 1, ultimo_status_http: 500, ultimo_erro: 'HTTP 500' });
      expect(outcome.attempt).toBe(1);
      // The first retry: 5 s ± 20 %, as the schedule says, and stored as the job waits.
      expect((row.proxima_tentativa_em as Date).getTime()).toBe(outcome.untilMs);
      expect(outcome.untilMs - startedAt).toBeGreaterThanOrEqual(4000);
      const attempts = await listTentativas(database.db, empresaId, Number(row.id));
      expect(attempts.map((a) => [a.numero, a.status_http, a.origem])).toEqual([[1, 500, 'automatica']]);
    }
    const endpoint = await findWebhookEndpoint(database.db, empresaId, endpointId);
    expect(endpoint?.ativo).toBe(true);
    expect(endpoint?.primeiraFalhaEm?.getTime()).toBeGreaterThanOrEqual(startedAt - 1000);
    // The other tenant's endpoint and deliveries: as they were.
    expect(await findWebhookEndpoint(database.db, other.empresaId, other.endpointId)).toMatchObject({ ativo: true, primeiraFalhaEm: null });
    expect((await entregas(other.entregaIds)).map((r) => [r.status, r.tentativas])).toEqual([
      ['pendente', 0],
      ['pendente', 0],
    ]);
    // Each attempt's failure counts toward the endpoint's breaker, once; the same deliveries attempted again (new
    // attempts, not a call sent again) count again.
    const breaker = `${prefix}:webhook:breaker:${endpointId}`;
    expect(await redis.hget(breaker, 'failures')).toBe(String(N));
    const again = await deliverAll(empresaId, endpointId, entregaIds);
    expect(again.outcomes.map((o) => o.kind === 'retry' && o.attempt)).toEqual(Array(N).fill(2));
    expect(await redis.hget(breaker, 'failures')).toBe(String(2 * N));
  });

  it('failing for longer than disableAfterMs: every failure of the group fails and the endpoint is disabled with the first failure time', async () => {
    const { empresaId, endpointId, entregaIds } = await endpointWithDeliveries(
      'Longa',
      Array.from({ length: 5 }, (_, i) => `{"n":${i}}`),
    );
    const since = new Date(Date.now() - settings.disableAfterMs - 60000);
    await database.db.updateTable('webhook_endpoints').set({ primeira_falha_em: since }).where('id', '=', endpointId).execute();
    const { outcomes, statements } = await deliverAll(empresaId, endpointId, entregaIds);
    const reason = `endpoint failing since ${since.toISOString()}: disabled`;
    const params = { status: 500, tentativas: 1 };
    expect(outcomes).toEqual(Array(5).fill({ kind: 'failed', attempt: 1, reason, code: 'WEBHOOK_ENDPOINT_FAILING', params }));
    expect(statements).toBeLessThan(5);
    expect((await entregas(entregaIds)).map((r) => [r.status, r.tentativas, r.proxima_tentativa_em])).toEqual(
      Array(5).fill(['falhou', 1, null]),
    );
    const endpoint = await findWebhookEndpoint(database.db, empresaId, endpointId);
    expect(endpoint?.ativo).toBe(false);
    expect(JSON.parse(endpoint?.desativadoMotivo ?? '{}')).toEqual({ code: 'FAILING_TOO_LONG', since: since.toISOString() });
    expect(endpoint?.primeiraFalhaEm?.getTime()).toBe(since.getTime());
  });

  it('a failure clock stopped after the endpoint row was cached: a failure for too long does not disable, it retries', async () => {
    const { empresaId, endpointId, entregaIds } = await endpointWithDeliveries('Parada', ['{"n":0}', '{"n":1}']);
    const since = new Date(Date.now() - settings.disableAfterMs - 60000);
    await database.db.updateTable('webhook_endpoints').set({ primeira_falha_em: since }).where('id', '=', endpointId).execute();
    // This process reads the row with its old clock; another worker's success then stops the clock.
    expect((await cachedEndpoint(far.db, empresaId, endpointId))?.primeiraFalhaEm?.getTime()).toBe(since.getTime());
    await database.db.updateTable('webhook_endpoints').set({ primeira_falha_em: null }).where('id', '=', endpointId).execute();
    const startedAt = Date.now();
    const { outcomes } = await deliverAll(empresaId, endpointId, entregaIds);
    expect(outcomes.map((o) => o.kind)).toEqual(['retry', 'retry']);
    expect((await entregas(entregaIds)).map((r) => [r.status, r.tentativas])).toEqual([
      ['pendente', 1],
      ['pendente', 1],
    ]);
    const endpoint = await findWebhookEndpoint(database.db, empresaId, endpointId);
    expect(endpoint).toMatchObject({ ativo: true, desativadoMotivo: null });
    // The clock starts again at these failures.
    expect(endpoint?.primeiraFalhaEm?.getTime()).toBeGreaterThanOrEqual(startedAt - 1000);
  });

  it('a 410 among the failures of a group disables the endpoint; the others retry', async () => {
    const bodies = ['{"n":0}', '{"n":1,"x":"gone"}', '{"n":2}', '{"n":3}'];
    const { empresaId, endpointId, entregaIds } = await endpointWithDeliveries('Gone', bodies);
    const { outcomes, statements } = await deliverAll(empresaId, endpointId, entregaIds);
    expect(outcomes.map((o) => o.kind)).toEqual(['retry', 'failed', 'retry', 'retry']);
    expect(outcomes[1]).toEqual({
      kind: 'failed',
      attempt: 1,
      reason: 'endpoint answered 410 Gone: disabled',
      code: 'WEBHOOK_ENDPOINT_GONE',
      params: { status: 410, tentativas: 1 },
    });
    expect(statements).toBeLessThan(4);
    expect((await entregas(entregaIds)).map((r) => [r.status, r.ultimo_status_http])).toEqual([
      ['pendente', 500],
      ['falhou', 410],
      ['pendente', 500],
      ['pendente', 500],
    ]);
    const endpoint = await findWebhookEndpoint(database.db, empresaId, endpointId);
    expect(endpoint).toMatchObject({ ativo: false, desativadoMotivo: JSON.stringify({ code: 'GONE', status: 410 }) });
    expect(endpoint?.primeiraFalhaEm).not.toBeNull();
  });

  it('a pending delivery of a disabled or deleted endpoint is cancelled with that reason, worded in pt-BR or English when shown', async () => {
    const disabled = await endpointWithDeliveries('Desligada', ['{}']);
    await database.db.updateTable('webhook_endpoints').set({ ativo: 0 }).where('id', '=', disabled.endpointId).execute();
    const deleted = await endpointWithDeliveries('Apagada', ['{}']);
    await database.db.deleteFrom('webhook_endpoints').where('id', '=', deleted.endpointId).execute();
    const flow = new EndpointFlowControl(redis, prefix, { ...settings, leaseMs: 20000 });
    const deps = { db: far.db, store: createDeliveryStore(far.db), http: client, flow, settings };
    for (const { empresaId, endpointId, entregaIds } of [disabled, deleted]) {
      const outcome = await deliverOnce(deps, empresaId, entregaIds[0] as number, false, endpointId);
      expect(outcome).toEqual({ kind: 'skipped', reason: 'endpoint_inactive' });
    }
    const rows = await entregas([...disabled.entregaIds, ...deleted.entregaIds]);
    expect(rows.map((r) => [r.status, r.ultimo_erro])).toEqual([
      ['cancelada', 'ENDPOINT_DISABLED'],
      ['cancelada', 'ENDPOINT_DELETED'],
    ]);
    expect(storedErrorMessage('pt-BR', 'cancelada', 'ENDPOINT_DISABLED')).toMatch(/^cancelada: o webhook estava desativado; reative-o/);
    expect(storedErrorMessage('en', 'cancelada', 'ENDPOINT_DELETED')).toBe('cancelled: the webhook was deleted');
    // Rows cancelled before the reasons were coded read as disabled; any other error is shown as recorded.
    expect(storedErrorMessage('en', 'cancelada', 'endpoint disabled or deleted')).toMatch(/^cancelled: the webhook was disabled/);
    expect(storedErrorMessage('en', 'falhou', 'HTTP 500')).toBe('HTTP 500');
  });

  it("re-enabled and recovered within the endpoint cache's second: the recovered delivery is sent, not cancelled again", async () => {
    const { empresaId, endpointId, entregaIds } = await endpointWithDeliveries('Reativada', ['{}']);
    const entregaId = entregaIds[0] as number;
    await database.db.updateTable('webhook_endpoints').set({ ativo: 0 }).where('id', '=', endpointId).execute();
    const flow = new EndpointFlowControl(redis, prefix, { ...settings, leaseMs: 20000 });
    const deps = { db: far.db, store: createDeliveryStore(far.db), http: client, flow, settings };
    // The worker cancels the pending delivery and holds the endpoint as disabled for a second.
    expect(await deliverOnce(deps, empresaId, entregaId, false, endpointId)).toEqual({ kind: 'skipped', reason: 'endpoint_inactive' });
    // The documented flow at once: re-enable (PUT), then recover.
    const caller = { empresaId, filialId: null };
    const queue = await startTestProducer();
    try {
      await replaceEndpoint(database.db, settings, caller, endpointId, {
        nome: 'Reativada',
        url,
        gatilhos: ['contato.criado'],
        ativo: true,
      });
      expect(await recoverDeliveries(database.db, queue.producer, caller, endpointId, new Date(0))).toEqual({
        recovered: 1,
        falhou: 0,
        cancelada: 1,
      });
    } finally {
      await queue.close();
    }
    expected = 1;
    // The recovered job, in the same process: it reaches the receiver (which answers 500 here: a retry is scheduled).
    expect(await deliverOnce(deps, empresaId, entregaId, false, endpointId)).toMatchObject({ kind: 'retry', attempt: 1 });
    expect((await entregas([entregaId])).map((r) => [r.status, r.ultimo_erro])).toEqual([['pendente', 'HTTP 500']]);
  });

  it("a recover's held job left by an earlier recover does nothing on the row another recover restarted (one retry chain)", async () => {
    const { empresaId, endpointId, entregaIds } = await endpointWithDeliveries('UmDono', ['{}']);
    const entregaId = entregaIds[0] as number;
    await database.db
      .updateTable('webhook_entregas')
      .set({ status: 'falhou', ultimo_erro: 'HTTP 500' })
      .where('id', '=', entregaId)
      .execute();
    const flow = new EndpointFlowControl(redis, prefix, { ...settings, leaseMs: 20000 });
    const deps = { db: far.db, store: createDeliveryStore(far.db), http: client, flow, settings };
    const queue = await startTestProducer();
    let own: string | undefined;
    try {
      expect(await recoverDeliveries(database.db, queue.producer, { empresaId, filialId: null }, endpointId, new Date(0))).toMatchObject({
        recovered: 1,
      });
      const [key] = (await queue.redis.keys(`${queue.prefix}:webhook:whv-${entregaId}-*`)).filter((k) => /:whv-\d+-[0-9a-f]+$/.test(k));
      const job = await queue.producer.queue('webhook').getJob((key as string).replace(/^.*:/, ''));
      own = (job?.data as { recuperacao?: string } | undefined)?.recuperacao;
    } finally {
      await queue.close();
    }
    expect(own).toMatch(/^[0-9a-f]{32}$/);
    // The held job of an earlier recover that failed midway (its add's outcome unknown): another recover's id.
    const stale = 'f'.repeat(32);
    expect(await deliverOnce(deps, empresaId, entregaId, false, endpointId, stale)).toEqual({ kind: 'skipped', reason: 'other_recover' });
    expect((await entregas([entregaId])).map((r) => [r.status, r.tentativas])).toEqual([['pendente', 0]]);
    // The recover's own job sends it.
    expected = 1;
    expect(await deliverOnce(deps, empresaId, entregaId, false, endpointId, own)).toMatchObject({ kind: 'retry', attempt: 1 });
  });
});
