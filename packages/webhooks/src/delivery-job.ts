import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import { type DeliveryDeps, deliverOnce } from './deliver';
import type { DeliveryFailureCode } from './failure-codes';

/**
 * Runs one webhook.deliver job: waits (flow control) and retries (the schedule) become moveToDelayed + DelayedError —
 * BullMQ's attempts are left for the worker's own failures — and a final failure an UnrecoverableError.
 */
export async function runDeliveryJob(
  deps: DeliveryDeps,
  payload: {
    tenant: { empresaId: number };
    entregaId: number;
    endpointId?: number | undefined;
    manual?: boolean | undefined;
    /** A recover's job: the recover's id, which the row must name for the job to run. */
    recuperacao?: string | undefined;
  },
  job: Job,
  token: string | undefined,
) {
  const outcome = await deliverOnce(
    deps,
    payload.tenant.empresaId,
    payload.entregaId,
    payload.manual ?? false,
    payload.endpointId,
    payload.recuperacao,
  );
  // Counted for the operator (worker metrics) before the job is moved or failed.
  deps.events?.outcome(outcome);
  if (outcome.kind === 'wait') {
    await job.moveToDelayed(outcome.untilMs, token);
    throw new DelayedError(`waiting: ${outcome.reason}`);
  }
  if (outcome.kind === 'retry') {
    await job.moveToDelayed(outcome.untilMs, token);
    throw new DeliveryRetryWait(outcome.attempt, outcome.maxAttempts);
  }
  if (outcome.kind === 'failed') throw new DeliveryFailedError(outcome.reason, outcome.attempt, outcome.code, outcome.params);
  return outcome;
}

/**
 * A delivery waiting for its next attempt on the webhook schedule (not a limit's wait): the job recorder shows it as
 * waiting to retry, with the delivery's own attempt count (BullMQ's attempts only cover the worker's failures). Its
 * name stays DelayedError, which BullMQ and the queue worker recognise.
 */
class DeliveryRetryWait extends DelayedError {
  override name = 'DelayedError';
  readonly retryWait = true;
  constructor(
    readonly attemptsMade: number,
    readonly maxAttempts: number | undefined,
  ) {
    super(`retry after attempt ${attemptsMade}`);
  }
}

/**
 * A delivery given up (the receiver refused it, its attempts ran out, its endpoint was disabled): final, with the code
 * of its actual cause and the values that word it (HTTP status, attempts), which the job's record keeps.
 */
class DeliveryFailedError extends UnrecoverableError {
  constructor(
    message: string,
    /** The delivery's attempts when it was given up: the record's count (the last one made is the last there is). */
    readonly attemptsMade: number,
    readonly code: DeliveryFailureCode,
    readonly params: Record<string, string | number>,
  ) {
    super(message);
  }
}
