import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseAddressAllowlist } from '@integrador/connections';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { useTestRedis } from '@integrador/test-support/test-redis';
import { deliverOnce } from './deliver';
import { listTentativas } from './deliveries.repository';
import { findWebhookEndpoint } from './endpoints.repository';
import { generateSigningSecret, sealSecret } from './secret-box';
import { DEFAULT_WEBHOOK_SETTINGS } from './settings';
import { endpointWithDeliveries, testDeliveryDeps } from './test/deliveries';
import { testWebhookEndpoint } from './test-endpoint';
import { presentEntregas } from './webhooks.service';

// WEBHOOK_HTTPS_ONLY turned on after an endpoint was saved as http://: the check when saving never sees it again, so
// the delivery refuses it too. Nothing reaches the receiver (the bodies carry personal data), the refusal is recorded,
// worded in the reader's language and coded, and it is permanent (no retry); the endpoint's clock is left alone.
describe('WEBHOOK_HTTPS_ONLY at delivery', () => {
  let database: TestDatabase;
  const testRedis = useTestRedis();
  let receiver: http.Server;
  let url: string;
  let received = 0;
  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    receiver = http.createServer((req, res) => {
      received += 1;
      req.resume();
      req.on('end', () => res.writeHead(204).end());
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    // A token in the query: it must not reach the recorded reason.
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook?token=segredo-do-cliente`;
  });
  afterAll(async () => {
    await new Promise((resolve) => receiver.close(resolve));
    await database.drop();
  });

  it('an endpoint saved as http:// before the operator turned it on gets nothing: a permanent, worded, coded failure', async () => {
    const { empresaId, endpointId, entregaIds } = await endpointWithDeliveries(database.db, {
      nome: 'legacy-http',
      url,
      segredo: sealSecret(generateSigningSecret(), undefined),
      bodies: ['[{"id":1}]'],
    });
    const entregaId = entregaIds[0] as number;
    const settings = { ...DEFAULT_WEBHOOK_SETTINGS, allowlist: parseAddressAllowlist(['127.0.0.1/32']), httpsOnly: true };
    const deps = testDeliveryDeps(database.db, testRedis, settings);
    const { flow, http: client } = deps;
    try {
      const outcome = await deliverOnce(deps, empresaId, entregaId, false, endpointId);
      expect(outcome).toMatchObject({ kind: 'failed', attempt: 1 });
      expect(received).toBe(0);
      const [attempt] = await listTentativas(database.db, empresaId, entregaId);
      expect(attempt).toMatchObject({ classe_erro: 'https_required', status_http: null });
      expect(attempt?.erro).not.toMatch(/segredo-do-cliente|token/);
      const [ptBr] = await presentEntregas(database.db, empresaId, endpointId, {}, 'pt-BR');
      expect(ptBr).toMatchObject({ status: 'falhou', proxima_tentativa_em: null, motivo: 'HTTPS_REQUIRED' });
      expect(ptBr?.ultimo_erro).toBe(
        'não enviado: este hub só envia webhooks por HTTPS (WEBHOOK_HTTPS_ONLY) e a URL deste webhook é http://, gravada antes de o operador exigir HTTPS; altere a URL para https:// e reenvie as entregas que falharam',
      );
      const [en] = await presentEntregas(database.db, empresaId, endpointId, {}, 'en');
      expect(en?.ultimo_erro).toMatch(/^not sent: this hub sends webhooks over HTTPS only \(WEBHOOK_HTTPS_ONLY\)/);
      // The receiver did nothing wrong: no failure clock started, and the slot was given back.
      expect((await findWebhookEndpoint(database.db, empresaId, endpointId))?.primeiraFalhaEm).toBeNull();
      expect((await flow.admit(endpointId, null, 'next')).refused).toBeUndefined();
      await flow.release(endpointId, 'next');
      // The test button sends nothing either, and says why.
      const endpoint = await findWebhookEndpoint(database.db, empresaId, endpointId);
      if (!endpoint) throw new Error('endpoint missing');
      expect(await testWebhookEndpoint(client, settings, endpoint, 'en')).toMatchObject({
        ok: false,
        code: 'HTTPS_REQUIRED',
        status: null,
      });
      // A manual resend is refused the same way; with the switch off the same delivery goes.
      expect(await deliverOnce(deps, empresaId, entregaId, true, endpointId)).toMatchObject({ kind: 'failed', attempt: 2 });
      expect(received).toBe(0);
      const open = { ...deps, settings: { ...settings, httpsOnly: false } };
      expect(await deliverOnce(open, empresaId, entregaId, true, endpointId)).toMatchObject({ kind: 'delivered', attempt: 3 });
      expect(received).toBe(1);
    } finally {
      await client.close();
    }
  });
});
