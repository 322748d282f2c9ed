export { knownConnections, lintStoredConfiguration } from './config-lint';
export { loadConnections } from './connections';
export { closeAllSourceReaders, sourceReaderFor } from './get-services';
export { pingProcessor } from './ping.processor';
export { cachedSetTargets, closeAllTransports, isPermanentFailure, resolveSetTarget, type SetTarget, transportFor } from './set-services';
export { runWorkerApp, type WorkerDeps } from './worker-app';
