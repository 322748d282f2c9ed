import { type AppProcess, spawnApp } from '../support/processes';

/**
 * The worker processes of a fault test: `start` spawns one and waits until it takes jobs, `kill` ends one with SIGKILL
 * (what a crash or the OOM killer does), `stopAll` ends those still running with SIGTERM (in afterAll/afterEach).
 */
export class WorkerPool {
  private readonly started: AppProcess[] = [];

  async start(entry: string, env: Record<string, string>): Promise<AppProcess> {
    const worker = spawnApp(entry, env);
    this.started.push(worker);
    await worker.waitForLog('worker started', 60_000);
    return worker;
  }

  async kill(worker: AppProcess): Promise<void> {
    worker.child.kill('SIGKILL');
    await worker.exited;
  }

  async stopAll(): Promise<void> {
    for (const worker of this.started.splice(0)) {
      if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGTERM');
      await worker.exited;
    }
  }
}
