import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { QUEUE_NAMES } from '@integrador/jobs';
import { createDatabase, createEmpresa, issueApiKey } from '@integrador/store';
import { type AppProcess, spawnCompiledApp } from '@integrador/test-support/processes';
import { deletePrefix, freePort, TEST_REDIS_URL, testPrefix } from '@integrador/test-support/redis-server';

describe('all-in-one fleet (npm start)', () => {
  // The compiled fleet, as npm start runs it (built by the jest global setup); it starts its apps compiled as well.

  it('starts on embedded defaults, serves /healthz, runs jobs on every queue and stops cleanly', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'itest-fleet-'));
    const port = await freePort();
    const prefix = testPrefix();
    const fleet = spawnCompiledApp('fleet', {
      REDIS_URL: TEST_REDIS_URL,
      DATA_DIR: dataDir,
      PORT: String(port),
      KEY_PREFIX: prefix,
      LOG_LEVEL: 'info',
      // One metrics server per worker process: 17210 for the first worker, the next ports for the others.
      METRICS_PORT: '17210',
      INTEGRADOR_LANG: 'en',
    });
    const base = `http://127.0.0.1:${port}`;
    try {
      await fleet.waitForLog(/^Server listening/, 60000);
      const health = await fetch(`${base}/healthz`);
      expect(health.status).toBe(200);
      // The ingress answers its start's id (FLEET_START_ID): the fleet knew it as its own before it started the workers.
      expect(await health.json()).toEqual({
        status: 'ok',
        version: expect.any(String),
        fleetStart: expect.stringMatching(/^[0-9a-f-]{36}$/),
      });
      expect((await fleet.waitForLog('fleet started')).mode).toBe('compiled');
      // Once every worker answers its /healthz, one human summary of where things are, in the configured language.
      expect(await fleet.waitForLog('fleet ready', 60000)).toMatchObject({ url: base, waiting: [] });
      // The summary goes to stderr and the log line to stdout: two pipes, read in whichever order they arrive.
      expect(await stderrOnceContaining(fleet, 'Fleet ready', 10000)).toContain(
        [
          'Fleet ready: the ingress and 4 workers are up.',
          `  API:      ${base} (documentation: ${base}/docs)`,
          `  metrics:  ${base}/metrics`,
          `  dashboard: ${base}/dashboard (sign in as an operator: npm run integrador -- operators create admin --papel admin)`,
          '  workers:  /metrics, /healthz and /readyz on 17210 to 17213',
          '  Ctrl-C stops it; LOG_PRETTY=1 npm start shows readable logs.',
        ].join('\n'),
      );

      // The embedded SQLite file the fleet created under DATA_DIR is the CRM database.
      const database = createDatabase(`sqlite:${path.join(dataDir, 'integrador.sqlite')}`);
      const key = await issueApiKey(database.db, await createEmpresa(database.db, 'Empresa Fleet'), null, 'fleet');
      await database.destroy();
      const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };

      for (const queue of QUEUE_NAMES) {
        const accepted = await fetch(`${base}/v1/ping`, { method: 'POST', headers, body: JSON.stringify({ queue }) });
        expect(accepted.status).toBe(202);
        const { jobId } = (await accepted.json()) as { jobId: string };
        let state = '';
        for (let i = 0; i < 300 && state !== 'completed'; i++) {
          const job = (await (await fetch(`${base}/v1/jobs/${queue}/${jobId}`, { headers })).json()) as { state: string };
          state = job.state;
          if (state !== 'completed') await new Promise((r) => setTimeout(r, 50));
        }
        expect(state).toBe('completed');
      }

      // Each worker serves its own /healthz and /metrics on its own port; together they counted one ping per queue.
      let scraped = '';
      for (const metricsPort of [17210, 17211, 17212, 17213]) {
        expect((await fetch(`http://127.0.0.1:${metricsPort}/healthz`)).status).toBe(200);
        scraped += await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      }
      for (const queue of QUEUE_NAMES) {
        expect(scraped).toContain(`integrador_worker_jobs_total{queue="${queue}",job="system.ping",outcome="completed"} 1`);
      }
    } finally {
      fleet.child.kill('SIGTERM');
      expect(await fleet.exited).toBe(0);
      await deletePrefix(TEST_REDIS_URL, prefix);
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("stops on a terminal's Ctrl-C: every app drains once, the fleet's SIGTERM ignored quietly and a second Ctrl-C logged at most once (info)", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'itest-fleet-'));
    const prefix = testPrefix();
    // Its own process group, as a shell's foreground job: a Ctrl-C is SIGINT to the whole group, the apps included.
    const fleet = spawnCompiledApp(
      'fleet',
      {
        REDIS_URL: TEST_REDIS_URL,
        DATA_DIR: dataDir,
        PORT: String(await freePort()),
        KEY_PREFIX: prefix,
        LOG_LEVEL: 'info',
        INTEGRADOR_LANG: 'pt-BR',
      },
      [],
      [],
      { detached: true },
    );
    const group = -(fleet.child.pid as number);
    let secondDelivered = false;
    try {
      await fleet.waitForLog('fleet started', 60000);
      const workersUntil = Date.now() + 60000;
      while (fleet.lines.filter((line) => line.msg === 'worker started').length < 4) {
        if (Date.now() > workersUntil) throw new Error(`4 "worker started" lines expected within 60 s; stderr: ${fleet.stderr.join('')}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      await fleet.waitForLog('fleet ready', 60000);
      // The tests' environment gives the apps METRICS_PORT=0: no /healthz to ask, so the workers are said started, not up.
      expect(await stderrOnceContaining(fleet, 'Frota iniciada', 10000)).toMatch(
        /Frota iniciada: o ingress no ar e 4 workers iniciados \(com METRICS_PORT=0 não têm \/healthz: não se verifica se estão prontos\)\.\n {2}API: {6}http:\/\/127\.0\.0\.1:\d+ \(documentação: /,
      );
      expect(fleet.stderr.join('')).not.toContain('Frota pronta');
      process.kill(group, 'SIGINT');
      await fleet.waitForLog('stopping fleet');
      secondDelivered = signalGroup(group, 'SIGINT');
      expect(await fleet.exited).toBe(0);
    } finally {
      if (fleet.child.exitCode === null) signalGroup(group, 'SIGTERM');
      await deletePrefix(TEST_REDIS_URL, prefix);
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
    // Each app drained once. The Ctrl-C reached the apps themselves, and the fleet's SIGTERM came as a second signal,
    // ignored quietly (debug): the fleet's "stopping fleet" is the one line (one that had both pending may take either first).
    const drains = fleet.lines.filter((line) => line.msg === 'shutting down');
    expect(drains.map((line) => line.name).sort()).toEqual(['ingress', 'worker-cti', 'worker-get', 'worker-set', 'worker-webhook']);
    for (const line of drains) expect(['SIGINT', 'SIGTERM']).toContain(line.reason);
    expect(drains.filter((line) => line.reason === 'SIGINT').length).toBeGreaterThan(0);
    expect(fleet.lines.filter((line) => line.msg === 'shutdown already under way, signal ignored')).toEqual([]);
    // Nothing of the shutdown itself is a warning or an error (other lines, e.g. "waiting for redis" under load, may be).
    const shutdownLines = fleet.lines.filter((line) => /shut|stop|signal|deadline|kill/i.test(String(line.msg)));
    expect(shutdownLines.filter((line) => Number(line.level) >= 40)).toEqual([]);
    // The second Ctrl-C, when it found the fleet still running, was logged once and ignored.
    const fleetIgnored = fleet.lines.filter((line) => line.msg === 'fleet already stopping, signal ignored');
    expect(fleetIgnored.length).toBeLessThanOrEqual(secondDelivered ? 1 : 0);
    for (const line of fleetIgnored) expect(line.level).toBe(30);
    expect(fleet.lines.at(-1)).toMatchObject({
      msg: 'fleet stopped',
      exits: { ingress: 0, 'worker-set': 0, 'worker-get': 0, 'worker-cti': 0, 'worker-webhook': 0 },
    });
  }, 180_000);

  it('refuses a connections file with a typo at once, worded in the configured language, starting no app (trial M2)', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'itest-fleet-'));
    const file = path.join(dataDir, 'connections.yaml');
    fs.writeFileSync(
      file,
      [
        'connections:',
        '  senior_g5:',
        '    tipo: webservise',
        '    baseUrl: http://127.0.0.1:8080',
        '    user: integrador',
        '    password: segredo-do-arquivo',
        '  erp_db:',
        '    tipo: database',
        '    driver: postgres',
        '    host: 127.0.0.1',
        '    database: erp',
        '    user: erp',
        '    pasword: segredo-do-arquivo',
      ].join('\n'),
    );
    const env = { REDIS_URL: TEST_REDIS_URL, DATA_DIR: dataDir, KEY_PREFIX: testPrefix(), LOG_LEVEL: 'info', METRICS_PORT: '0' };
    for (const [lang, banner, tipo, pasword] of [
      [
        'pt-BR',
        'A frota não foi iniciada: o arquivo de conexões (CONNECTIONS_FILE) tem problemas; corrija-os e inicie de novo:',
        `arquivo de conexões ${file}: conexão "senior_g5": campo "tipo": esperado um de webservice, database, api (ou um sinônimo como ws, banco de dados), recebido "webservise"`,
        `arquivo de conexões ${file}: conexão "erp_db": campo "pasword": campo desconhecido; esperado um de`,
      ],
      [
        'en',
        'The fleet was not started: the connections file (CONNECTIONS_FILE) has problems; fix them and start again:',
        `connections file ${file}: connection "senior_g5": field "tipo": expected one of webservice, database, api`,
        `connections file ${file}: connection "erp_db": field "pasword": unknown field; expected one of`,
      ],
    ] as const) {
      const fleet = spawnCompiledApp('fleet', { ...env, PORT: String(await freePort()), CONNECTIONS_FILE: file, INTEGRADOR_LANG: lang });
      try {
        expect(await exitWithin(fleet, 30000)).toBe(1);
        const lines = fleet.stderr.join('').trim().split('\n');
        expect(lines[0]).toBe(banner);
        expect(lines[1]).toContain(tipo);
        expect(lines[2]).toContain(pasword);
        expect(lines).toHaveLength(3);
        expect(fleet.stderr.join('')).not.toContain('segredo-do-arquivo');
        expect(fleet.lines.filter((line) => line.msg === 'app started' || line.msg === 'app exited, restarting')).toEqual([]);
      } finally {
        if (fleet.child.exitCode === null) signalGroup(-(fleet.child.pid as number), 'SIGKILL');
      }
    }
  }, 90_000);

  // This suite's own ports (3290–3299): a fleet on 3290 with its workers' metrics on 3291–3294.
  const PORT = 3290;
  const METRICS_PORT = 3291;

  it('a second fleet on ports already taken refuses at once, naming the port (pt-BR / en), and leaves the first running', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'itest-fleet-'));
    const prefix = testPrefix();
    const env = { REDIS_URL: TEST_REDIS_URL, DATA_DIR: dataDir, KEY_PREFIX: prefix, LOG_LEVEL: 'info' };
    const first = spawnCompiledApp('fleet', { ...env, PORT: String(PORT), METRICS_PORT: String(METRICS_PORT) });
    const others: AppProcess[] = [];
    try {
      await waitForWorkers(first);
      const second = spawnCompiledApp('fleet', { ...env, PORT: String(PORT), METRICS_PORT: '0', INTEGRADOR_LANG: 'pt-BR' });
      others.push(second);
      expect(await exitWithin(second, 30000)).toBe(1);
      expect(second.stderr.join('')).toContain(`porta ${PORT} em uso (outra frota?)`);
      expect(second.lines.filter((line) => line.msg === 'app started' || line.msg === 'fleet started')).toEqual([]);
      // The ingress port free, a worker's metrics port taken: refused as well, naming that port.
      const third = spawnCompiledApp('fleet', {
        ...env,
        PORT: String(await freePort()),
        METRICS_PORT: String(METRICS_PORT + 3),
        INTEGRADOR_LANG: 'en',
      });
      others.push(third);
      expect(await exitWithin(third, 30000)).toBe(1);
      expect(third.stderr.join('')).toContain(`port ${METRICS_PORT + 3} in use (another fleet?): METRICS_PORT ${METRICS_PORT + 3}`);
      expect(third.lines.filter((line) => line.msg === 'app started')).toEqual([]);
      // The first fleet still serves.
      expect((await fetch(`http://127.0.0.1:${PORT}/healthz`)).status).toBe(200);
    } finally {
      for (const other of others) signalGroup(-(other.child.pid as number), 'SIGKILL');
      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);
      await deletePrefix(TEST_REDIS_URL, prefix);
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);

  it("another fleet taking PORT after the port check: its /healthz is not this start's, so the fleet refuses and exits 1", async () => {
    // Ports of this case: 3181 (and no worker metrics ports).
    const racedPort = 3181;
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'itest-fleet-'));
    const prefix = testPrefix();
    const fleet = spawnCompiledApp('fleet', {
      REDIS_URL: TEST_REDIS_URL,
      DATA_DIR: dataDir,
      KEY_PREFIX: prefix,
      LOG_LEVEL: 'info',
      PORT: String(racedPort),
      METRICS_PORT: '0',
      INTEGRADOR_LANG: 'pt-BR',
    });
    // The other fleet's ingress, as it answers: 200 {status: ok} with its own start's id.
    const other = http.createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', fleetStart: 'another-start' }));
    });
    try {
      // The fleet has checked its ports (free) and migrates; its ingress is not started yet: the other fleet takes PORT now.
      await fleet.waitForLog(/^(migrations applied|database up to date)$/, 60000);
      await new Promise<void>((resolve, reject) => {
        other.once('error', reject);
        other.listen({ host: '127.0.0.1', port: racedPort, exclusive: true }, resolve);
      });
      expect(await exitWithin(fleet, 60000)).toBe(1);
      expect(fleet.stderr.join('')).toContain(`porta ${racedPort} em uso (outra frota?)`);
      expect(fleet.lines.filter((line) => line.msg === 'fleet started')).toEqual([]);
      // Only its ingress had been started, and it is gone with the fleet.
      const pids = fleet.lines.filter((line) => line.name === 'fleet' && line.msg === 'app started').map((line) => Number(line.pid));
      expect(pids).toHaveLength(1);
      const until = Date.now() + 10000;
      while (pids.some(alive) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      expect(pids.filter(alive)).toEqual([]);
      // The other fleet still serves its port.
      expect(await (await fetch(`http://127.0.0.1:${racedPort}/healthz`)).json()).toEqual({ status: 'ok', fleetStart: 'another-start' });
    } finally {
      signalGroup(-(fleet.child.pid as number), 'SIGKILL');
      await new Promise((resolve) => other.close(resolve));
      await deletePrefix(TEST_REDIS_URL, prefix);
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);

  it('kill -9 of the fleet: every app notices its supervisor is gone, drains and exits within its deadline', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'itest-fleet-'));
    const prefix = testPrefix();
    const shutdownTimeoutMs = 5000;
    const fleet = spawnCompiledApp('fleet', {
      REDIS_URL: TEST_REDIS_URL,
      DATA_DIR: dataDir,
      PORT: String(PORT + 5),
      METRICS_PORT: String(PORT + 6),
      KEY_PREFIX: prefix,
      LOG_LEVEL: 'info',
      SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs),
    });
    const group = -(fleet.child.pid as number);
    try {
      await waitForWorkers(fleet);
      const pids = fleet.lines.filter((line) => line.name === 'fleet' && line.msg === 'app started').map((line) => Number(line.pid));
      expect(pids).toHaveLength(5);
      fleet.child.kill('SIGKILL');
      expect(await fleet.exited).toBe('SIGKILL');
      // Each app drains (its own deadline) and exits; a little room beyond the deadline for a loaded machine.
      const until = Date.now() + shutdownTimeoutMs + 10000;
      while (pids.some(alive) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      expect(pids.filter(alive)).toEqual([]);
      const drains = fleet.lines.filter((line) => line.msg === 'shutting down');
      expect(drains.map((line) => line.name).sort()).toEqual(['ingress', 'worker-cti', 'worker-get', 'worker-set', 'worker-webhook']);
      for (const line of drains) expect(line.reason).toBe('supervisor gone');
    } finally {
      signalGroup(group, 'SIGKILL');
      await deletePrefix(TEST_REDIS_URL, prefix);
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);

  it('an app the fleet started knows it from its environment: its channel closing stops it even when the fleet died before telling it anything', async () => {
    // A fleet killed right after it spawned its workers (tsx's signal relay, the OOM killer) never flushed a message to
    // them; they ran on as orphans holding the metrics ports, and the next start refused those ports.
    const prefix = testPrefix();
    const env = { REDIS_URL: TEST_REDIS_URL, KEY_PREFIX: prefix, LOG_LEVEL: 'info', SHUTDOWN_TIMEOUT_MS: '5000' };
    const supervised = spawnCompiledApp('worker-webhook', { ...env, FLEET_START_ID: randomUUID() }, [], [], { ipc: true });
    const unsupervised = spawnCompiledApp('worker-webhook', env, [], [], { ipc: true });
    try {
      await Promise.all([supervised.waitForLog('worker started', 60000), unsupervised.waitForLog('worker started', 60000)]);
      supervised.child.disconnect();
      unsupervised.child.disconnect();
      expect(await supervised.exited).toBe(0);
      expect(supervised.lines.find((line) => line.msg === 'shutting down')).toMatchObject({ reason: 'supervisor gone' });
      // Started any other way (a supervisor of its own with a channel, no FLEET_START_ID): the channel means nothing.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(unsupervised.child.exitCode).toBeNull();
      expect(unsupervised.lines.some((line) => line.msg === 'shutting down')).toBe(false);
    } finally {
      for (const app of [supervised, unsupervised]) if (app.child.exitCode === null) app.child.kill('SIGTERM');
      await Promise.all([supervised.exited, unsupervised.exited]);
      await deletePrefix(TEST_REDIS_URL, prefix);
    }
  }, 120_000);
});

/** Resolves once the fleet has started and its four workers have too (each listens on its metrics port by then). */
/** The process's stderr so far once it contains `text`, or as it is after `ms` (the assertion then names what came). */
async function stderrOnceContaining(app: AppProcess, text: string, ms: number): Promise<string> {
  const until = Date.now() + ms;
  while (!app.stderr.join('').includes(text) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
  return app.stderr.join('');
}

async function waitForWorkers(fleet: AppProcess): Promise<void> {
  await fleet.waitForLog('fleet started', 60000);
  const until = Date.now() + 60000;
  while (fleet.lines.filter((line) => line.msg === 'worker started').length < 4) {
    if (Date.now() > until) throw new Error(`4 "worker started" lines expected within 60 s; stderr: ${fleet.stderr.join('')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Whether a process is still running (signal 0 reaches it). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The process's exit code, or 'still running' when it has not exited within the time. */
function exitWithin(app: { exited: Promise<number | string> }, ms: number): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve('still running'), ms);
  });
  return Promise.race([app.exited, late]).finally(() => clearTimeout(timer));
}

/** Sends a signal to a process group; false when the group has already gone (every process exited). */
function signalGroup(group: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(group, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}
