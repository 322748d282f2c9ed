import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseAddressAllowlist } from '@integrador/connections';
import { jobFailureText } from '@integrador/queue';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { useTestRedis } from '@integrador/test-support/test-redis';
import { type DeliveryEvents, deliverOnce } from './deliver';
import { listTentativas } from './deliveries.repository';
import { findWebhookEndpoint } from './endpoints.repository';
import { EndpointFlowControl } from './flow-control';
import { DEFAULT_WEBHOOK_SETTINGS } from './settings';
import { signatureV1 } from './signing';
import { endpointWithDeliveries, testDeliveryDeps } from './test/deliveries';
import { testWebhookEndpoint } from './test-endpoint';
import { presentEntregas, rotateSecret } from './webhooks.service';

/** The secret the consumer verifies with: the endpoint's first one (a rotation that revoked it leaves the consumer behind). */
const CONSUMER_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

// What a consumer and an operator read of a delivery that did not go through (real SQLite, Redis and HTTP): the row
// says it gave up, a 410 and a 429 get their own words, an echoed URL token is masked, a body over the cap is not sent,
// and the operator hears of a breaker that opened or an endpoint disabled (logs, events), with the actual cause coded.
describe('what a failed webhook delivery tells its reader', () => {
  let database: TestDatabase;
  const testRedis = useTestRedis();
  let receiver: http.Server;
  let base: string;
  let received = 0;
  const settings = { ...DEFAULT_WEBHOOK_SETTINGS, allowlist: parseAddressAllowlist(['127.0.0.1/32']), retryScheduleMs: [] as number[] };
  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    receiver = http.createServer((req, res) => {
      received += 1;
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on('end', () => {
        const path = (req.url ?? '').split('?')[0];
        // A consumer verifying the signature with the secret it was given (Standard Webhooks): another one is a 401.
        if (path === '/assinado') {
          const id = String(req.headers['webhook-id']);
          const expected = signatureV1(CONSUMER_SECRET, id, Number(req.headers['webhook-timestamp']), body);
          const valid = String(req.headers['webhook-signature']).split(' ').includes(expected);
          return valid ? res.writeHead(204).end() : res.writeHead(401).end('invalid signature');
        }
        if (path === '/500') return res.writeHead(500).end('erro');
        if (path === '/410') return res.writeHead(410).end('gone');
        if (path === '/429') return res.writeHead(429, { 'retry-after': '2' }).end('devagar');
        if (path?.startsWith('/eco-json/')) {
          // A receiver whose JSON answer repeats its plain settings, its path token and its ?key= value as plain text.
          const url = new URL(req.url ?? '', 'http://x');
          const hook = path.split('/')[2];
          const answer = { ok: true, format: 'json', count: 100, erro: 'campo crm invalido', hook, chave: url.searchParams.get('key') };
          return res.writeHead(422, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
        }
        // An echo receiver: its 400 answer repeats the URL it was called at, the query's token included.
        return res.writeHead(400).end(`bad request at url ${req.url}`);
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => receiver.close(resolve));
    await database.drop();
  });

  /** deliverOnce's deps with a breaker that opens at the first failure, recording the logs and events. */
  function observed(overrides: Partial<typeof settings> = {}) {
    const deps = testDeliveryDeps(database.db, testRedis, { ...settings, ...overrides });
    const flow = new EndpointFlowControl(testRedis.redis, testRedis.prefix, {
      breakerFailures: 1,
      breakerCooldownMs: 60000,
      endpointConcurrency: 1,
      leaseMs: 20000,
    });
    const logs: { message: string; context: Record<string, unknown> }[] = [];
    const events: string[] = [];
    const recorder: DeliveryEvents = {
      outcome: () => undefined,
      breakerOpened: () => void events.push('breaker'),
      endpointDisabled: (reason) => void events.push(`disabled:${reason}`),
    };
    const logger = { warn: (context: object, message: string) => void logs.push({ message, context: context as Record<string, unknown> }) };
    return { deps: { ...deps, flow, settings: { ...deps.settings, breakerFailures: 1 }, logger, events: recorder }, logs, events };
  }
  const setup = (nome: string, path: string, body = '[{"id":"1"}]') =>
    endpointWithDeliveries(database.db, {
      nome,
      url: `${base}${path}`,
      segredo: 'plain:whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      bodies: [body],
    });

  it('a delivery that gave up says so in its row; the breaker opening is logged and counted; the cause is coded', async () => {
    const { empresaId, endpointId, entregaIds } = await setup('desiste', '/500');
    const { deps, logs, events } = observed();
    try {
      const outcome = await deliverOnce(deps, empresaId, entregaIds[0] as number, false, endpointId);
      expect(outcome).toMatchObject({
        kind: 'failed',
        code: 'WEBHOOK_RECEIVER_HTTP_ERROR',
        params: { status: 500, tentativas: 1 },
        reason: 'gave up after 1 attempts: HTTP 500',
      });
      const [pt] = await presentEntregas(database.db, empresaId, endpointId, {}, 'pt-BR');
      // It was "O servidor de destino teve um erro interno…" only: the README's "desistiu depois de n tentativas" was
      // in the job's failure, never in the row a consumer reads.
      expect(pt?.ultimo_erro).toMatch(/^desistiu depois de 1 tentativas\. O servidor de destino teve um erro interno \(status 500\)/);
      const [en] = await presentEntregas(database.db, empresaId, endpointId, {}, 'en');
      expect(en?.ultimo_erro).toMatch(/^gave up after 1 attempts\. The receiving server had an internal error/);
      expect(logs).toEqual([
        {
          message: 'webhook circuit breaker opened',
          context: { empresaId, endpointId, failures: 1, cooldownMs: settings.breakerCooldownMs },
        },
      ]);
      expect(events).toEqual(['breaker']);
      // The dashboard's reason names the cause, with the status, instead of four possible ones.
      expect(jobFailureText('pt-BR', 'WEBHOOK_RECEIVER_HTTP_ERROR', 'x', { status: 500, tentativas: 1 })).toBe(
        'a entrega do webhook foi abandonada depois de 1 tentativa(s): o receptor respondeu com o status HTTP 500: x',
      );
    } finally {
      await deps.http.close();
    }
  });

  it('a 401 after the secret was rotated and revoked says the consumer may reject the signature, never a secret (#9)', async () => {
    const { empresaId, endpointId, entregaIds } = await endpointWithDeliveries(database.db, {
      nome: 'assinatura',
      url: `${base}/assinado`,
      segredo: `plain:${CONSUMER_SECRET}`,
      bodies: ['[{"id":"1"}]', '[{"id":"2"}]'],
    });
    const { deps } = observed();
    try {
      // Signed with the secret the consumer holds: delivered.
      expect(await deliverOnce(deps, empresaId, entregaIds[0] as number, false, endpointId)).toMatchObject({ kind: 'delivered' });
      // A leaked secret rotated with revogarAnterior: the consumer, not yet updated, rejects the new signature.
      const caller = { empresaId, filialId: null };
      const { secret } = await rotateSecret(database.db, deps.settings, caller, endpointId, { revokePrevious: true });
      const outcome = await deliverOnce(deps, empresaId, entregaIds[1] as number, false, endpointId);
      expect(outcome).toMatchObject({ kind: 'failed', code: 'WEBHOOK_RECEIVER_UNAUTHORIZED', params: { status: 401, tentativas: 1 } });
      const [pt] = await presentEntregas(database.db, empresaId, endpointId, { status: 'falhou' }, 'pt-BR');
      // Before: the generic 4xx words (URL path, 404, headers), nothing about the signature.
      expect(pt).toMatchObject({ status: 'falhou', ultimo_status_http: 401, motivo: 'SIGNATURE_REJECTED' });
      expect(pt?.ultimo_erro).toBe(
        'desistiu depois de 1 tentativas. O servidor recusou os dados com o status 401 (não autorizado). O destino pode estar rejeitando a assinatura (cabeçalho webhook-signature): confira se ele verifica com o segredo de assinatura atual deste webhook — depois de uma rotação (rotate-secret) ele precisa do segredo novo, e com revogarAnterior o antigo deixou de assinar na hora. Confira também os cabeçalhos de autenticação configurados no webhook.',
      );
      const [en] = await presentEntregas(database.db, empresaId, endpointId, { status: 'falhou' }, 'en');
      expect(en?.ultimo_erro).toContain('The receiver may be rejecting the signature (the webhook-signature header)');
      for (const text of [pt?.ultimo_erro, en?.ultimo_erro]) {
        expect(text).not.toContain(secret.slice('whsec_'.length, 16));
        expect(text).not.toContain(CONSUMER_SECRET.slice('whsec_'.length, 16));
      }
      // The failures page's reason (the job's code and values) and the test button say it too.
      expect(jobFailureText('pt-BR', 'WEBHOOK_RECEIVER_UNAUTHORIZED', 'x', { status: 401, tentativas: 1 })).toBe(
        'a entrega do webhook foi abandonada depois de 1 tentativa(s): o receptor respondeu 401 (não autorizado) e pode estar rejeitando a assinatura; confira se ele usa o segredo atual do webhook: x',
      );
      const endpoint = await findWebhookEndpoint(database.db, empresaId, endpointId);
      if (!endpoint) throw new Error('endpoint missing');
      const test = await testWebhookEndpoint(deps.http, deps.settings, endpoint, 'en');
      expect(test).toMatchObject({ ok: false, code: 'SIGNATURE_REJECTED', status: 401 });
      // Another 4xx keeps the general words.
      const other = await setup('nao-existe', '/400');
      await deliverOnce(deps, other.empresaId, other.entregaIds[0] as number, false, other.endpointId);
      const [plain] = await presentEntregas(database.db, other.empresaId, other.endpointId, {}, 'pt-BR');
      expect(plain).toMatchObject({ motivo: null });
      expect(plain?.ultimo_erro).toContain('O servidor recusou os dados com o status 400. Verifique o caminho da URL');
    } finally {
      await deps.http.close();
    }
  });

  it('a 410 disables the endpoint: its delivery says so (ENDPOINT_GONE), the disabling is logged and counted', async () => {
    const { empresaId, endpointId, entregaIds } = await setup('gone', '/410');
    const { deps, logs, events } = observed({ retryScheduleMs: [1000] });
    try {
      const outcome = await deliverOnce(deps, empresaId, entregaIds[0] as number, false, endpointId);
      expect(outcome).toMatchObject({ kind: 'failed', code: 'WEBHOOK_ENDPOINT_GONE' });
      expect((await findWebhookEndpoint(database.db, empresaId, endpointId))?.ativo).toBe(false);
      const [pt] = await presentEntregas(database.db, empresaId, endpointId, {}, 'pt-BR');
      expect(pt).toMatchObject({ status: 'falhou', motivo: 'ENDPOINT_GONE' });
      // It was the generic 4xx advice (404, 401/403, 405/415).
      expect(pt?.ultimo_erro).toMatch(/^O destino respondeu 410 \(Gone\).*esta resposta desativou o webhook/);
      expect(pt?.ultimo_erro).not.toMatch(/404|405/);
      expect(logs.map((l) => l.message)).toContain('webhook endpoint disabled');
      expect(logs.find((l) => l.message === 'webhook endpoint disabled')?.context).toEqual({ empresaId, endpointId, reason: 'GONE' });
      expect(events).toContain('disabled:GONE');
    } finally {
      await deps.http.close();
    }
  });

  it('a 429 is worded as a rate limit, retried after Retry-After, in the test button and the delivery log', async () => {
    const { empresaId, endpointId, entregaIds } = await setup('devagar', '/429');
    const { deps } = observed({ retryScheduleMs: [1000] });
    try {
      expect(await deliverOnce(deps, empresaId, entregaIds[0] as number, false, endpointId)).toMatchObject({ kind: 'retry' });
      const [pt] = await presentEntregas(database.db, empresaId, endpointId, {}, 'pt-BR');
      expect(pt?.ultimo_erro).toMatch(/^O servidor pediu para diminuir o ritmo \(status 429/);
      expect(pt?.ultimo_erro).toContain('Retry-After');
      const endpoint = await findWebhookEndpoint(database.db, empresaId, endpointId);
      if (!endpoint) throw new Error('endpoint missing');
      const test = await testWebhookEndpoint(deps.http, deps.settings, endpoint, 'en');
      expect(test).toMatchObject({ ok: false, code: 'RATE_LIMITED', status: 429 });
      expect(test.message).toMatch(/^The server asked the hub to slow down \(status 429/);
    } finally {
      await deps.http.close();
    }
  });

  it("a receiver echoing the URL's query token: masked in the stored answer, as echoed header values are", async () => {
    const { empresaId, endpointId, entregaIds } = await setup('eco', '/echo?token=abcdef123456');
    const { deps } = observed();
    try {
      await deliverOnce(deps, empresaId, entregaIds[0] as number, false, endpointId);
      const [attempt] = await listTentativas(database.db, empresaId, entregaIds[0] as number);
      expect(attempt?.resposta).toContain('bad request at url /echo?token=');
      expect(attempt?.resposta).not.toContain('abcdef123456');
    } finally {
      await deps.http.close();
    }
  });

  it("masks only the URL's secrets in the stored answer: a path token and a key's value, never plain query values (rev9b M2)", async () => {
    const token = 'aB3xK9mQ2vL7pR4tZ8wN';
    const query = 'format=json&ativo=true&origem=crm&lote=100&key=Qw7Er5Ty3Ui1Op9As';
    const { empresaId, endpointId, entregaIds } = await setup('eco-json', `/eco-json/${token}/in?${query}`);
    const { deps } = observed();
    try {
      await deliverOnce(deps, empresaId, entregaIds[0] as number, false, endpointId);
      const [attempt] = await listTentativas(database.db, empresaId, entregaIds[0] as number);
      expect(attempt?.resposta).toBe('{"ok":true,"format":"json","count":100,"erro":"campo crm invalido","hook":"***","chave":"***"}');
    } finally {
      await deps.http.close();
    }
  });

  it('a body over WEBHOOK_MAX_PAYLOAD_BYTES is not sent: a permanent, worded, coded failure', async () => {
    const big = JSON.stringify([{ id: '1', camposPersonalizados: { texto: 'x'.repeat(3000) } }]);
    const { empresaId, endpointId, entregaIds } = await setup('grande', '/500', big);
    const { deps } = observed({ maxPayloadBytes: 1024, retryScheduleMs: [1000] });
    const before = received;
    try {
      const outcome = await deliverOnce(deps, empresaId, entregaIds[0] as number, false, endpointId);
      expect(outcome).toMatchObject({ kind: 'failed', code: 'WEBHOOK_PAYLOAD_TOO_LARGE' });
      expect(received).toBe(before);
      const [attempt] = await listTentativas(database.db, empresaId, entregaIds[0] as number);
      expect(attempt).toMatchObject({ classe_erro: 'payload_too_large', status_http: null });
      expect(attempt?.erro).toMatch(
        /^não enviado: o corpo deste webhook tem 3 KB, acima do limite de 1 KB do hub \(WEBHOOK_MAX_PAYLOAD_BYTES\)/,
      );
      const [en] = await presentEntregas(database.db, empresaId, endpointId, {}, 'en');
      expect(en).toMatchObject({ status: 'falhou', motivo: 'PAYLOAD_TOO_LARGE', proxima_tentativa_em: null });
      expect(en?.ultimo_erro).toMatch(/^not sent: this webhook's body is over the hub's size limit \(WEBHOOK_MAX_PAYLOAD_BYTES\)/);
    } finally {
      await deps.http.close();
    }
  });
});
