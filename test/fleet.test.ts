import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { QUEUE_NAMES } from '@integrador/jobs';
import { createDatabase, createEmpresa, issueApiKey } from '@integrador/store';
import { buildApps, spawnCompiledApp } from './support/processes';
import { deletePrefix, TEST_REDIS_URL, testPrefix } from './support/redis-server';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe('all-in-one fleet (npm start)', () => {
  // The compiled fleet, as npm start runs it; it starts its apps compiled as well.
  beforeAll(() => buildApps(), 180_000);

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
    });
    const base = `http://127.0.0.1:${port}`;
    try {
      await fleet.waitForLog(/^Server listening/, 60000);
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await fleet.waitForLog('fleet started')).mode).toBe('compiled');

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
    } finally {
      fleet.child.kill('SIGTERM');
      expect(await fleet.exited).toBe(0);
      await deletePrefix(TEST_REDIS_URL, prefix);
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
