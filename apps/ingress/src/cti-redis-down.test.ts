import { saveCtiSettings } from '@integrador/cti';
import { createLogger } from '@integrador/logging';
import { captureLogs } from '@integrador/test-support/log-capture';
import { type PrivateRedisIngress, startPrivateRedisIngress } from '../../../test/support/private-redis-ingress';

describe('CTI listeners while Redis is down', () => {
  let ingress: PrivateRedisIngress;
  const { lines, destination } = captureLogs();

  beforeAll(async () => {
    ingress = await startPrivateRedisIngress({
      extraDeps: {
        cti: { domain: 'crm.test', trustedProxies: [], dedupeWindowMs: 2000, callTimeoutMs: 60000, popTokenTtlMs: 60000 },
        logger: createLogger({ name: 'ingress', level: 'info', destination }),
      },
    });
    await saveCtiSettings(ingress.database.db, ingress.empresaId, { hostLabel: 'acme', allowAnyOrigin: true });
  });

  afterAll(() => ingress.close());

  const call = (telefone: string) =>
    ingress.app.inject({
      url: `/wconnect/WConnect_WSDL_ConsultaRamal.php?ramal=3501&telefone=${telefone}`,
      headers: { host: 'acme.crm.test' },
    });

  it('answers the PBX 503 at once (never a false 200 or a 500) and accepts again when Redis returns', async () => {
    const { server } = ingress;
    expect((await call('11987654321')).statusCode).toBe(200);
    await server.stop();
    const started = Date.now();
    const refused = await call('11912345678');
    expect(Date.now() - started).toBeLessThan(1500);
    expect(refused.statusCode).toBe(503);
    // Claim and enqueue are one add (BullMQ deduplication): an add caught by the stop itself may have been sent, so
    // "unknown" is as honest as "unavailable"; the PBX's retry within the dedupe window is one event either way.
    expect(['QUEUE_UNAVAILABLE', 'ENQUEUE_OUTCOME_UNKNOWN']).toContain(refused.json().error.code);
    // The listener's request logger stays at warn (no request lines, whose URL may hold a tenant's token), and its
    // warning carries the request's id.
    const reqId = refused.headers['x-request-id'];
    expect(lines.filter((line) => line.reqId === reqId).map((line) => [line.level, line.msg])).toEqual([
      [40, refused.json().error.code === 'QUEUE_UNAVAILABLE' ? 'queue unavailable' : 'enqueue outcome unknown'],
    ]);
    expect(lines.filter((line) => /incoming request|request completed/.test(String(line.msg)))).toEqual([]);
    await server.start();
    const deadline = Date.now() + 15000;
    let status = 0;
    while (status !== 200 && Date.now() < deadline) {
      status = (await call('11912345678')).statusCode;
      if (status !== 200) await new Promise((r) => setTimeout(r, 200));
    }
    expect(status).toBe(200);
  });
});
