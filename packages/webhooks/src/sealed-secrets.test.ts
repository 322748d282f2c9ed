import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseAddressAllowlist } from '@integrador/connections';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { useTestRedis } from '@integrador/test-support/test-redis';
import { deliverOnce } from './deliver';
import { listEntregas, listTentativas } from './deliveries.repository';
import { createDeliveryStore } from './delivery-store';
import { findWebhookEndpoint } from './endpoints.repository';
import { WebhookError } from './errors';
import { EndpointFlowControl } from './flow-control';
import { createWebhookHttpClient } from './http-client';
import { countSealedEndpoints, resealPlainSecrets, warnIfSealedWithoutKey } from './sealed-secrets';
import { generateSigningSecret, isSealed, openHeaders, openSecret, sealSecret } from './secret-box';
import { DEFAULT_WEBHOOK_SETTINGS } from './settings';
import { endpointWithDeliveries } from './test/deliveries';
import { testWebhookEndpoint } from './test-endpoint';
import { patchEndpoint, presentEndpoint, rotateSecret } from './webhooks.service';

const KEY = Buffer.alloc(32, 7);
const LOOPBACK = { ...DEFAULT_WEBHOOK_SETTINGS, allowlist: parseAddressAllowlist(['127.0.0.1/32']) };

describe.each(['sqlite', 'postgres'] as const)('secrets sealed under a key this host does not have (%s)', (dialect) => {
  let database: TestDatabase;
  const testRedis = useTestRedis();
  let receiver: http.Server;
  let url: string;
  let received = 0;
  /** The headers of the last request the receiver got. */
  let lastHeaders: http.IncomingHttpHeaders = {};
  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    receiver = http.createServer((req, res) => {
      received += 1;
      lastHeaders = req.headers;
      req.resume();
      req.on('end', () => res.writeHead(204).end());
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => {
    await new Promise((resolve) => receiver.close(resolve));
    await database.drop();
  });

  const sealed = () => sealSecret(generateSigningSecret(), KEY);

  it('a delivery records why nothing was sent, retries on its schedule and leaves the endpoint clock alone', async () => {
    const { empresaId, endpointId, entregaIds } = await endpointWithDeliveries(database.db, {
      nome: `sealed-${dialect}`,
      url,
      segredo: sealed(),
      bodies: ['[{"id":1}]'],
    });
    const entregaId = entregaIds[0] as number;
    const flow = new EndpointFlowControl(testRedis.redis, testRedis.prefix, {
      breakerFailures: 3,
      breakerCooldownMs: 60000,
      endpointConcurrency: 1,
      leaseMs: 20000,
    });
    const client = createWebhookHttpClient(LOOPBACK);
    const warnings: string[] = [];
    const deps = {
      db: database.db,
      store: createDeliveryStore(database.db),
      http: client,
      flow,
      settings: { ...DEFAULT_WEBHOOK_SETTINGS, secretKey: undefined },
      logger: { warn: (_: object, message: string) => warnings.push(message) },
    };
    try {
      const before = received;
      const outcome = await deliverOnce(deps, empresaId, entregaId, false, endpointId);
      expect(outcome).toMatchObject({ kind: 'retry', attempt: 1 });
      expect(received).toBe(before);
      const [row] = await listEntregas(database.db, empresaId, endpointId);
      expect(row).toMatchObject({ status: 'pendente', tentativas: 1, ultimo_status_http: null });
      expect(row?.ultimo_erro).toMatch(/WEBHOOK_SECRET_KEY não está definida neste servidor/);
      expect(row?.proxima_tentativa_em).not.toBeNull();
      const [attempt] = await listTentativas(database.db, empresaId, entregaId);
      expect(attempt).toMatchObject({ classe_erro: 'secret_key_missing', status_http: null, origem: 'automatica' });
      expect((await findWebhookEndpoint(database.db, empresaId, endpointId))?.primeiraFalhaEm).toBeNull();
      expect(warnings).toEqual(['webhook secret sealed but WEBHOOK_SECRET_KEY is not set']);
      // The slot was given back: the endpoint's only one.
      expect((await flow.admit(endpointId, null, 'next')).refused).toBeUndefined();
      await flow.release(endpointId, 'next');
      // A manual resend ends at once (failed), recorded the same way.
      const manual = await deliverOnce(deps, empresaId, entregaId, true, endpointId);
      expect(manual).toMatchObject({ kind: 'failed', attempt: 2 });
      expect(await listTentativas(database.db, empresaId, entregaId)).toHaveLength(2);
    } finally {
      await client.close();
    }
  });

  it('the test button answers a 503 WebhookError naming the key; with the key it signs and sends', async () => {
    const { empresaId, endpointId } = await endpointWithDeliveries(database.db, {
      nome: `test-${dialect}`,
      url,
      segredo: sealed(),
      bodies: [],
    });
    const endpoint = await findWebhookEndpoint(database.db, empresaId, endpointId);
    if (!endpoint) throw new Error('endpoint missing');
    const client = createWebhookHttpClient(LOOPBACK);
    try {
      const settings = { ...DEFAULT_WEBHOOK_SETTINGS, secretKey: undefined };
      const refused = testWebhookEndpoint(client, settings, endpoint, 'pt-BR');
      await expect(refused).rejects.toBeInstanceOf(WebhookError);
      await expect(refused).rejects.toMatchObject({ code: 'WEBHOOK_SECRET_KEY_MISSING', status: 503 });
      const before = received;
      const sent = await testWebhookEndpoint(client, { ...settings, secretKey: KEY }, endpoint, 'pt-BR');
      expect(sent).toMatchObject({ ok: true, code: 'OK' });
      expect(received).toBe(before + 1);
    } finally {
      await client.close();
    }
  });

  it('rotate-secret without the key is refused while the current secret is sealed; a plain one still rotates', async () => {
    const settings = { ...DEFAULT_WEBHOOK_SETTINGS, secretKey: undefined };
    const one = await endpointWithDeliveries(database.db, { nome: `rot-${dialect}`, url, segredo: sealed(), bodies: [] });
    await expect(rotateSecret(database.db, settings, { empresaId: one.empresaId, filialId: null }, one.endpointId)).rejects.toMatchObject({
      code: 'WEBHOOK_SECRET_KEY_MISSING',
      status: 503,
    });
    const stored = await findWebhookEndpoint(database.db, one.empresaId, one.endpointId);
    expect(stored?.segredoAnterior).toBeNull();
    expect(isSealed(stored?.segredo ?? '')).toBe(true);
    // Another tenant's id: not found, whatever its secret.
    const other = await endpointWithDeliveries(database.db, { nome: `rot2-${dialect}`, url, segredo: 'plain:whsec_x', bodies: [] });
    await expect(rotateSecret(database.db, settings, { empresaId: other.empresaId, filialId: null }, one.endpointId)).rejects.toMatchObject(
      { code: 'WEBHOOK_NOT_FOUND' },
    );
    await expect(
      rotateSecret(database.db, settings, { empresaId: other.empresaId, filialId: null }, other.endpointId),
    ).resolves.toMatchObject({
      secret: expect.stringMatching(/^whsec_/),
    });
  });

  it('custom header values: sealed at rest under the key and opened only to be sent; text ones written before still go', async () => {
    const flow = new EndpointFlowControl(testRedis.redis, testRedis.prefix, {
      breakerFailures: 3,
      breakerCooldownMs: 60000,
      endpointConcurrency: 1,
      leaseMs: 20000,
    });
    const client = createWebhookHttpClient(LOOPBACK);
    const deps = (secretKey: Buffer | undefined) => ({
      db: database.db,
      store: createDeliveryStore(database.db),
      http: client,
      flow,
      settings: { ...DEFAULT_WEBHOOK_SETTINGS, secretKey },
    });
    const storedColumn = async (id: number) =>
      (await database.db.selectFrom('webhook_endpoints').select('cabecalhos').where('id', '=', id).executeTakeFirstOrThrow()).cabecalhos;
    // Both signing secrets plain: what the key is needed for below is the header values alone.
    const before = await endpointWithDeliveries(database.db, {
      nome: `hdr-old-${dialect}`,
      url,
      segredo: 'plain:whsec_a',
      bodies: ['[1]'],
    });
    const sealedOne = await endpointWithDeliveries(database.db, {
      nome: `hdr-new-${dialect}`,
      url,
      segredo: 'plain:whsec_b',
      bodies: ['[2]'],
    });
    try {
      // Written by a host without the key: stored as text, as always; a host with the key still sends it.
      const oldCaller = { empresaId: before.empresaId, filialId: null };
      await patchEndpoint(database.db, { ...LOOPBACK, secretKey: undefined }, oldCaller, before.endpointId, {
        cabecalhos: { 'X-Cliente': 'cliente-antigo-41' },
      });
      expect(await storedColumn(before.endpointId)).toBe('{"X-Cliente":"cliente-antigo-41"}');
      const sentOld = await deliverOnce(deps(KEY), before.empresaId, before.entregaIds[0] as number, false, before.endpointId);
      expect(sentOld).toMatchObject({ kind: 'delivered' });
      expect(lastHeaders['x-cliente']).toBe('cliente-antigo-41');

      // Written by a host with the key: no value in the row, the names still there.
      const caller = { empresaId: sealedOne.empresaId, filialId: null };
      await patchEndpoint(database.db, { ...LOOPBACK, secretKey: KEY }, caller, sealedOne.endpointId, {
        cabecalhos: { 'X-Cliente': 'cliente-secreto-42', Authorization: 'Bearer tok-cab-123' },
      });
      const column = String(await storedColumn(sealedOne.endpointId));
      expect(column).not.toMatch(/cliente-secreto-42|tok-cab-123/);
      expect(Object.keys(JSON.parse(column))).toEqual(['X-Cliente', 'Authorization']);
      const endpoint = await findWebhookEndpoint(database.db, sealedOne.empresaId, sealedOne.endpointId);
      expect(presentEndpoint(endpoint as NonNullable<typeof endpoint>, 'en', { httpsOnly: false }).cabecalhos).toEqual([
        'X-Cliente',
        'Authorization',
      ]);
      const entregaId = sealedOne.entregaIds[0] as number;
      // A host without the key sends nothing (the values cannot be opened) and says why.
      const count = received;
      expect(await deliverOnce(deps(undefined), sealedOne.empresaId, entregaId, false, sealedOne.endpointId)).toMatchObject({
        kind: 'retry',
      });
      expect(received).toBe(count);
      // The deliverer with the key opens them to send them; the attempt shows none of them.
      expect(await deliverOnce(deps(KEY), sealedOne.empresaId, entregaId, true, sealedOne.endpointId)).toMatchObject({ kind: 'delivered' });
      expect([lastHeaders['x-cliente'], lastHeaders.authorization]).toEqual(['cliente-secreto-42', 'Bearer tok-cab-123']);
      const attempts = await listTentativas(database.db, sealedOne.empresaId, entregaId);
      expect(attempts.map((a) => a.classe_erro)).toEqual(['secret_key_missing', null]);
      expect(attempts[1]?.cabecalhos).toMatchObject({ 'X-Cliente': '***', Authorization: '***' });
    } finally {
      await client.close();
    }
  });

  it('start-up: one warning with the count when sealed secrets exist and no key is set; none with the key', async () => {
    const lines: Array<{ context: object; message: string }> = [];
    const logger = { warn: (context: object, message: string) => lines.push({ context, message }) };
    const count = await countSealedEndpoints(database.db);
    expect(count).toBeGreaterThan(0);
    expect(await warnIfSealedWithoutKey(database.db, undefined, logger)).toBe(count);
    expect(lines).toEqual([
      {
        context: { endpoints: count },
        message: 'webhook secrets are sealed but WEBHOOK_SECRET_KEY is not set: their deliveries will fail',
      },
    ]);
    expect(await warnIfSealedWithoutKey(database.db, KEY, logger)).toBe(0);
    expect(lines).toHaveLength(1);
  });

  it('reseal seals the plain secrets (current and previous) and keeps them readable with the key', async () => {
    const { empresaId, endpointId } = await endpointWithDeliveries(database.db, {
      nome: `reseal-${dialect}`,
      url,
      segredo: 'plain:whsec_plainone',
      bodies: [],
    });
    expect(await resealPlainSecrets(database.db, KEY)).toBeGreaterThan(0);
    const stored = await findWebhookEndpoint(database.db, empresaId, endpointId);
    expect(isSealed(stored?.segredo ?? '')).toBe(true);
    expect(openSecret(stored?.segredo ?? '', KEY)).toBe('whsec_plainone');
    expect(await resealPlainSecrets(database.db, KEY)).toBe(0);
  });

  it('reseal seals the custom header values stored as text; they open to what was written', async () => {
    const { empresaId, endpointId } = await endpointWithDeliveries(database.db, {
      nome: `reseal-hdr-${dialect}`,
      url,
      segredo: sealed(),
      bodies: [],
    });
    const caller = { empresaId, filialId: null };
    await patchEndpoint(database.db, { ...LOOPBACK, secretKey: undefined }, caller, endpointId, {
      cabecalhos: { 'X-Api-Key': 'chave-77' },
    });
    expect(await resealPlainSecrets(database.db, KEY)).toBe(1);
    const stored = await findWebhookEndpoint(database.db, empresaId, endpointId);
    expect(JSON.stringify(stored?.cabecalhos)).not.toContain('chave-77');
    expect(openHeaders(stored?.cabecalhos ?? {}, KEY)).toEqual({ 'X-Api-Key': 'chave-77' });
    expect(await resealPlainSecrets(database.db, KEY)).toBe(0);
  });
});
