import type { JobProducer } from '@integrador/queue';
import type { Database } from '@integrador/store';
import type { Kysely } from 'kysely';
import { loadEntrega, type ResendableEntrega, restartEntrega } from './deliveries.repository';

/**
 * How long a recover's job waits before it may run unless promoted: it is added held, its row restarted, then promoted.
 * Only a job whose promotion failed (Redis gone for a moment) waits this long; then it still runs.
 */
export const RECOVER_HOLD_MS = 60_000;

/**
 * Sends one failed or disable-cancelled delivery again with a fresh retry schedule, under `recoverId` (a recover, or a
 * change published again after its endpoint was re-enabled). In an order that no failure leaves the row pending
 * without a job: its job is added first, held (RECOVER_HOLD_MS); then the row is restarted only if it is still failed
 * or disable-cancelled (a resend may have delivered it meanwhile; if not, the job is removed); then the job is promoted
 * to run now. A database that fails on the restart leaves the held job unless the row, read back, is not pending:
 * held, it sends a row whose restart did commit, and does nothing on one that was not restarted. A failed promotion
 * leaves the job held: it runs when the hold ends. Answers whether the row was restarted.
 * `manual` (an operator's resend, resendDelivery): the job makes one attempt, recorded `manual`, with no retries after
 * it; the row is claimed the same way, so a recover and a resend of the same delivery restart it once between them.
 */
export async function resendEntrega(
  db: Kysely<Database>,
  producer: JobProducer,
  empresaId: number,
  endpointId: number,
  entrega: ResendableEntrega,
  recoverId: string,
  options: { manual?: boolean } = {},
): Promise<boolean> {
  const job = await producer.enqueue(
    'webhook',
    'webhook.deliver',
    {
      tenant: { empresaId, filialId: null },
      entregaId: entrega.id,
      endpointId,
      recuperacao: recoverId,
      ...(options.manual ? { manual: true } : {}),
    },
    { jobId: `whv-${entrega.id}-${recoverId}`, delay: RECOVER_HOLD_MS },
  );
  // Not restarted: the held job goes (one Redis failed to remove finds its row not pending when it runs).
  const drop = () => producer.read(`remove job ${job.id}`, () => job.remove()).catch(() => undefined);
  let restarted: boolean;
  try {
    restarted = await restartEntrega(db, empresaId, entrega, recoverId);
  } catch (err) {
    // The restart may have committed before the database failed: the job goes only if its row, read back, is not
    // pending. Unread, it stays held, and then runs on a restarted row or does nothing on one that was not.
    const row = await loadEntrega(db, empresaId, entrega.id).catch(() => 'unread' as const);
    if (row !== 'unread' && row?.status !== 'pendente') await drop();
    throw err;
  }
  if (!restarted) {
    await drop();
    return false;
  }
  // Restarted: the job runs now. One Redis failed to promote runs when its hold ends.
  await producer.read(`promote job ${job.id}`, () => job.promote()).catch(() => undefined);
  return true;
}
