export { knownConnections, lintStoredConfiguration } from './config-lint';
export { loadConnections } from './connections';
export {
  type EnqueuedRun,
  type EnqueuedStep,
  enqueueIntegrationRun,
  enqueuePlannedRun,
  type RunRequest,
  StepQueueUnavailableError,
} from './enqueue-integration-run';
export { pingProcessor } from './ping.processor';
export { cachedRunPlans, loadPlanRows, planStoredRun } from './run-plans';
export { cachedSetTargets, closeAllTransports, isPermanentFailure, resolveSetTarget, type SetTarget, transportFor } from './set-services';
export { runWorkerApp, type WorkerDeps } from './worker-app';
