import { DelayedError } from 'bullmq';

/** A job the worker moved to delayed on purpose with no reason of its own (BullMQ's bare DelayedError). */
export const JOB_DELAYED_CODE = 'JOB_DELAYED';
/** BullMQ's message of a DelayedError thrown without one: no reason a reader can use. */
const BULLMQ_DELAYED_MESSAGE = 'bullmq:movedToDelayed';

/**
 * BullMQ's DelayedError for a job moved to delayed on purpose (a paused tenant, another run holding the integration),
 * carrying why as a code the job's record keeps and the failure catalogue words: a wait, not a failure. Named
 * DelayedError, as BullMQ and the worker runner recognise it.
 */
export class DelayedReason extends DelayedError {
  constructor(
    readonly code: string,
    message: string,
    readonly params?: Record<string, string | number>,
  ) {
    super(message);
    this.name = 'DelayedError';
  }
}

/** The code and message a delay is recorded with: its own, else JOB_DELAYED with words instead of BullMQ's marker. */
export function delayReason(error: Error | undefined): { code: string | undefined; message: string } {
  const code = (error as { code?: unknown } | undefined)?.code;
  const message = error && error.message !== BULLMQ_DELAYED_MESSAGE ? error.message : 'moved to delayed without using an attempt';
  return { code: typeof code === 'string' ? code : JOB_DELAYED_CODE, message };
}
