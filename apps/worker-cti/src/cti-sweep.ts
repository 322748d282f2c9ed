import { type CallEventDeps, catchUpPhoneIndex, expireOpenCalls } from '@integrador/cti';
import type { Logger } from '@integrador/logging';

/**
 * Every interval, one worker of the fleet (a Redis lock) indexes the phones the triggers noted — so a lookup after a
 * big import finds little left to do — and closes calls still ringing past CTI_RING_TIMEOUT_MS (when set) as "não atendida" and
 * calls open past CTI_CALL_TIMEOUT_MS as "sem fim recebido".
 */
export function startCtiSweep(deps: CallEventDeps, intervalMs: number, logger: Logger): { stop(): void } {
  const lockKey = `${deps.prefix}:cti:sweep-lock`;
  let running = false;
  const sweep = async () => {
    if (running) return;
    running = true;
    try {
      if ((await deps.redis.set(lockKey, String(process.pid), 'PX', intervalMs, 'NX')) === null) return;
      const indexed = await catchUpPhoneIndex(deps.db);
      const expired = await expireOpenCalls(deps);
      if (indexed || expired) logger.info({ indexed, expired }, 'cti sweep');
    } catch (err) {
      logger.warn({ err }, 'cti sweep failed');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void sweep(), intervalMs);
  void sweep();
  return { stop: () => clearInterval(timer) };
}
