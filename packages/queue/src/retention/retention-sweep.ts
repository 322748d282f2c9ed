import { randomUUID } from 'node:crypto';
import type { Logger } from '@integrador/logging';
import { type PurgeHistoryOptions, purgeHistory } from './purge-history';

/**
 * The fleet's purge lock: whoever holds it purges; it outlives the purge until just before the interval since the purge
 * began is over, so the fleet purges once per interval: the next one is whichever worker's tick comes first then.
 */
export function retentionLockKey(prefix: string): string {
  return `${prefix}:retention:lock`;
}

// Extends the lock only while it is still this runner's (a runner that lost it stops at its next batch).
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
// Leaves the lock, still this runner's, to expire in ARGV[2] ms (now when that is not in the future).
const SETTLE = `if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
if tonumber(ARGV[2]) > 0 then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return redis.call('del', KEYS[1])`;

/** How long before the next interval the lock ends: a tick (Node's timers fire late, never much early) finds it gone. */
function settleMarginMs(intervalMs: number): number {
  return Math.min(1000, Math.floor(intervalMs / 10));
}

export type RetentionSweepOptions = Omit<PurgeHistoryOptions, 'dryRun' | 'empresaId' | 'shouldStop' | 'logger'> & {
  intervalMs: number;
  logger: Logger;
};

/**
 * Every `intervalMs`, one worker of the fleet (whichever takes the Redis lock; every worker app runs this) purges the
 * history past its retention. The lock is renewed between batches, so a long purge is never run twice at once; at the
 * end it is left to expire just before `intervalMs` since the purge began (at once if the purge took longer), so the
 * next tick, this worker's or another's, runs the next purge.
 */
export function startRetentionSweep(options: RetentionSweepOptions): { stop(): Promise<void> } {
  const { redis, prefix, intervalMs, logger } = options;
  const key = retentionLockKey(prefix);
  let stopping = false;
  let running: Promise<void> | undefined;
  const sweep = async () => {
    const token = randomUUID();
    const started = Date.now();
    try {
      if ((await redis.set(key, token, 'PX', intervalMs, 'NX')) === null) return;
    } catch (err) {
      logger.warn({ err }, 'retention sweep failed');
      return;
    }
    try {
      const shouldStop = async () => stopping || Number(await redis.eval(RENEW, 1, key, token, String(intervalMs))) !== 1;
      const report = await purgeHistory({ ...options, logger, shouldStop });
      const removed = Object.values(report.removed).reduce((sum, rows) => sum + rows, 0);
      if (removed > 0 || report.stopped)
        logger.info({ removed: report.removed, keptForJobs: report.keptForJobs, stopped: report.stopped }, 'retention sweep');
    } catch (err) {
      logger.warn({ err }, 'retention sweep failed');
    }
    try {
      const rest = started + intervalMs - settleMarginMs(intervalMs) - Date.now();
      await redis.eval(SETTLE, 1, key, token, String(Math.floor(rest)));
    } catch (err) {
      // The lock then expires an interval after its last renewal: the next purge waits one tick more.
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
