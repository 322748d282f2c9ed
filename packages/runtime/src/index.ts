export { pingProcessor } from './ping.processor';
export { runWorkerApp, type WorkerDeps } from './worker-app';
