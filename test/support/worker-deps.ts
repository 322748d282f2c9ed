import { createSourceReaderFactory } from '@integrador/integrador';
import type { WorkerDeps } from '@integrador/runtime';
import { createBatcherFactory, createTransportFactory } from '@integrador/transports';

/** A worker app's deps for a test that runs its processors in-process: its own transports, batchers and readers (close them after). */
export function testWorkerDeps(base: Omit<WorkerDeps, 'transports' | 'batchers' | 'sources'>): WorkerDeps {
  return { ...base, transports: createTransportFactory(), batchers: createBatcherFactory(), sources: createSourceReaderFactory() };
}

/** Closes what testWorkerDeps opened (the batchers first: a batch under way finishes on its transport). */
export async function closeWorkerDeps(deps: WorkerDeps | undefined): Promise<void> {
  await deps?.batchers.close();
  await Promise.all([deps?.transports.close(), deps?.sources.close()]);
}
