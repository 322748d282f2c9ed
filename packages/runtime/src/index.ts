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
export { abandonFailedGetRun, createSourceReaderFactory, type SourceReaderFactory } from './get-services';
export { createJobRecorder } from './job-recorder';
export { limitedTransport } from './limited-transport';
export { applyLimitChange, LIMITS_SETTLE_MS, restoreLimitsMirror, syncLimits, toLimitRule } from './limits-config';
export {
  hasBearerToken,
  listenMetrics,
  METRICS_UNAUTHORIZED,
  type MetricsServer,
  type MetricsServerOptions,
  startMetricsServer,
} from './metrics/metrics-server';
export { registerProcessMetrics } from './metrics/process-metrics';
export { createWorkerMetrics } from './metrics/worker-metrics';
export { pingProcessor } from './ping.processor';
export { type ProducerApp, startProducerApp } from './producer-app';
export {
  type EndpointScheduleEntry,
  endpointSchedulerIdOf,
  type InvalidSchedule,
  type LastRun,
  listEndpointSchedules,
  listSchedules,
  parseSchedulerId,
  type ReconcileReport,
  reconcileSchedules,
  type ScheduleEntry,
  type ScheduleReconciler,
  type ScheduleStatus,
  scheduledSyncPayload,
  schedulerIdOf,
  startGetSchedules,
  startScheduleReconciler,
} from './schedules';
export { cachedSetTargets, createTransportFactory, resolveSetTarget, type SetTarget, type TransportFactory } from './set-services';
export { startWebhookServices } from './webhook-services';
export { runWorkerApp, type WorkerDeps, type WorkerServices } from './worker-app';
