export { DelayedReason, JOB_DELAYED_CODE } from './delayed-reason';
export {
  EnqueueOutcomeUnknownError,
  QueueUnavailableError,
  RedisConfigurationError,
  RedisFullError,
  RedisWriteRefusedError,
} from './errors';
export * from './flows/index';
export {
  bindIdempotencyKey,
  dropIdempotencyPending,
  IDEMPOTENCY_BINDING_TTL_S,
  IDEMPOTENCY_KEY_MAX_LENGTH,
  IDEMPOTENCY_KEY_PATTERN,
  IDEMPOTENCY_PENDING_MAX_MS,
  IDEMPOTENCY_PENDING_TTL_MS,
  type IdempotencyBinding,
  type IdempotencyKeyFault,
  type IdempotencyStore,
  idempotencyKeyFault,
  idempotentJobId,
  releaseIdempotencyKey,
  renewIdempotencyPending,
  requestFingerprint,
  storeIdempotentAnswer,
  withdrawIdempotencyReplay,
} from './idempotency';
export {
  type EnqueuedRun,
  endpointSyncKeyId,
  enqueueGetRun,
  getRunDeduplicationId,
  isSkippedRun,
  oneRunPerIntegration,
  oneSyncPerService,
  type SkippedRun,
} from './integration-runs';
export {
  failureCodesMatching,
  JOB_FAILURE_REASONS,
  JOB_FAILURE_REASONS_WITH_VALUES,
  jobFailureLabel,
  jobFailureTemplate,
  jobFailureText,
  passwordVariablesParam,
  RECEPTOR_LOGIN_REFUSAL,
} from './job-failure-reasons';
export { recordedFailure, recordedFailureCode, recordedWait } from './job-failure-record';
export {
  type JobLogCode,
  notWrittenBackNote,
  type ShownJobLogLine,
  setAttemptLogLine,
  setHeldLogLine,
  setNotWrittenBackLogLine,
  showJobLogLine,
} from './job-log-lines';
export type { JobObserver, ObservedJobEvent } from './job-observer';
export { type Enqueued, type EnqueueOptions, JobProducer, type QueueCounts, queueOptions } from './job-producer';
export { createJobRecorder } from './job-recorder';
export {
  CRON_SHAPE_TEXTS,
  type CronShapeProblem,
  cronParserProblem,
  cronShapeProblem,
  cronShapeText,
  getScheduler,
  InvalidCronError,
  listSchedulers,
  nextCronTime,
  removeScheduler,
  type SchedulerSpec,
  type SchedulerState,
  upsertScheduler,
} from './job-schedulers';
export { jobStateName } from './job-state-names';
export { countedForFairness, FairnessLedger, FairPriorities, MAX_PRIORITY } from './limits/fairness';
export { LimitDelayError, type LimitReason } from './limits/limit-delay-error';
export { type LimitScope, limitKeys, parseScope, scopeName } from './limits/limit-keys';
export { decodeLimit, encodeLimit, type LimitRule, type ScopeLimit } from './limits/limit-rule';
export { LIMIT_WAIT_CODE, LimitWaitError, limitWaitText } from './limits/limit-wait';
export { applyLimitChange, LIMITS_SETTLE_MS, restoreLimitsMirror, syncLimits, toLimitRule } from './limits/limits-config';
export { LimitsConfigCache, readLimitsMirror, writeLimitsMirror } from './limits/limits-mirror';
export { type DelayedNow, readDelayedNow, readLimitStatus, type ScopeStatus } from './limits/limits-status';
export { releaseReservations } from './limits/release-reservations';
export { NO_LIMITS } from './limits/run-with-limits';
export { type JobLimits, type Lease, TenantLimiter, type TenantLimiterOptions } from './limits/tenant-limiter';
export { isPermanentError, PermanentJobFailure, toJobFailure } from './permanent-failure';
export { pingProcessor } from './ping.processor';
export { type JobContext, type JobHandler, type QueueHandlers, startQueueWorker } from './queue-worker';
export { recordKeyText } from './record-key-text';
export {
  assertReady,
  assertRedisSafe,
  createRedis,
  isCluster,
  isConnectionError,
  parseInfo,
  type RedisRole,
  waitUntilReady,
  withRedisDeadline,
} from './redis';
export { type ErrorLogger, logRedisErrors } from './redis-error-log';
export { RedisGuard } from './redis-guard';
export { currentRequestId, runWithRequestId } from './request-context';
export {
  PURGE_BATCH_SIZE,
  type PurgeHistoryOptions,
  type PurgeReport,
  purgeHistory,
  type RetentionDays,
} from './retention/purge-history';
export { type RetentionSweepOptions, retentionLockKey, startRetentionSweep } from './retention/retention-sweep';
export { type ShutdownOutcome, ShutdownRegistry } from './shutdown-registry';
export { isTenantPaused, mirrorPausedTenants, PAUSED_RECHECK_MS, setTenantPausedMirror } from './tenant-pause';
export { type JobOutcome, OTHER_TENANTS, readTenantStats, recordOutcome, type TenantJobCount } from './tenant-stats';
