import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { type AppProcess, spawnApp } from '@integrador/test-support/processes';
import { TEST_REDIS_URL } from '@integrador/test-support/redis-server';

// SIGHUP to the API side of the fleet (a `kill -HUP` to every process, as logrotate's postrotate or an operator does):
// Node's default ends a process on it. The ingress and the dashboard read CONNECTIONS_FILE again, as the workers do
// (test/connection-reload.test.ts), or say they have none; the fleet supervisor says it holds none. All keep running.
// Real processes on this session's ports (18150–18199).
const INGRESS_PORT = 18150;
const DASHBOARD_PORT = 18151;
const FLEET_PORT = 18152;

describe('SIGHUP on the ingress, the dashboard and the fleet supervisor', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'itest-hangup-'));
  const file = path.join(dir, 'connections.yaml');
  const prefix = `{itest-hangup-${process.pid}}`;
  let database: TestDatabase;
  const started: AppProcess[] = [];

  /** The connections file: an ERP database for each name (never reached: a reload only reads the file). */
  const writeFile = (names: string[]) =>
    fs.writeFileSync(
      file,
      [
        'connections:',
        ...names.flatMap((name) => [
          `  ${name}:`,
          '    tipo: database',
          '    driver: postgres',
          '    host: 10.1.2.3',
          '    port: 5432',
          '    database: erp',
          '    user: erp',
          '    password: segredo',
          '    allowPrivateNetwork: true',
        ]),
      ].join('\n'),
    );
  const start = async (entry: string, env: Record<string, string>, ready: RegExp | string): Promise<AppProcess> => {
    const app = spawnApp(entry, {
      REDIS_URL: TEST_REDIS_URL,
      KEY_PREFIX: prefix,
      CRM_DATABASE_URL: database.url,
      LOG_LEVEL: 'info',
      ...env,
    });
    started.push(app);
    // An app that exits at start fails the test at once, with its stderr.
    const exited = app.exited.then((code) => {
      throw new Error(`${entry} exited (${code}): ${app.stderr.join('')}`);
    });
    await Promise.race([app.waitForLog(ready, 120_000), exited]);
    exited.catch(() => undefined);
    return app;
  };
  /** Whether the process still answers HTTP on the port (it would refuse the connection once ended). */
  const answers = async (port: number, route: string) => (await fetch(`http://127.0.0.1:${port}${route}`)).status;
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    writeFile(['erp_a']);
  }, 60_000);
  afterAll(async () => {
    for (const app of started) if (app.child.exitCode === null && app.child.signalCode === null) app.child.kill('SIGTERM');
    await Promise.all(started.map((app) => app.exited));
    await database?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('the ingress reads CONNECTIONS_FILE again and keeps serving', async () => {
    const ingress = await start('apps/ingress/src/server.ts', { PORT: String(INGRESS_PORT), CONNECTIONS_FILE: file }, /^Server listening/);
    writeFile(['erp_a', 'erp_b']);
    ingress.child.kill('SIGHUP');
    expect(await ingress.waitForLog('SIGHUP: connections read again', 10_000)).toMatchObject({ changed: ['erp_b'] });
    expect(await answers(INGRESS_PORT, '/healthz')).toBe(200);
    expect(ingress.child.exitCode).toBeNull();
  }, 180_000);

  it('the dashboard without a connections file says so once and keeps serving', async () => {
    const dashboard = await start('apps/dashboard/src/server.ts', { DASHBOARD_PORT: String(DASHBOARD_PORT) }, /^Server listening/);
    dashboard.child.kill('SIGHUP');
    await dashboard.waitForLog('SIGHUP: no connections file to read again', 10_000);
    await pause(200);
    expect(await answers(DASHBOARD_PORT, '/')).toBeLessThan(500);
    expect(dashboard.child.exitCode).toBeNull();
  }, 180_000);

  it('the fleet supervisor says it holds no connections and keeps supervising; SIGTERM still stops it', async () => {
    const fleet = await start('apps/fleet/src/main.ts', { PORT: String(FLEET_PORT), CONNECTIONS_FILE: file }, 'fleet started');
    fleet.child.kill('SIGHUP');
    await fleet.waitForLog(/^SIGHUP: the fleet holds no connections/, 10_000);
    await pause(200);
    expect(fleet.child.exitCode).toBeNull();
    expect(fleet.child.signalCode).toBeNull();
    expect(await answers(FLEET_PORT, '/healthz')).toBe(200);
    fleet.child.kill('SIGTERM');
    expect(await fleet.exited).toBe(0);
  }, 240_000);
});
