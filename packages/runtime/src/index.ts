export {
  type AdmissionBudget,
  type AdmissionLimitDeps,
  type AdmitTenant,
  createAdmissionLimit,
  isWriteMethod,
  READ_METHODS,
  registerAdmissionLimit,
  TENANT_RATE_LIMITED,
  TenantRateLimitedError,
} from './admission-limit';
export { type HealthDeps, healthRoutes } from './health-routes';
export { type HttpServerTimeouts, httpServerTimeouts } from './http-timeouts';
export { type HttpMetricsOptions, registerHttpMetrics } from './metrics/http-metrics';
export {
  hasBearerToken,
  isLoopbackHost,
  listenMetrics,
  METRICS_UNAUTHORIZED,
  type MetricsServer,
  type MetricsServerOptions,
  startMetricsServer,
  warnIfMetricsOpen,
} from './metrics/metrics-server';
export { registerProcessMetrics } from './metrics/process-metrics';
export { createWorkerMetrics } from './metrics/worker-metrics';
export { type ProducerApp, startProducerApp } from './producer-app';
export { ProbeQuietLogController, registerRequestId, requestIdOf } from './request-id';
export { runWorkerApp, type WorkerDeps, type WorkerServices } from './worker-app';
