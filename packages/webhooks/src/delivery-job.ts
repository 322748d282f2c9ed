import { WEBHOOK_DELIVERED_NO_RETRY } from '@integrador/jobs';
import type { Database } from '@integrador/store';
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import type { Kysely } from 'kysely';
import { type DeliveryDeps, type DeliveryOutcome, deliverOnce } from './deliver';
import { loadEntrega } from './deliveries.repository';
import { WebhookError } from './errors';
import type { DeliveryFailureCode } from './failure-codes';
import { resendDelivery } from './webhooks.service';

type DeliverPayload = {
  tenant: { empresaId: number };
  entregaId: number;
  endpointId?: number | undefined;
  manual?: boolean | undefined;
  /** A recover's job: the recover's id, which the row must name for the job to run. */
  recuperacao?: string | undefined;
  /** The attempt a resend of the pending delivery asked for: recorded `manual`. */
  tentativaManual?: number | undefined;
};

/**
 * An operator's retry of a failed delivery job (the failures page, alone or in bulk; `job retry`; the jobs API) whose
 * delivery was given up (`falhou`): the delivery is resent as the Webhooks page's resend does (resendDelivery: one
 * manual attempt, claimed so that a concurrent recover or resend does not send it too), and this job ends. A delivery
 * delivered since (a resend, a recover) or cancelled is not sent again: the job ends having done nothing (the retry
 * itself is refused for a delivered one: deliveryRetryRefusal). Undefined when this run is not such a retry (the job
 * goes on as usual).
 */
async function resentByOperator(
  deps: DeliveryDeps,
  payload: DeliverPayload,
  operatorRetries: number,
): Promise<DeliveryOutcome | undefined> {
  if (!deps.producer || operatorRetries === 0) return undefined;
  const { empresaId } = payload.tenant;
  const entrega = await deps.store.load(empresaId, payload.entregaId);
  if (!entrega || entrega.status === 'pendente') return undefined;
  if (entrega.status !== 'falhou') return { kind: 'skipped', reason: 'already_done' };
  try {
    await resendDelivery(deps.db, deps.producer, { empresaId, filialId: null }, entrega.endpoint_id, entrega.id);
  } catch (err) {
    // A disabled (409) or deleted (404) endpoint sends nothing: the operator re-enables it and recovers.
    if (err instanceof WebhookError && (err.status === 409 || err.status === 404)) return { kind: 'skipped', reason: 'endpoint_inactive' };
    throw err;
  }
  return { kind: 'skipped', reason: 'resent' };
}

/**
 * The refusal of an operator's retry (retryFailedJob's RetryRefusal: the API, the CLI, the dashboard) of a failed
 * delivery job whose delivery was delivered since (a resend, a recover): nothing is sent again, and the retry says so
 * (WEBHOOK_DELIVERED_NO_RETRY). Any other job, or a delivery in another state, is retried as usual.
 */
export function deliveryRetryRefusal(db: Kysely<Database>): (job: Pick<Job, 'queueName' | 'name' | 'data'>) => Promise<string | undefined> {
  return async (job) => {
    if (job.queueName !== 'webhook' || job.name !== 'webhook.deliver') return undefined;
    const { tenant, entregaId } = job.data as Partial<DeliverPayload>;
    if (typeof tenant?.empresaId !== 'number' || typeof entregaId !== 'number') return undefined;
    const entrega = await loadEntrega(db, tenant.empresaId, entregaId);
    return entrega?.status === 'entregue' ? WEBHOOK_DELIVERED_NO_RETRY : undefined;
  };
}

/**
 * Runs one webhook.deliver job: waits (flow control) and retries (the schedule) become moveToDelayed + DelayedError —
 * BullMQ's attempts are left for the worker's own failures — and a final failure an UnrecoverableError.
 */
export async function runDeliveryJob(
  deps: DeliveryDeps,
  payload: DeliverPayload,
  job: Job,
  token: string | undefined,
  // How many times an operator retried this job (the queue worker's JobContext.operatorRetries).
  operatorRetries = 0,
) {
  const outcome =
    (await resentByOperator(deps, payload, operatorRetries)) ??
    (await deliverOnce(
      deps,
      payload.tenant.empresaId,
      payload.entregaId,
      payload.manual ?? false,
      payload.endpointId,
      payload.recuperacao,
      payload.tentativaManual,
    ));
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
