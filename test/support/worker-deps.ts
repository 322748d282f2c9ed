import { createSourceReaderFactory, createTransportFactory, type WorkerDeps } from '@integrador/runtime';

/** A worker app's deps for a test that runs its processors in-process: its own transports and readers (close both after). */
export function testWorkerDeps(base: Omit<WorkerDeps, 'transports' | 'sources'>): WorkerDeps {
  return { ...base, transports: createTransportFactory(), sources: createSourceReaderFactory() };
}

/** Closes what testWorkerDeps opened. */
export async function closeWorkerDeps(deps: WorkerDeps | undefined): Promise<void> {
  await Promise.all([deps?.transports.close(), deps?.sources.close()]);
}
