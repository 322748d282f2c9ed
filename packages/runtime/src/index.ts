export { runWorkerApp, type WorkerDeps } from './worker-app';
export { pingProcessor } from './ping.processor';
export { loadConnections } from './connections';
export { lintStoredConfiguration, knownConnections } from './config-lint';
