import type { QueueName } from '@integrador/jobs';
import type { JobProducer } from '@integrador/queue';
import type { Cli } from '../cli-context';
import { printError } from '../cli-context';

/** How long --wait lets a job wait before it checks whether any worker serves the queue. */
export const NO_WORKER_HINT_MS = 3000;

/** States in which a job waits for a worker to take it (not yet running, not settled). */
const WAITING = new Set(['waiting', 'prioritized', 'waiting-children', 'delayed']);

/**
 * While `run --wait` follows a job: once it has waited NO_WORKER_HINT_MS for a worker, says on stderr (once) which of
 * its queues no worker serves (BullMQ's getWorkersCount) — the fleet may be down, or run under another KEY_PREFIX (named)
 * — and keeps waiting, since a worker
 * may still start. A Redis that refuses CLIENT LIST (some managed ones) gives no hint.
 */
export function noWorkerWatch(cli: Cli, producer: JobProducer, queues: readonly QueueName[], hintAfterMs = NO_WORKER_HINT_MS) {
  const since = Date.now();
  let done = false;
  return async (state: string): Promise<void> => {
    if (done || !WAITING.has(state) || Date.now() - since < hintAfterMs) return;
    done = true;
    for (const queue of new Set(queues)) {
      const count = await producer
        .queue(queue)
        .getWorkersCount()
        .catch(() => undefined);
      if (count === 0) printError(cli.text.noWorker(queue, producer.prefix));
    }
  };
}
