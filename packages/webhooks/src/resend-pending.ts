import { randomUUID } from 'node:crypto';
import type { JobProducer } from '@integrador/queue';
import type { Database } from '@integrador/store';
import type { Kysely } from 'kysely';
import { type Entrega, loadEntrega } from './deliveries.repository';
import { enqueueOwnJob } from './orphan-sweep';

// An operator's resend of a pending delivery. The delivery's own job (ownJobId) is the only job that sends it while it
// is pending, so two attempts of it never run at once: the resend writes into that job the number of its next attempt
// (tentativaManual), which the job reads when it is taken and records `manual`, and runs it now (its retry schedule is
// kept). A job already `active` when the resend comes began its run without that number: its attempt in flight (its
// POST may be out) stays `automatica`, as it began before the request, and the resend is honoured by one more attempt
// right after it — a hand-over job (`reenvio` in webhook.deliver's payload) checks again once the attempt is recorded
// and hands the resend over then. So every resend gets one `manual` attempt that begins after it, never concurrent with
// another attempt of the delivery, and no resend is lost to an attempt in flight.

/** How long a hand-over waits between its checks while the delivery's attempt is in flight (a POST: up to WEBHOOK_TIMEOUT_MS). */
export const HAND_OVER_CHECK_MS = 1000;

/**
 * One try at handing a resend to the pending delivery's own job: its next attempt (`entrega.tentativas + 1`, as read
 * before) marked `manual` and run now. `busy` when the job was taken before the mark could reach its run: it was
 * active, or, read again after the mark (its state first, then the row), it is active or has recorded an attempt since
 * `entrega` was read — the attempt it runs or ran may not be the marked one. Not busy: the job's next run begins after
 * the mark, so its attempt is the operator's.
 */
export async function handPendingResend(
  db: Kysely<Database>,
  producer: JobProducer,
  entrega: Entrega,
): Promise<{ jobId: string; busy: boolean }> {
  const own = await enqueueOwnJob(producer, entrega, { runNow: true, tentativaManual: entrega.tentativas + 1 });
  if (own.state === 'active') return { jobId: own.jobId, busy: true };
  // In this order: a run that began before the mark and is over by the state's read has recorded its attempt by then.
  const after = await producer.getJobWithState('webhook', own.jobId);
  const row = await loadEntrega(db, entrega.empresa_id, entrega.id);
  const busy = after?.state === 'active' || row?.status !== 'pendente' || row.tentativas !== entrega.tentativas;
  return { jobId: own.jobId, busy };
}

/**
 * The hand-over job of a resend that found the delivery's attempt in flight: it runs after HAND_OVER_CHECK_MS and
 * honours the resend once that attempt is recorded (delivery-job.ts) — unless an attempt numbered `tentativa` or
 * later was recorded `manual` by then.
 */
export async function enqueueHandOver(producer: JobProducer, entrega: Entrega, tentativa: number): Promise<void> {
  await producer.enqueue(
    'webhook',
    'webhook.deliver',
    {
      tenant: { empresaId: entrega.empresa_id, filialId: null },
      entregaId: entrega.id,
      endpointId: entrega.endpoint_id,
      reenvio: tentativa,
    },
    { jobId: `whm-${entrega.id}-${randomUUID().replaceAll('-', '')}`, delay: HAND_OVER_CHECK_MS },
  );
}
