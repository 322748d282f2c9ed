import { saveCtiSettings } from '@integrador/cti';
import { waitUntilReady } from '@integrador/queue';
import { type PrivateRedis, startPrivateRedis } from '@integrador/test-support/redis-server';
import { Redis } from 'ioredis';
import { type PrivateRedisIngress, startPrivateRedisIngress } from '../../../test/support/private-redis-ingress';

/**
 * A Redis that answers but will not write — the ingress's node turned replica by a failover (READONLY), or short of
 * replicas (NOREPLICAS) — refuses every enqueue: each write answers 503 QUEUE_UNAVAILABLE with Retry-After (nothing
 * was enqueued; not "outcome unknown", also while the READONLY connection reconnects), never a 500, and /readyz says not
 * ready although the node still answers PING.
 */
describe('ingress on a Redis that refuses writes', () => {
  let ingress: PrivateRedisIngress;
  let master: PrivateRedis;
  let admin: Redis;

  beforeAll(async () => {
    master = await startPrivateRedis();
    ingress = await startPrivateRedisIngress({
      extraDeps: { cti: { domain: 'crm.test', trustedProxies: [], dedupeWindowMs: 2000, callTimeoutMs: 60000, popTokenTtlMs: 60000 } },
    });
    await saveCtiSettings(ingress.database.db, ingress.empresaId, { hostLabel: 'acme', allowAnyOrigin: true });
    await ingress.database.db.insertInto('usuarios').values({ empresa_id: ingress.empresaId, nome: 'Ana', ramal: '3501' }).execute();
    admin = new Redis(ingress.server.url, { maxRetriesPerRequest: 1 });
  });

  afterAll(async () => {
    admin.disconnect();
    await ingress.close();
    await master.stop();
  });

  const pbxCall = (telefone: string) =>
    ingress.app.inject({
      url: `/wconnect/WConnect_WSDL_ConsultaRamal.php?ramal=3501&telefone=${telefone}`,
      headers: { host: 'acme.crm.test' },
    });

  /** Every write path answers 503 QUEUE_UNAVAILABLE with Retry-After, and /readyz 503 naming the refusal. */
  async function expectRefused(refusal: string, n: number) {
    const popToken = await ingress.app.inject({
      method: 'POST',
      url: '/v1/cti/pop-tokens',
      headers: { authorization: `Bearer ${ingress.key}` },
      payload: { ramal: '3501' },
    });
    for (const response of [await ingress.ping(), await ingress.ping(`k-${refusal}`), await pbxCall(`1190000000${n}`), popToken]) {
      expect([response.statusCode, response.json().error?.code, response.headers['retry-after']]).toEqual([503, 'QUEUE_UNAVAILABLE', '5']);
    }
    const ready = await ingress.app.inject('/readyz');
    expect(ready.statusCode).toBe(503);
    // A connection answered READONLY reconnects (after a failover behind one address that reaches the new primary):
    // here the address still names the replica, so the check sees the refusal or the connection on its way back.
    expect(ready.json().checks.redis).toMatch(refusal === 'READONLY' ? /READONLY|unavailable/ : refusal);
  }

  /**
   * Each READONLY answer above may still make a producer connection leave (reconnect) up to 1 s later (redis.ts,
   * leaveWhenIdle): wait that window out, then until the connection is back and /readyz answers 200 — else a late
   * reconnect answers the next phase's checks as "unavailable" instead of the refusal they test.
   */
  async function settled() {
    await new Promise((resolve) => setTimeout(resolve, 1200));
    for (let tries = 0; ; tries++) {
      await waitUntilReady(ingress.redis);
      if ((await ingress.app.inject('/readyz')).statusCode === 200) return;
      if (tries === 50) throw new Error('/readyz did not come back after REPLICAOF NO ONE');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('answers 503 QUEUE_UNAVAILABLE (not 500) to a replica and to too few replicas, and /readyz fails', async () => {
    expect((await ingress.ping()).statusCode).toBe(202);
    expect((await ingress.app.inject('/readyz')).statusCode).toBe(200);

    await admin.replicaof('127.0.0.1', String(master.port));
    expect(await admin.ping()).toBe('PONG');
    await expectRefused('READONLY', 1);

    await admin.replicaof('NO', 'ONE');
    await settled();
    await admin.config('SET', 'min-replicas-to-write', '5');
    await expectRefused('NOREPLICAS', 2);

    await admin.config('SET', 'min-replicas-to-write', '0');
    expect((await ingress.ping()).statusCode).toBe(202);
    expect((await pbxCall('11900000003')).statusCode).toBe(200);
    expect((await ingress.app.inject('/readyz')).statusCode).toBe(200);
  });
});
