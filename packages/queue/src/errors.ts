/** Redis cannot take the request now (down, reconnecting or too slow); the ingress answers 503. */
export class QueueUnavailableError extends Error {
  override name = 'QueueUnavailableError';
  readonly code = 'QUEUE_UNAVAILABLE';
}

/** Redis is reachable but configured so that jobs could be lost (eviction policy, old version). */
export class RedisConfigurationError extends Error {
  override name = 'RedisConfigurationError';
  readonly code = 'REDIS_MISCONFIGURED';
}
