import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseAddressAllowlist } from '@integrador/connections';
import { createEmpresa } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { useTestRedis } from '@integrador/test-support/test-redis';
import { Webhook } from 'standardwebhooks';
import { deliverOnce } from './deliver';
import { insertEntregaOnce, insertMensagemOnce, listTentativas } from './deliveries.repository';
import { createDeliveryStore } from './delivery-store';
import { createWebhookEndpoint, findWebhookEndpoint } from './endpoints.repository';
import { EndpointFlowControl } from './flow-control';
import { createWebhookHttpClient, type WebhookHttpClient } from './http-client';
import { generateSigningSecret } from './secret-box';
import { DEFAULT_WEBHOOK_SETTINGS, type WebhookSettings } from './settings';
import { testWebhookEndpoint } from './test-endpoint';

// Standard Webhooks conventions a receiver relies on (real PostgreSQL, Redis and an HTTP receiver on loopback): the
// gatilho named in a header, and 502/504 throttled like a 429.
describe('deliveries as Standard Webhooks receivers see them', () => {
  let database: TestDatabase;
  const testRedis = useTestRedis({ per: 'all' });
  let receiver: http.Server;
  let url: string;
  let client: WebhookHttpClient;
  // What the receiver answers next (by path), and what it got.
  const answers = new Map<string, number>();
  const got: Array<{ path: string; headers: http.IncomingHttpHeaders; body: string }> = [];
  const settings: WebhookSettings = { ...DEFAULT_WEBHOOK_SETTINGS, allowlist: parseAddressAllowlist(['127.0.0.1/32']) };

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      req.on('end', () => {
        got.push({ path: req.url ?? '', headers: req.headers, body });
        res.writeHead(answers.get(req.url ?? '') ?? 204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    client = createWebhookHttpClient(settings);
  });
  afterAll(async () => {
    await client.close();
    await new Promise((resolve) => receiver.close(resolve));
    await database.drop();
  });

  const deps = () => ({
    db: database.db,
    store: createDeliveryStore(database.db),
    http: client,
    flow: new EndpointFlowControl(testRedis.redis, testRedis.prefix, { ...settings, leaseMs: 20000 }),
    settings,
  });

  /** An endpoint on `path` subscribed to `gatilhos`, and one pending delivery per gatilho given in `changes`. */
  async function endpointWith(path: string, gatilhos: Array<'contato.criado' | 'contato.alterado'>, changes: typeof gatilhos) {
    const empresaId = await createEmpresa(database.db, `Spec ${path}`);
    const secret = generateSigningSecret();
    const input = { nome: path, url: `${url}${path}`, gatilhos, ativo: true, cabecalhos: { 'x-cliente': 'a' }, limitePorSegundo: null };
    const endpointId = await createWebhookEndpoint(database.db, empresaId, input, `plain:${secret}`);
    const entregaIds: number[] = [];
    for (const [i, gatilho] of changes.entries()) {
      const mensagem = await insertMensagemOnce(database.db, {
        empresaId,
        chave: `${path}${i}`,
        gatilho,
        tabela: 'contatos',
        registroId: '1',
        webhookId: `msg_${path.slice(1)}${i}`,
        payload: JSON.stringify([{ id: '1', nome: `v${i}` }]),
      });
      entregaIds.push((await insertEntregaOnce(database.db, empresaId, mensagem.id, endpointId)).id);
    }
    return { empresaId, endpointId, entregaIds, secret };
  }

  it('names the gatilho that fired in webhook-gatilho, beside a signature a Standard Webhooks library verifies', async () => {
    const { empresaId, endpointId, entregaIds, secret } = await endpointWith(
      '/two',
      ['contato.criado', 'contato.alterado'],
      ['contato.criado', 'contato.alterado'],
    );
    for (const entregaId of entregaIds) {
      expect(await deliverOnce(deps(), empresaId, entregaId, false, endpointId)).toMatchObject({ kind: 'delivered' });
    }
    const requests = got.filter((r) => r.path === '/two');
    expect(requests.map((r) => r.headers['webhook-gatilho'])).toEqual(['contato.criado', 'contato.alterado']);
    for (const request of requests) {
      expect(request.headers['x-cliente']).toBe('a');
      expect(() => new Webhook(secret).verify(request.body, request.headers as Record<string, string>)).not.toThrow();
    }
    // Recorded with the attempt, as sent.
    const [attempt] = await listTentativas(database.db, empresaId, entregaIds[1] as number);
    expect(attempt?.cabecalhos).toMatchObject({ 'webhook-gatilho': 'contato.alterado' });
  });

  it("the test button's sample carries the gatilho it samples", async () => {
    const { endpointId, empresaId } = await endpointWith('/sample', ['contato.alterado'], []);
    const endpoint = await findWebhookEndpoint(database.db, empresaId, endpointId);
    const result = await testWebhookEndpoint(client, settings, endpoint as NonNullable<typeof endpoint>, 'pt-BR');
    expect(result.ok).toBe(true);
    expect(got.filter((r) => r.path === '/sample').map((r) => r.headers['webhook-gatilho'])).toEqual(['contato.alterado']);
  });

  it.each([502, 504])('waits at least WEBHOOK_THROTTLED_DELAY_MS after a %i, as after a 429', async (status) => {
    const path = `/busy${status}`;
    answers.set(path, status);
    const { empresaId, endpointId, entregaIds } = await endpointWith(path, ['contato.criado'], ['contato.criado']);
    const before = Date.now();
    const outcome = await deliverOnce(deps(), empresaId, entregaIds[0] as number, false, endpointId);
    // The schedule's first retry is 5 s ±20 %: a 502/504 treated as any 5xx came back within 6 s.
    expect(outcome).toMatchObject({ kind: 'retry', attempt: 1, errorClass: 'overloaded' });
    expect((outcome as { untilMs: number }).untilMs - before).toBeGreaterThanOrEqual(settings.minDelayAfterThrottleMs);
  });

  it('a 503 without Retry-After stays on the schedule', async () => {
    answers.set('/down', 503);
    const { empresaId, endpointId, entregaIds } = await endpointWith('/down', ['contato.criado'], ['contato.criado']);
    const before = Date.now();
    const outcome = await deliverOnce(deps(), empresaId, entregaIds[0] as number, false, endpointId);
    expect(outcome).toMatchObject({ kind: 'retry', attempt: 1, errorClass: 'http_5xx' });
    expect((outcome as { untilMs: number }).untilMs - before).toBeLessThan(10000);
  });
});
