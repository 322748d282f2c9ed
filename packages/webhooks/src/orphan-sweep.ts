import type { Logger } from '@integrador/logging';
import type { JobProducer } from '@integrador/queue';
import type { Database } from '@integrador/store';
import type { Kysely } from 'kysely';
import { isoTimestamp } from './deliveries.repository';
import { deliveryJobId } from './publish-change';

// A delivery row is `pendente` while a job owns it. A Redis restored from an older snapshot (or a CRM database restored
// to before a delivery finished) leaves rows pending that no job will ever take: nothing else would find them. The
// sweep gives each such row its owning job again, under that job's own id, so it is idempotent: a row whose job is
// still live is left alone, two sweeps add one job (BullMQ keeps one job per id), and the delivery keeps its
// webhook-id (the message's), so a receiver that got it before a DB restore deduplicates the second send.

/** How old a pending row's last change must be before the sweep judges it: the publish adds the job right after the row. */
export const ORPHAN_MIN_AGE_MS = 10 * 60_000;

/** Pending rows read per sweep (lowest ids first); the next sweep takes the rest. */
const SWEEP_BATCH = 2000;

/** A job still to run (waiting, delayed, prioritized, active…): it will settle the row itself. */
const SETTLED_STATES: ReadonlySet<string> = new Set(['completed', 'failed', 'unknown']);

export interface OrphanSweepResult {
  /** Pending rows old enough to judge. */
  checked: number;
  /** Their delivery ids re-enqueued (no live job owned them). */
  requeued: number[];
}

/**
 * Re-enqueues the `pendente` deliveries older than `minAgeMs` that no live job owns: a recovered row's job is its
 * recover's (`whv-<entrega>-<recuperacao>`, which deliverOnce requires the row to name), any other's the publish's
 * (`whd-<mensagem>-<endpoint>`). A settled job under that id (a Redis snapshot newer than the database) is removed
 * first, or the add would be a no-op. `empresaId` binds the sweep to one tenant (the CLI's --empresa); each job
 * carries its row's own tenant.
 */
export async function requeueOrphanedDeliveries(
  db: Kysely<Database>,
  producer: JobProducer,
  options: { empresaId?: number | undefined; minAgeMs?: number; now?: Date } = {},
): Promise<OrphanSweepResult> {
  const before = (options.now ?? new Date()).getTime() - (options.minAgeMs ?? ORPHAN_MIN_AGE_MS);
  let query = db
    .selectFrom('webhook_entregas')
    .select(['id', 'empresa_id', 'endpoint_id', 'mensagem_id', 'recuperacao', 'atualizado_em'])
    .where('status', '=', 'pendente')
    .orderBy('id')
    .limit(SWEEP_BATCH);
  if (options.empresaId !== undefined) query = query.where('empresa_id', '=', options.empresaId);
  // The age is judged here, not in SQL: SQLite holds the column as CURRENT_TIMESTAMP text or ISO text, which do not compare.
  const rows = (await query.execute()).filter((row) => Date.parse(isoTimestamp(row.atualizado_em as Date | string) ?? '') < before);
  const requeued: number[] = [];
  for (const row of rows) {
    const entregaId = Number(row.id);
    const jobId = row.recuperacao ? `whv-${entregaId}-${row.recuperacao}` : deliveryJobId(Number(row.mensagem_id), row.endpoint_id);
    const found = await producer.getJobWithState('webhook', jobId);
    if (found && !SETTLED_STATES.has(found.state)) continue;
    if (found) await producer.read(`remove job ${jobId}`, () => found.job.remove());
    await producer.enqueue(
      'webhook',
      'webhook.deliver',
      {
        tenant: { empresaId: row.empresa_id, filialId: null },
        entregaId,
        endpointId: row.endpoint_id,
        ...(row.recuperacao ? { recuperacao: row.recuperacao } : {}),
      },
      { jobId },
    );
    requeued.push(entregaId);
  }
  return { checked: rows.length, requeued };
}

/** How often worker-webhook sweeps (every replica: the sweep is idempotent). */
export const ORPHAN_SWEEP_INTERVAL_MS = 5 * 60_000;

/**
 * Sweeps every ORPHAN_SWEEP_INTERVAL_MS (the first one a minute after start), logging what it re-enqueued; a sweep that
 * fails (Redis or the database away) is logged and tried again next time. stop() waits for a sweep under way.
 */
export function startOrphanSweep(db: Kysely<Database>, producer: JobProducer, logger: Logger): { stop(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  const run = () => {
    running = requeueOrphanedDeliveries(db, producer).then(
      ({ requeued }) => {
        if (requeued.length) logger.warn({ entregas: requeued }, 'pending webhook deliveries without a job re-enqueued');
      },
      (err: unknown) => logger.warn({ reason: (err as Error).message }, 'webhook orphan sweep failed; retried at the next interval'),
    );
  };
  const first = setTimeout(run, 60_000).unref();
  const timer = setInterval(run, ORPHAN_SWEEP_INTERVAL_MS).unref();
  return {
    async stop() {
      clearTimeout(first);
      clearInterval(timer);
      await running;
    },
  };
}
