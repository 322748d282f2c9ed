import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import { type DeliveryDeps, deliverOnce } from './deliver';

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
  if (outcome.kind === 'wait' || outcome.kind === 'retry') {
    await job.moveToDelayed(outcome.untilMs, token);
    throw new DelayedError(outcome.kind === 'wait' ? `waiting: ${outcome.reason}` : `retry after attempt ${outcome.attempt}`);
  }
  if (outcome.kind === 'failed') throw new DeliveryFailedError(outcome.reason);
  return outcome;
}

/** A delivery given up (the receiver refused it, its attempts ran out, its endpoint was disabled): final, with the code the job's record keeps. */
class DeliveryFailedError extends UnrecoverableError {
  readonly code = 'WEBHOOK_DELIVERY_FAILED';
}
