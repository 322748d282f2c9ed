export { QueueUnavailableError, RedisConfigurationError } from './errors';
export * from './flows/index';
export { type EnqueueOptions, JobProducer, type QueueCounts, queueOptions } from './job-producer';
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
