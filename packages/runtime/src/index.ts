export { knownConnections, lintStoredConfiguration } from './config-lint';
export { loadConnections } from './connections';
export { pingProcessor } from './ping.processor';
export { runWorkerApp, type WorkerDeps } from './worker-app';
