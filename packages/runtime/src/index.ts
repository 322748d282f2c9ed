export { knownConnections, lintStoredConfiguration } from './config-lint';
export { loadConnections } from './connections';
export { limitedTransport } from './limited-transport';
export { applyLimitChange, LIMITS_SETTLE_MS, restoreLimitsMirror, syncLimits, toLimitRule } from './limits-config';
export { pingProcessor } from './ping.processor';
export { cachedSetTargets, closeAllTransports, isPermanentFailure, resolveSetTarget, type SetTarget, transportFor } from './set-services';
export { runWorkerApp, type WorkerDeps } from './worker-app';
