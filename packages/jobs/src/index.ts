export {
  EVENTS_MAX_LEN,
  JOB_CATALOG,
  type JobCatalog,
  type JobDefinition,
  type JobName,
  type JobPayload,
  type JobPolicy,
  jobDefinition,
  jobNames,
  RETENTION,
} from './catalog';
export { isQueueName, QUEUE_NAMES, type QueueName } from './queues';
export {
  type AttemptOptions,
  DEFAULT_RECEPTOR_RETRY,
  MAX_RECEPTOR_ATTEMPTS,
  maxAttemptsOf,
  notedRetryPolicy,
  noteRetryPolicy,
  RECEPTOR_BACKOFF,
  type RetryPolicy,
  receptorAttempts,
  receptorBackoff,
  retryPolicyOf,
  underRetryPolicy,
  withRetryPolicy,
} from './retry-policy';
export {
  CtiCallEventPayload,
  CtiClickToCallPayload,
  EndpointSyncPayload,
  FlowStep,
  GetRunProgress,
  GetRunResult,
  IntegrationRunPayload,
  Nullable,
  PingPayload,
  PingResult,
  TenantRef,
  WebhookDeliverPayload,
} from './schemas';
export { JobPayloadError, validatePayload } from './validate';
