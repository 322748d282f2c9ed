import type { Logger } from '@integrador/logging';
import type { Redis } from 'ioredis';
import { QueueUnavailableError, RedisConfigurationError } from './errors';
import { assertRedisSafe } from './redis';

/**
 * Watches a producer connection: on every (re)connection it checks that the server cannot lose jobs
 * (noeviction, ≥ 6.2). While the check has not passed, producers refuse work with a clear reason.
 */
export class RedisGuard {
  private problem: RedisConfigurationError | undefined;
  private checked = false;

  constructor(
    private readonly redis: Redis,
    private readonly logger: Logger,
  ) {
    redis.on('ready', () => void this.check());
    if (redis.status === 'ready') void this.check();
  }

  /** Runs the check now (also used by tests and at start); resolves to the problem, if any. */
  async check(): Promise<RedisConfigurationError | undefined> {
    try {
      await assertRedisSafe(this.redis);
      this.problem = undefined;
      this.checked = true;
    } catch (err) {
      if (err instanceof RedisConfigurationError) {
        this.problem = err;
        this.checked = true;
        this.logger.fatal({ code: err.code }, err.message);
      }
    }
    return this.problem;
  }

  /**
   * The same verdict without waiting, when it is already known: true (usable), or throws as ensureUsable does; false
   * while this connection's check has not run yet (then await ensureUsable). The per-request path of the producers:
   * no promise when nothing needs awaiting.
   */
  usableNow(): boolean {
    if (this.redis.status !== 'ready') {
      throw new QueueUnavailableError(`Redis is unavailable (connection ${this.redis.status}); try again shortly`);
    }
    if (!this.checked) return false;
    if (this.problem) throw this.problem;
    return true;
  }

  /** Throws when the connection is not ready, or ready but on a Redis that could lose jobs (checked once per connection). */
  async ensureUsable(): Promise<void> {
    if (this.usableNow()) return;
    await this.check();
    if (this.problem) throw this.problem;
  }
}
