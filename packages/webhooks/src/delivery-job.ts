import { WEBHOOK_DELIVERED_NO_RETRY, WEBHOOK_ENDPOINT_DELETED_NO_RETRY, WEBHOOK_ENDPOINT_DISABLED_NO_RETRY } from '@integrador/jobs';
import type { JobProducer } from '@integrador/queue';
import type { Database } from '@integrador/store';
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import type { Kysely } from 'kysely';
import { type DeliveryDeps, type DeliveryOutcome, deliverOnce } from './deliver';
import { type Entrega, type EntregaRetryState, entregaRetryStates, hasManualAttemptFrom, loadEntrega } from './deliveries.repository';
import { WebhookError } from './errors';
import type { DeliveryFailureCode } from './failure-codes';
import { HAND_OVER_CHECK_MS, handPendingResend } from './resend-pending';
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
  /** A resend's hand-over (resend-pending.ts): the attempt the resend asked for, honoured once none is in flight. */
  reenvio?: number | undefined;
};

/**
 * An operator's retry of a failed delivery job (the failures page, alone or in bulk; `job retry`; the jobs API) whose
 * delivery was given up (`falhou`), or cancelled since because its endpoint was disabled (`cancelada`: a resend whose
 * job found the endpoint disabled): the delivery is resent as the Webhooks page's resend does (resendDelivery: one
 * manual attempt, claimed so that a concurrent recover or resend does not send it too; a cancelled one only when its
 * endpoint was disabled, not deleted — what a recover sends), and this job ends. A delivery delivered since (a resend,
 * a recover) is not sent again: the job ends having done nothing (the retry itself is refused: deliveryRetryRefusal).
 * Undefined when this run is not such a retry (the job goes on as usual).
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
  if (entrega.status !== 'falhou' && entrega.status !== 'cancelada') return { kind: 'skipped', reason: 'already_done' };
  return resendNow(deps.db, deps.producer, empresaId, entrega);
}

/** The resend is honoured by what the delivery's own job does next, or by a resend of it (claimed) once it is over. */
const RESENT: DeliveryOutcome = { kind: 'skipped', reason: 'resent' };

/** Resends a delivery that is no longer pending as the Webhooks page does (resendDelivery: claimed, one manual attempt). */
async function resendNow(
  db: DeliveryDeps['db'],
  producer: JobProducer,
  empresaId: number,
  entrega: Pick<Entrega, 'id' | 'endpoint_id'>,
): Promise<DeliveryOutcome> {
  try {
    await resendDelivery(db, producer, { empresaId, filialId: null }, entrega.endpoint_id, entrega.id);
  } catch (err) {
    // A disabled (409) or deleted (404) endpoint sends nothing: the operator re-enables it and recovers.
    if (err instanceof WebhookError && (err.status === 409 || err.status === 404)) return { kind: 'skipped', reason: 'endpoint_inactive' };
    throw err;
  }
  return RESENT;
}

/**
 * A resend's hand-over job (`reenvio`: the resend found the pending delivery's own job mid-attempt): nothing once an
 * attempt numbered `reenvio` or later was recorded `manual` (the resend reached the job's next run after all); while
 * the delivery is pending, hands the resend to its own job (handPendingResend), waiting while that job is busy with
 * an attempt; once the attempt in flight ended it (delivered or given up), resends it as the Webhooks page does.
 */
async function handOverResend(deps: DeliveryDeps, payload: DeliverPayload & { reenvio: number }): Promise<DeliveryOutcome> {
  const { db, producer } = deps;
  const { empresaId } = payload.tenant;
  const entrega = await loadEntrega(db, empresaId, payload.entregaId);
  if (!entrega || !producer) return { kind: 'skipped', reason: 'not_found' };
  if (await hasManualAttemptFrom(db, empresaId, entrega.id, payload.reenvio)) return RESENT;
  if (entrega.status !== 'pendente') return resendNow(db, producer, empresaId, entrega);
  const { busy } = await handPendingResend(db, producer, entrega);
  return busy ? { kind: 'wait', untilMs: Date.now() + HAND_OVER_CHECK_MS, reason: 'attempt' } : RESENT;
}

/**
 * Why an operator's retry of a delivery job is refused, from its delivery's state: delivered since (a resend, a
 * recover): nothing to send again (WEBHOOK_DELIVERED_NO_RETRY); given up (`falhou`, `cancelada`) while its endpoint is
 * disabled: the operator re-enables it and recovers (WEBHOOK_ENDPOINT_DISABLED_NO_RETRY), or deleted: nothing would
 * ever be sent (WEBHOOK_ENDPOINT_DELETED_NO_RETRY). Undefined: retried as usual.
 */
function refusalOf(state: Pick<EntregaRetryState, 'status' | 'endpointAtivo'>): string | undefined {
  if (state.status === 'entregue') return WEBHOOK_DELIVERED_NO_RETRY;
  if (state.status !== 'falhou' && state.status !== 'cancelada') return undefined;
  if (state.endpointAtivo === null) return WEBHOOK_ENDPOINT_DELETED_NO_RETRY;
  return state.endpointAtivo ? undefined : WEBHOOK_ENDPOINT_DISABLED_NO_RETRY;
}

/** A webhook.deliver job's tenant and delivery, when its payload names them. */
function deliveryOf(job: Pick<Job, 'queueName' | 'name' | 'data'>): { empresaId: number; entregaId: number } | undefined {
  if (job.queueName !== 'webhook' || job.name !== 'webhook.deliver') return undefined;
  const { tenant, entregaId } = job.data as Partial<DeliverPayload>;
  if (typeof tenant?.empresaId !== 'number' || typeof entregaId !== 'number') return undefined;
  return { empresaId: tenant.empresaId, entregaId };
}

/**
 * The refusal of an operator's retry (retryFailedJob's RetryRefusal: the API, the CLI, the dashboard) of a failed
 * delivery job (refusalOf). Any other job, or a delivery in another state, is retried as usual.
 */
export function deliveryRetryRefusal(db: Kysely<Database>): (job: Pick<Job, 'queueName' | 'name' | 'data'>) => Promise<string | undefined> {
  return async (job) => {
    const delivery = deliveryOf(job);
    if (!delivery) return undefined;
    const [state] = await entregaRetryStates(db, [delivery]);
    return state && refusalOf(state);
  };
}

/**
 * deliveryRetryRefusal of many deliveries at once (a bulk retry's count), by "empresa/entregaId": only the refused ones,
 * each delivery read within its own empresa.
 */
export async function deliveryRetryRefusals(
  db: Kysely<Database>,
  deliveries: ReadonlyArray<{ empresaId: number; entregaId: number }>,
): Promise<Map<string, string>> {
  const refused = new Map<string, string>();
  for (let i = 0; i < deliveries.length; i += 500) {
    for (const state of await entregaRetryStates(db, deliveries.slice(i, i + 500))) {
      const refusal = refusalOf(state);
      if (refusal) refused.set(`${state.empresaId}/${state.id}`, refusal);
    }
  }
  return refused;
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
    (payload.reenvio === undefined ? undefined : await handOverResend(deps, { ...payload, reenvio: payload.reenvio })) ??
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
