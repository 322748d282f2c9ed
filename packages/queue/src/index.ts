export { QueueUnavailableError, RedisConfigurationError } from './errors';
export * from './flows/index';
export {
  type EnqueuedRun,
  enqueueGetRun,
  getRunDeduplicationId,
  isSkippedRun,
  oneRunPerIntegration,
  type SkippedRun,
} from './integration-runs';
export { type EnqueueOptions, JobProducer, type QueueCounts, queueOptions } from './job-producer';
export {
  getScheduler,
  InvalidCronError,
  listSchedulers,
  nextCronTime,
  removeScheduler,
  type SchedulerSpec,
  type SchedulerState,
  upsertScheduler,
} from './job-schedulers';
export { type JobContext, type JobHandler, type QueueHandlers, startQueueWorker } from './queue-worker';
export {
  assertReady,
  assertRedisSafe,
  createRedis,
  isConnectionError,
  parseInfo,
  type RedisRole,
  waitUntilReady,
  withRedisDeadline,
} from './redis';
export { RedisGuard } from './redis-guard';
export { type ShutdownOutcome, ShutdownRegistry } from './shutdown-registry';
export { type JobOutcome, readTenantStats, recordOutcome, type TenantJobCount } from './tenant-stats';
