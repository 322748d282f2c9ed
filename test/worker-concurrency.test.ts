import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '@integrador/logging';
import { spawnApp } from '@integrador/test-support/processes';
import { TEST_REDIS_URL } from '@integrador/test-support/redis-server';
import { startTestProducer, type TestProducer } from '@integrador/test-support/test-producer';

const logger = createLogger({ name: 'test', level: 'silent' });
const tenant = { empresaId: 1, filialId: null };

describe("a worker app's concurrency: its own default when WORKER_CONCURRENCY is unset, the variable otherwise", () => {
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

  /** Starts worker-webhook, fills its queue with slow jobs and answers the most it ran at once, and its start line. */
  async function mostAtOnce(env: Record<string, string>, jobs: number) {
    const { producer, prefix } = testProducer;
    const worker = spawnApp('apps/worker-webhook/src/main.ts', {
      REDIS_URL: TEST_REDIS_URL,
      KEY_PREFIX: prefix,
      DATA_DIR: dataDir,
      SHUTDOWN_TIMEOUT_MS: '10000',
      LOG_LEVEL: 'info',
      ...env,
    });
    try {
      const started = await worker.waitForLog('worker started', 60000);
      const queue = producer.queue('webhook');
      await Promise.all(Array.from({ length: jobs }, () => producer.enqueue('webhook', 'system.ping', { tenant, sleepMs: 3000 })));
      let most = 0;
      const until = Date.now() + 2000;
      while (Date.now() < until) {
        most = Math.max(most, (await queue.getJobCounts('active')).active ?? 0);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return { most, started };
    } finally {
      worker.child.kill('SIGKILL');
      await worker.exited;
    }
  }

  it('runs worker-webhook 100 at a time by default, on 20 CRM connections', async () => {
    const { most, started } = await mostAtOnce({}, 130);
    expect(most).toBe(100);
    expect(started).toMatchObject({ concurrency: 100, crmPoolSize: 20 });
  }, 90000);

  it('runs worker-webhook WORKER_CONCURRENCY at a time when it is set, on a connection per job and two spare', async () => {
    const { most, started } = await mostAtOnce({ WORKER_CONCURRENCY: '7' }, 20);
    expect(most).toBe(7);
    expect(started).toMatchObject({ concurrency: 7, crmPoolSize: 9 });
  }, 90000);
});
