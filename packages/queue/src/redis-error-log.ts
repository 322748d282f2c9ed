import type { Logger } from '@integrador/logging';
import type { Redis } from 'ioredis';

/**
 * How long the same Redis error stays quiet after its line. A down Redis fails every connection's reconnect (up to every
 * 2 s each) and every BullMQ queue and worker on a connection repeats the error: a line per event would bury the log.
 */
export const REDIS_ERROR_QUIET_MS = 30_000;

/** Distinct errors remembered at most (a flood of messages that differ, e.g. by job id, cannot grow the map forever). */
const MAX_REMEMBERED = 500;

/** A pino logger, or Fastify's view of one (`app.log`). */
export type ErrorLogger = Pick<Logger, 'warn' | 'error'>;

/**
 * The process's Redis error lines, rate-limited: an error whose message was logged less than `quietMs` ago is counted
 * instead, and the next line of that message says how many were not shown (`repeated`). Process-wide on purpose: one
 * down Redis is one event for every connection, queue and worker of a process, however many report it.
 */
export class RedisErrorLog {
  private readonly seen = new Map<string, { quietUntil: number; repeated: number }>();

  constructor(
    private readonly quietMs = REDIS_ERROR_QUIET_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Logs `err` (secrets are the logger's to redact) unless the same message was logged within the quiet time. */
  report(logger: ErrorLogger, err: Error, context: Record<string, unknown>, msg: string, level: 'warn' | 'error' = 'warn'): void {
    const key = `${err.name}: ${err.message}`;
    const at = this.now();
    const entry = this.seen.get(key);
    if (entry && at < entry.quietUntil) {
      entry.repeated++;
      return;
    }
    logger[level]({ ...context, err, ...(entry?.repeated ? { repeated: entry.repeated } : {}) }, msg);
    this.seen.delete(key);
    this.seen.set(key, { quietUntil: at + this.quietMs, repeated: 0 });
    if (this.seen.size > MAX_REMEMBERED) this.forget(at);
  }

  /** Drops the entries whose quiet time is over, or the oldest when none is (Map keeps insertion order). */
  private forget(at: number): void {
    for (const [key, entry] of this.seen) if (entry.quietUntil <= at) this.seen.delete(key);
    if (this.seen.size > MAX_REMEMBERED) this.seen.delete(this.seen.keys().next().value as string);
  }
}

/** The one RedisErrorLog of this process. */
export const redisErrors = new RedisErrorLog();

/**
 * Sends every error of an ioredis connection to pino, rate-limited (redisErrors), and does the same for each of its
 * duplicates. ioredis prints an error no listener takes as a raw "[ioredis] Unhandled error event" line on stderr, which
 * breaks the JSON log; BullMQ listens on the duplicates it makes (a worker's blocking connection) only while the worker is
 * open, and a duplicate made elsewhere starts with no listener at all: this listener stays for the connection's life.
 */
export function logRedisErrors(redis: Redis, logger: ErrorLogger, connection: string | undefined): Redis {
  redis.on('error', (err: Error) => redisErrors.report(logger, err, { connection }, 'redis connection error'));
  const duplicate = redis.duplicate.bind(redis) as (...args: unknown[]) => Redis;
  redis.duplicate = ((...args: unknown[]) => logRedisErrors(duplicate(...args), logger, connection)) as Redis['duplicate'];
  return redis;
}
