import { type AppProcess, spawnApp, stopApps } from '@integrador/test-support/processes';
import { TEST_REDIS_URL } from '@integrador/test-support/redis-server';

/**
 * The worker processes of a fault test: `start` spawns one and waits until it takes jobs, `kill` ends one with SIGKILL
 * (what a crash or the OOM killer does), `stopAll` ends those still running with SIGTERM (in afterAll/afterEach).
 */
export class WorkerPool {
  private readonly started: AppProcess[] = [];

  /** One worker on the test's Redis prefix and CRM database; a 1 s job lock lets a killed worker's job be taken again soon. */
  async start(entry: string, at: { prefix: string; databaseUrl: string }, env: Record<string, string> = {}): Promise<AppProcess> {
    const worker = spawnApp(entry, {
      REDIS_URL: TEST_REDIS_URL,
      KEY_PREFIX: at.prefix,
      CRM_DATABASE_URL: at.databaseUrl,
      JOB_LOCK_MS: '1000',
      LOG_LEVEL: 'info',
      ...env,
    });
    this.started.push(worker);
    await worker.waitForLog('worker started', 60_000);
    return worker;
  }

  async kill(worker: AppProcess): Promise<void> {
    worker.child.kill('SIGKILL');
    await worker.exited;
  }

  async stopAll(): Promise<void> {
    await stopApps(this.started);
  }
}
