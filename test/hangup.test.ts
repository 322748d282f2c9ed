import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { freePort } from '@integrador/test-support/ports';
import { type AppProcess, spawnApp } from '@integrador/test-support/processes';
import { TEST_REDIS_URL } from '@integrador/test-support/redis-server';

// SIGHUP to the API side of the fleet (a `kill -HUP` to every process, as logrotate's postrotate or an operator does):
// Node's default ends a process on it. The ingress and the dashboard read CONNECTIONS_FILE again, as the workers do
// (test/connection-reload.test.ts), or say they have none; the fleet supervisor says it holds none. All keep running,
// a SIGHUP that comes while an app is still loading included (hold-hangup.ts).

/** Whether the process has a handler for SIGHUP now (Linux: bit 0 of SigCgt in /proc/<pid>/status). */
function catchesHangup(pid: number): boolean {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return (BigInt(`0x${/SigCgt:\s*([0-9a-f]+)/.exec(status)?.[1] ?? '0'}`) & 1n) === 1n;
}

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

  it('the ingress signalled while it loads survives, and reads CONNECTIONS_FILE once its connections are loaded', async () => {
    const port = await freePort();
    const ingress = spawnApp('apps/ingress/src/server.ts', {
      REDIS_URL: TEST_REDIS_URL,
      KEY_PREFIX: prefix,
      CRM_DATABASE_URL: database.url,
      LOG_LEVEL: 'info',
      PORT: String(port),
      CONNECTIONS_FILE: file,
    });
    started.push(ingress);
    const pid = ingress.child.pid as number;
    // The first moment the process takes SIGHUP: the hold installed by its first import, long before its config,
    // connections and database are loaded (once, a handler installed only then left it dying of a signal meanwhile).
    for (const until = Date.now() + 60_000; !catchesHangup(pid); await pause(2))
      if (Date.now() > until || ingress.child.exitCode !== null) throw new Error(`no SIGHUP handler: ${ingress.stderr.join('')}`);
    ingress.child.kill('SIGHUP');
    await ingress.waitForLog('SIGHUP during start: connections read again now that they are loaded', 120_000);
    expect(await ingress.waitForLog('SIGHUP: connections read again', 10_000)).toMatchObject({ changed: [] });
    await ingress.waitForLog(/^Server listening/, 120_000);
    expect(ingress.lines.findIndex((line) => /^Server listening/.test(String(line.msg)))).toBeGreaterThan(
      ingress.lines.findIndex((line) => line.msg === 'SIGHUP during start: connections read again now that they are loaded'),
    );
    expect(await answers(port, '/healthz')).toBe(200);
    expect(ingress.child.exitCode).toBeNull();
    expect(ingress.child.signalCode).toBeNull();
  }, 180_000);

  it('the ingress reads CONNECTIONS_FILE again and keeps serving', async () => {
    const INGRESS_PORT = await freePort();
    const ingress = await start('apps/ingress/src/server.ts', { PORT: String(INGRESS_PORT), CONNECTIONS_FILE: file }, /^Server listening/);
    writeFile(['erp_a', 'erp_b']);
    ingress.child.kill('SIGHUP');
    expect(await ingress.waitForLog('SIGHUP: connections read again', 10_000)).toMatchObject({ changed: ['erp_b'] });
    expect(await answers(INGRESS_PORT, '/healthz')).toBe(200);
    expect(ingress.child.exitCode).toBeNull();
  }, 180_000);

  it('a file that became invalid is refused on SIGHUP in one clear line; the running ingress keeps its last good connections', async () => {
    writeFile(['erp_a']);
    const INGRESS_PORT = await freePort();
    const ingress = await start('apps/ingress/src/server.ts', { PORT: String(INGRESS_PORT), CONNECTIONS_FILE: file }, /^Server listening/);
    // Two problems, one entry with a password of its own: `npm start` would refuse this file.
    fs.writeFileSync(
      file,
      [
        'connections:',
        '  erp_a:',
        '    tipo: database',
        '    driver: nosuchdriver',
        '    host: 10.1.2.3',
        '    password: segredo-do-arquivo-invalido',
        '  erp_b:',
        '    tipo: webservice',
      ].join('\n'),
    );
    ingress.child.kill('SIGHUP');
    const refused = await ingress.waitForLog(/^SIGHUP: connections file invalid/, 10_000);
    await pause(300);
    const said = ingress.lines.filter((line) => /^SIGHUP: connections/.test(String(line.msg)));
    expect(said).toHaveLength(1);
    // One line an operator reads at a glance: the file and each problem (one string each); never a secret of the file.
    expect(refused).toMatchObject({ level: 40, file, code: 'CONNECTIONS_FILE_INVALID' });
    const problems = refused.problems as string[];
    expect(problems.length).toBeGreaterThanOrEqual(2);
    expect(problems[0]).toMatch(/^connections file .*connection "erp_a"/);
    expect(problems.some((problem) => problem.includes('erp_b'))).toBe(true);
    for (const problem of problems) expect(problem).not.toContain('\n');
    expect(JSON.stringify(said)).not.toContain('segredo-do-arquivo-invalido');
    expect(await answers(INGRESS_PORT, '/healthz')).toBe(200);
    // Fixed, with one entry more: only that one is new, so erp_a was kept all along (not dropped and read again).
    writeFile(['erp_a', 'erp_b']);
    ingress.child.kill('SIGHUP');
    expect(await ingress.waitForLog('SIGHUP: connections read again', 10_000)).toMatchObject({ changed: ['erp_b'] });
    expect(ingress.child.exitCode).toBeNull();
  }, 180_000);

  it('the dashboard without a connections file says so once and keeps serving', async () => {
    const DASHBOARD_PORT = await freePort();
    const dashboard = await start('apps/dashboard/src/server.ts', { DASHBOARD_PORT: String(DASHBOARD_PORT) }, /^Server listening/);
    dashboard.child.kill('SIGHUP');
    await dashboard.waitForLog('SIGHUP: no connections file to read again', 10_000);
    await pause(200);
    expect(await answers(DASHBOARD_PORT, '/')).toBeLessThan(500);
    expect(dashboard.child.exitCode).toBeNull();
  }, 180_000);

  it('the fleet supervisor says it holds no connections and keeps supervising; a SIGHUP to its group reaches every app, which keeps running; SIGTERM still stops it', async () => {
    writeFile(['erp_a', 'erp_b']);
    const FLEET_PORT = await freePort();
    const fleet = await start(
      'apps/fleet/src/main.ts',
      { PORT: String(FLEET_PORT), CONNECTIONS_FILE: file, INTEGRADOR_LANG: 'pt-BR' },
      'fleet started',
    );
    fleet.child.kill('SIGHUP');
    await fleet.waitForLog(/^SIGHUP: the fleet holds no connections/, 10_000);
    await pause(200);
    expect(fleet.child.exitCode).toBeNull();
    expect(fleet.child.signalCode).toBeNull();
    expect(await answers(FLEET_PORT, '/healthz')).toBe(200);
    // What the README tells operators: `kill -HUP -- -<pgid>` (the apps share the fleet's group). Once every worker runs.
    const workers = () => fleet.lines.filter((line) => line.msg === 'worker started').length;
    for (const until = Date.now() + 180_000; workers() < 4; await pause(100))
      if (Date.now() > until) throw new Error(`workers started: ${workers()}`);
    const reloads = () => fleet.lines.filter((line) => line.msg === 'SIGHUP: connections read again').length;
    const before = reloads();
    process.kill(-(fleet.child.pid as number), 'SIGHUP');
    // The ingress and the four workers each read the file again.
    for (const until = Date.now() + 20_000; reloads() < before + 5; await pause(50))
      if (Date.now() > until) throw new Error(`apps that read the file again: ${reloads() - before}`);
    await pause(500);
    expect(fleet.lines.filter((line) => line.msg === 'app exited, restarting')).toEqual([]);
    expect(fleet.child.exitCode).toBeNull();
    expect(await answers(FLEET_PORT, '/healthz')).toBe(200);

    // The file broken while the fleet runs (npm start would refuse it), then a SIGHUP to the group: every app keeps the
    // connections it has and logs one line; the operator who ran the fleet reads, once and in their language, why.
    fs.writeFileSync(file, ['connections:', '  erp_a:', '    tipo: database', '    driver: nosuchdriver'].join('\n'));
    const refusals = () =>
      fleet.lines.filter((line) => line.msg === 'SIGHUP: connections file invalid; the connections in use stay until it is fixed');
    process.kill(-(fleet.child.pid as number), 'SIGHUP');
    for (const until = Date.now() + 20_000; refusals().length < 5; await pause(50))
      if (Date.now() > until) throw new Error(`apps that refused the file: ${refusals().length}`);
    await fleet.waitForLog('SIGHUP: connections file invalid; the apps keep the connections in use', 10_000);
    for (const until = Date.now() + 10_000; !fleet.stderr.join('').includes('SIGHUP: o arquivo de conexões'); await pause(50))
      if (Date.now() > until) throw new Error(`fleet stderr: ${fleet.stderr.join('')}`);
    const told = fleet.stderr.join('');
    expect(told).toContain(
      'SIGHUP: o arquivo de conexões (CONNECTIONS_FILE) tem problemas; os apps continuam com as conexões que já tinham até que ele seja corrigido e um novo SIGHUP chegue:',
    );
    expect(told).toMatch(/conexão "erp_a"/);
    await pause(500);
    expect(refusals()).toHaveLength(5);
    expect(fleet.lines.filter((line) => line.msg === 'app exited, restarting')).toEqual([]);
    expect(await answers(FLEET_PORT, '/healthz')).toBe(200);
    writeFile(['erp_a', 'erp_b']);
    fleet.child.kill('SIGTERM');
    expect(await fleet.exited).toBe(0);
  }, 400_000);
});
