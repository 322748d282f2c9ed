import type { Redis } from 'ioredis';

/** A MONITOR connection beside a test's or bench's own, in monitoring mode. */
export interface RedisMonitor {
  /** The connection: listen to its 'monitor' event; disconnect() when done. */
  readonly connection: Redis;
  /** The lines MONITOR sent before ioredis switched the connection to monitoring (not seen by 'monitor' listeners). */
  lost(): number;
}

// ioredis reports such a line as this error: it came before the connection was known to be monitoring.
const QUEUE_STATE_ERROR = /^Command queue state error/;

/**
 * Opens MONITOR on a duplicate of `redis`, its 'error' listener attached before it connects. Not redis.monitor(): on a
 * busy Redis the first lines come in the same read as MONITOR's OK, before ioredis switches the connection to
 * monitoring, and each is emitted as an error no listener can be attached for in time (the process crashed). Those
 * lines are counted as lost; any other error goes to `onError`. Rejects if monitoring has not begun within `timeoutMs`.
 */
export async function openRedisMonitor(
  redis: Redis,
  options: { timeoutMs?: number; onError?: (err: Error) => void } = {},
): Promise<RedisMonitor> {
  const { timeoutMs = 10000, onError } = options;
  const connection = redis.duplicate({ monitor: true, lazyConnect: false });
  let lost = 0;
  connection.on('error', (err: Error) => {
    if (QUEUE_STATE_ERROR.test(err.message)) lost += 1;
    else onError?.(err);
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      connection.once('monitoring', () => resolve());
      timer = setTimeout(() => reject(new Error(`MONITOR did not begin within ${timeoutMs} ms`)), timeoutMs);
    });
  } catch (err) {
    connection.disconnect();
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return { connection, lost: () => lost };
}
