import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { freePort } from '@integrador/test-support/ports';
import { spawnApp } from '@integrador/test-support/processes';
import { TEST_REDIS_URL, testPrefix } from '@integrador/test-support/redis-server';

// F7: the dashboard run as its own process (DASHBOARD=off on the ingress) answers the ingress's probes, so a load
// balancer, systemd or Kubernetes can watch it.
describe('the dashboard run on its own', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
  });
  afterAll(async () => {
    await database.drop();
  });

  it('answers /healthz (liveness, with the version) and /readyz (Redis and the CRM database)', async () => {
    const port = await freePort();
    const dashboard = spawnApp('apps/dashboard/src/server.ts', {
      REDIS_URL: TEST_REDIS_URL,
      KEY_PREFIX: testPrefix(),
      CRM_DATABASE_URL: database.url,
      HOST: '127.0.0.1',
      DASHBOARD_PORT: String(port),
      LOG_LEVEL: 'info',
    });
    try {
      let health: Response | undefined;
      for (let i = 0; i < 300 && health?.status !== 200; i++) {
        health = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
        if (health?.status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(health?.status).toBe(200);
      expect(await health?.json()).toEqual({ status: 'ok', version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready', checks: { redis: 'ok', database: 'ok' } });
      // L7 (trial): as on the ingress, the probes' request lines are debug and a request's id is its x-request-id.
      const login = await fetch(`http://127.0.0.1:${port}/dashboard/login`, { headers: { 'x-request-id': 'trial-l7' } });
      expect(login.headers.get('x-request-id')).toBe('trial-l7');
      await dashboard.waitForLog('request completed');
      const requestLines = dashboard.lines.filter((line) => line.msg === 'incoming request');
      expect(requestLines.map((line) => (line.req as { url?: string } | undefined)?.url)).not.toContain('/readyz');
      expect(requestLines.map((line) => (line.req as { url?: string } | undefined)?.url)).not.toContain('/healthz');
      expect(requestLines).toContainEqual(expect.objectContaining({ reqId: 'trial-l7' }));
    } finally {
      dashboard.child.kill('SIGTERM');
      await dashboard.exited;
    }
  });
});
