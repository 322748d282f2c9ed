export { knownConnections, lintStoredConfiguration } from './config-lint';
export { loadConnections } from './connections';
export {
  admitJob,
  createJobAdmission,
  type EnqueuedRun,
  type EnqueuedStep,
  enqueueIntegrationRun,
  enqueuePlannedRun,
  type RunRequest,
  StepQueueUnavailableError,
} from './enqueue-integration-run';
export { abandonFailedGetRun, closeAllSourceReaders, sourceReaderFor } from './get-services';
export { createJobRecorder } from './job-recorder';
export { limitedTransport } from './limited-transport';
export { applyLimitChange, LIMITS_SETTLE_MS, restoreLimitsMirror, syncLimits, toLimitRule } from './limits-config';
export { pingProcessor } from './ping.processor';
export {
  type InvalidSchedule,
  type LastRun,
  listSchedules,
  parseSchedulerId,
  type ReconcileReport,
  reconcileSchedules,
  type ScheduleEntry,
  type ScheduleReconciler,
  type ScheduleStatus,
  schedulerIdOf,
  startGetSchedules,
  startScheduleReconciler,
} from './schedules';
export { cachedSetTargets, closeAllTransports, resolveSetTarget, type SetTarget, transportFor } from './set-services';
export { startWebhookServices } from './webhook-services';
export { runWorkerApp, type WorkerDeps, type WorkerServices } from './worker-app';
