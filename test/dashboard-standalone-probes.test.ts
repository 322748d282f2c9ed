import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { freePort } from '@integrador/test-support/ports';
import { type AppProcess, spawnApp } from '@integrador/test-support/processes';
import { TEST_REDIS_URL, testPrefix } from '@integrador/test-support/redis-server';

const METRICS_TOKEN = 'dashboard-metrics-token-0123456789';

// F7: the dashboard run as its own process (DASHBOARD=off on the ingress) answers the ingress's probes, so a load
// balancer, systemd or Kubernetes can watch it; and serves /metrics as the ingress does, for Prometheus.
describe('the dashboard run on its own', () => {
  let database: TestDatabase;
  let dashboard: AppProcess;
  let url: string;
  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    dashboard = spawnApp('apps/dashboard/src/server.ts', {
      REDIS_URL: TEST_REDIS_URL,
      KEY_PREFIX: testPrefix(),
      CRM_DATABASE_URL: database.url,
      HOST: '127.0.0.1',
      DASHBOARD_PORT: String(port),
      METRICS_TOKEN,
      LOG_LEVEL: 'info',
    });
  }, 120000);
  afterAll(async () => {
    dashboard?.child.kill('SIGTERM');
    await dashboard?.exited;
    await database?.drop();
  });

  it('answers /healthz (liveness, with the version) and /readyz (Redis and the CRM database)', async () => {
    let health: Response | undefined;
    for (let i = 0; i < 300 && health?.status !== 200; i++) {
      health = await fetch(`${url}/healthz`).catch(() => undefined);
      if (health?.status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(health?.status).toBe(200);
    expect(await health?.json()).toEqual({ status: 'ok', version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { redis: 'ok', database: 'ok' } });
    // L7 (trial): as on the ingress, the probes' request lines are debug and a request's id is its x-request-id.
    const login = await fetch(`${url}/dashboard/login`, { headers: { 'x-request-id': 'trial-l7' } });
    expect(login.headers.get('x-request-id')).toBe('trial-l7');
    await dashboard.waitForLog('request completed');
    const requestLines = dashboard.lines.filter((line) => line.msg === 'incoming request');
    expect(requestLines.map((line) => (line.req as { url?: string } | undefined)?.url)).not.toContain('/readyz');
    expect(requestLines.map((line) => (line.req as { url?: string } | undefined)?.url)).not.toContain('/healthz');
    expect(requestLines).toContainEqual(expect.objectContaining({ reqId: 'trial-l7' }));
  });

  it('serves GET /metrics as the ingress does: the process metrics and its own request latency, behind METRICS_TOKEN', async () => {
    // The probe above was answered: its request is one the latency histogram timed.
    const refused = await fetch(`${url}/metrics`, { headers: { 'accept-language': 'en' } });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({
      error: { code: 'METRICS_UNAUTHORIZED', message: expect.stringContaining('Authorization: Bearer <METRICS_TOKEN>') },
    });
    const wrong = await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer not-the-token-0123456789' } });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { error: { message: string } }).error.message).toContain('token de métricas ausente ou inválido');

    const scraped = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(scraped.status).toBe(200);
    expect(scraped.headers.get('content-type')).toContain('text/plain');
    const text = await scraped.text();
    expect(text).toMatch(/^process_cpu_seconds_total \d/m);
    expect(text).toMatch(/^integrador_build_info\{version="\d+\.\d+\.\d+[^"]*"\} 1$/m);
    expect(text).toContain('# HELP integrador_http_request_duration_seconds HTTP request latency of the dashboard');
    expect(text).toMatch(/^integrador_http_request_duration_seconds_count\{method="GET",route="\/healthz",status_code="200"\} [1-9]/m);
  });
});
