export { knownConnections, lintStoredConfiguration } from './config-lint';
export { loadConnections } from './connections';
export { closeAllSourceReaders, sourceReaderFor } from './get-services';
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
export { cachedSetTargets, closeAllTransports, isPermanentFailure, resolveSetTarget, type SetTarget, transportFor } from './set-services';
export { runWorkerApp, type WorkerDeps, type WorkerServices } from './worker-app';
