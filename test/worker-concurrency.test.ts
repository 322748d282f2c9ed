import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '@integrador/logging';
import { spawnApp } from '@integrador/test-support/processes';
import { TEST_REDIS_URL } from '@integrador/test-support/redis-server';
import { startTestProducer, type TestProducer } from '@integrador/test-support/test-producer';

const logger = createLogger({ name: 'test', level: 'silent' });
const tenant = { empresaId: 1, filialId: null };

describe("a worker app's concurrency (its own default when WORKER_CONCURRENCY is unset, the variable otherwise) and CRM pool", () => {
  let testProducer: TestProducer;
  let dataDir: string;

  beforeEach(async () => {
    testProducer = await startTestProducer({ logger });
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'itest-concurrency-'));
  });

  afterEach(async () => {
    await testProducer.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** Spawns a worker app on the test's Redis prefix and data directory. */
  function spawnWorker(app: string, env: Record<string, string>) {
    return spawnApp(`apps/${app}/src/main.ts`, {
      REDIS_URL: TEST_REDIS_URL,
      KEY_PREFIX: testProducer.prefix,
      DATA_DIR: dataDir,
      SHUTDOWN_TIMEOUT_MS: '10000',
      LOG_LEVEL: 'info',
      ...env,
    });
  }

  /** Starts a worker app and answers its start line. */
  async function startLine(app: string, env: Record<string, string>) {
    const worker = spawnWorker(app, env);
    try {
      return await worker.waitForLog('worker started', 60000);
    } finally {
      worker.child.kill('SIGKILL');
      await worker.exited;
    }
  }

  /**
   * Starts worker-webhook, fills its queue with more slow jobs than `expected` and answers the most it ran at once,
   * and its start line. The jobs outlast the watch, so the count only rises: it is watched until it reaches `expected`
   * (however slowly a busy machine takes the jobs), then a second more for any job past it.
   */
  async function mostAtOnce(env: Record<string, string>, jobs: number, expected: number) {
    const { producer } = testProducer;
    const worker = spawnWorker('worker-webhook', env);
    try {
      const started = await worker.waitForLog('worker started', 60000);
      const queue = producer.queue('webhook');
      await Promise.all(Array.from({ length: jobs }, () => producer.enqueue('webhook', 'system.ping', { tenant, sleepMs: 60000 })));
      let most = 0;
      let until = Date.now() + 30000;
      for (let reached = false; Date.now() < until; ) {
        most = Math.max(most, (await queue.getJobCounts('active')).active ?? 0);
        if (!reached && most >= expected) {
          reached = true;
          until = Date.now() + 1000;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return { most, started };
    } finally {
      worker.child.kill('SIGKILL');
      await worker.exited;
    }
  }

  it('runs worker-webhook 100 at a time by default, on 20 CRM connections', async () => {
    const { most, started } = await mostAtOnce({}, 130, 100);
    expect(most).toBe(100);
    expect(started).toMatchObject({ concurrency: 100, crmPoolSize: 20 });
  }, 120000);

  it('runs worker-webhook WORKER_CONCURRENCY at a time when it is set, on a connection per job and two spare', async () => {
    const { most, started } = await mostAtOnce({ WORKER_CONCURRENCY: '7' }, 20, 7);
    expect(most).toBe(7);
    expect(started).toMatchObject({ concurrency: 7, crmPoolSize: 9 });
  }, 120000);

  it('runs another app (worker-cti) at the shared default, 10 at a time, on a connection per job and two spare', async () => {
    expect(await startLine('worker-cti', {})).toMatchObject({ concurrency: 10, crmPoolSize: 12 });
  }, 120000);

  it('holds at most 50 CRM connections per process, whatever WORKER_CONCURRENCY says', async () => {
    expect(await startLine('worker-cti', { WORKER_CONCURRENCY: '100' })).toMatchObject({ concurrency: 100, crmPoolSize: 50 });
  }, 120000);
});
