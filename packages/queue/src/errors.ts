/** Redis cannot take the request now (down, reconnecting or too slow); the ingress answers 503. */
export class QueueUnavailableError extends Error {
  override name = 'QueueUnavailableError';
  readonly code: string = 'QUEUE_UNAVAILABLE';
}

/** Redis is reachable but configured so that jobs could be lost (eviction policy, old version). */
export class RedisConfigurationError extends Error {
  override name = 'RedisConfigurationError';
  readonly code = 'REDIS_MISCONFIGURED';
}

/**
 * The add reached Redis but no answer came back in time (Redis frozen, connection cut mid-command): the job may or may
 * not exist. Only a retry with the same idempotency key is safe — it answers the job if it was created, else adds it.
 */
export class EnqueueOutcomeUnknownError extends QueueUnavailableError {
  override name = 'EnqueueOutcomeUnknownError';
  override readonly code: string = 'ENQUEUE_OUTCOME_UNKNOWN';
}

/**
 * Redis answered but refused the write: a replica after a failover (READONLY, MASTERDOWN), too few replicas
 * (NOREPLICAS), a failed snapshot (MISCONF), a script running (BUSY), a slot moving (TRYAGAIN). Each refuses every
 * write of the command or script, so nothing of a refused add was written: nothing was enqueued, retry later.
 */
export class RedisWriteRefusedError extends QueueUnavailableError {
  override name = 'RedisWriteRefusedError';
}

/**
 * Redis refused the write because it is at maxmemory (noeviction: it refuses rather than drops jobs). Redis checks that
 * before a script starts, so nothing of the refused add was written: nothing was enqueued, retry later.
 */
export class RedisFullError extends RedisWriteRefusedError {
  override name = 'RedisFullError';
}
