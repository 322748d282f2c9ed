import { createDatabase, createEmpresa } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { useTestRedis } from '@integrador/test-support/test-redis';
import type { Redis } from 'ioredis';
import { deliverOnce } from './deliver';
import { createDeliveryStore } from './delivery-store';
import { createWebhookEndpoint } from './endpoints.repository';
import { EndpointFlowControl } from './flow-control';
import { createWebhookHttpClient } from './http-client';
import { DEFAULT_WEBHOOK_SETTINGS } from './settings';

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
});
