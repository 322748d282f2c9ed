import { randomUUID } from 'node:crypto';
import type { Logger } from '@integrador/logging';
import { type PurgeHistoryOptions, purgeHistory } from './purge-history';

/** The fleet's purge lock: whoever holds it purges; it outlives the purge so the next one waits a whole interval. */
export function retentionLockKey(prefix: string): string {
  return `${prefix}:retention:lock`;
}

// Extends the lock only while it is still this runner's (a runner that lost it stops at its next batch).
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

export type RetentionSweepOptions = Omit<PurgeHistoryOptions, 'dryRun' | 'empresaId' | 'shouldStop' | 'logger'> & {
  intervalMs: number;
  logger: Logger;
};

/**
 * Every `intervalMs`, one worker of the fleet (whichever takes the Redis lock; every worker app runs this) purges the
 * history past its retention. The lock is renewed between batches, so a long purge is never run twice at once.
 */
export function startRetentionSweep(options: RetentionSweepOptions): { stop(): Promise<void> } {
  const { redis, prefix, intervalMs, logger } = options;
  const key = retentionLockKey(prefix);
  let stopping = false;
  let running: Promise<void> | undefined;
  const sweep = async () => {
    const token = randomUUID();
    try {
      if ((await redis.set(key, token, 'PX', intervalMs, 'NX')) === null) return;
      const shouldStop = async () => stopping || Number(await redis.eval(RENEW, 1, key, token, String(intervalMs))) !== 1;
      const report = await purgeHistory({ ...options, logger, shouldStop });
      const removed = Object.values(report.removed).reduce((sum, rows) => sum + rows, 0);
      if (removed > 0 || report.stopped)
        logger.info({ removed: report.removed, keptForJobs: report.keptForJobs, stopped: report.stopped }, 'retention sweep');
    } catch (err) {
      logger.warn({ err }, 'retention sweep failed');
    }
  };
  const tick = () => {
    if (stopping || running) return;
    running = sweep().finally(() => {
      running = undefined;
    });
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  tick();
  return {
    async stop() {
      stopping = true;
      clearInterval(timer);
      await running;
    },
  };
}
