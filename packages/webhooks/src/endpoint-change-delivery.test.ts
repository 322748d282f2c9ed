import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseAddressAllowlist } from '@integrador/connections';
import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { useTestRedis } from '@integrador/test-support/test-redis';
import { Webhook } from 'standardwebhooks';
import { deliverOnce } from './deliver';
import { listEntregas } from './deliveries.repository';
import { generateSigningSecret, sealSecret } from './secret-box';
import { DEFAULT_WEBHOOK_SETTINGS } from './settings';
import { endpointWithDeliveries, testDeliveryDeps } from './test/deliveries';
import { patchEndpoint, rotateSecret } from './webhooks.service';

// The worker keeps endpoint rows for a second (endpoint-cache.ts). A leaked secret revoked (revogarAnterior), a
// rotation, a disabling: each applies to the deliveries that start once the API answered, not a second later —
// a revoked secret that still signed would let whoever holds it forge what the receiver takes for the hub's.
describe.each(ALL_DIALECTS)('an endpoint changed while its row is cached (%s)', (dialect) => {
  let database: TestDatabase;
  const testRedis = useTestRedis();
  let receiver: http.Server;
  let url: string;
  const received: { body: string; headers: Record<string, string> }[] = [];
  const settings = { ...DEFAULT_WEBHOOK_SETTINGS, allowlist: parseAddressAllowlist(['127.0.0.1/32']) };
  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on('end', () => {
        received.push({ body, headers: req.headers as Record<string, string> });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => {
    await new Promise((resolve) => receiver.close(resolve));
    await database.drop();
  });

  it('a secret revoked with revogarAnterior never signs a delivery started after the answer; a disabling sends nothing', async () => {
    const original = generateSigningSecret();
    const { empresaId, endpointId, entregaIds } = await endpointWithDeliveries(database.db, {
      nome: `rev-${dialect}`,
      url,
      segredo: sealSecret(original, undefined),
      bodies: ['[{"id":1}]', '[{"id":2}]', '[{"id":3}]'],
    });
    const [first, second, third] = entregaIds as [number, number, number];
    const deps = testDeliveryDeps(database.db, testRedis, settings);
    const client = deps.http;
    const caller = { empresaId, filialId: null };
    try {
      // The first delivery reads the endpoint and leaves its row (and its decoded key) in the cache.
      expect(await deliverOnce(deps, empresaId, first, false, endpointId)).toMatchObject({ kind: 'delivered' });
      expect(new Webhook(original).verify(received[0]?.body ?? '', received[0]?.headers ?? {})).toEqual([{ id: 1 }]);

      const { secret } = await rotateSecret(database.db, settings, caller, endpointId, { revokePrevious: true });
      // At once, well inside the cached row's second.
      expect(await deliverOnce(deps, empresaId, second, false, endpointId)).toMatchObject({ kind: 'delivered' });
      const signed = received[1] ?? { body: '', headers: {} };
      expect(new Webhook(secret).verify(signed.body, signed.headers)).toEqual([{ id: 2 }]);
      expect(() => new Webhook(original).verify(signed.body, signed.headers)).toThrow();
      expect(signed.headers['webhook-signature']?.split(' ')).toHaveLength(1);

      await patchEndpoint(database.db, settings, caller, endpointId, { ativo: false });
      expect(await deliverOnce(deps, empresaId, third, false, endpointId)).toMatchObject({ kind: 'skipped', reason: 'endpoint_inactive' });
      expect(received).toHaveLength(2);
      const rows = await listEntregas(database.db, empresaId, endpointId);
      expect(rows.find((row) => Number(row.id) === third)).toMatchObject({ status: 'cancelada' });
    } finally {
      await client.close();
    }
  });
});
