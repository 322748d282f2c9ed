import type { Logger } from '@integrador/logging';
import { isConnectionError, type JobProducer, QueueUnavailableError, RedisConfigurationError } from '@integrador/queue';
import type { Database } from '@integrador/store';
import { type Kysely, SqliteAdapter, sql } from 'kysely';
import { deliveryJobId } from './publish-change';

// A delivery row is `pendente` while a job owns it. A Redis restored from an older snapshot (or a CRM database restored
// to before a delivery finished) leaves rows pending that no job will ever take: nothing else would find them. The
// sweep gives each such row its owning job again, under that job's own id, so it is idempotent: a row whose job is
// still live is left alone, two sweeps add one job (BullMQ keeps one job per id), and the delivery keeps its
// webhook-id (the message's), so a receiver that got it before a DB restore deduplicates the second send.

/** How old a pending row's last change must be before the sweep judges it: the publish adds the job right after the row. */
export const ORPHAN_MIN_AGE_MS = 10 * 60_000;

/** Old pending rows judged per call (by id, from `afterId`): a sweep's work is bounded; the next one goes on from there. */
const SWEEP_BATCH = 2000;

/** A job still to run (waiting, delayed, prioritized, active…): it will settle the row itself. */
const SETTLED_STATES: ReadonlySet<string> = new Set(['completed', 'failed', 'unknown']);

export interface OrphanSweepResult {
  /** Pending rows old enough to judge. */
  checked: number;
  /** Their delivery ids re-enqueued (no live job owned them). */
  requeued: number[];
  /**
   * Delivery ids left to the next sweep: their own job changed under this one (another replica's sweep or worker
   * removed, added or took it between the reads), so this sweep could not judge them.
   */
  skipped: number[];
  /** The id to go on after (the batch was full), or 0: the whole pending set was read, the next sweep starts over. */
  resumeAfter: number;
}

/** A pending delivery as far as its owning job goes. */
export interface PendingRow {
  id: number | string;
  empresa_id: number;
  endpoint_id: number;
  mensagem_id: number | string;
  recuperacao: string | null;
}

/**
 * The one job that owns a pending delivery, so every path that sends it (publish, recover, sweep, a resend) meets the
 * same id and BullMQ keeps one: its recover's (`whv-<entrega>-<recuperacao>`, which deliverOnce requires the row to
 * name), any other's the publish's (`whd-<mensagem>-<endpoint>`).
 */
export function ownJobId(row: PendingRow): string {
  return row.recuperacao ? `whv-${Number(row.id)}-${row.recuperacao}` : deliveryJobId(Number(row.mensagem_id), row.endpoint_id);
}

/**
 * Gives a pending delivery its owning job unless that job is still to run (then it settles the row itself; `runNow`
 * promotes a delayed one, a resend's "now"). A settled job under that id (a Redis snapshot newer than the database) is
 * removed first, or the add would be a no-op. Answers the job id, whether a job was added and, when one was live, the
 * state it was found in.
 * `tentativaManual` (a resend of a pending delivery): the job's attempt of that number is recorded `manual` — written
 * into a live job's data, which the job reads when it is taken (a job already `active` makes its attempt as it began
 * it, automatic: resend-pending.ts honours the resend after it).
 */
export async function enqueueOwnJob(
  producer: JobProducer,
  row: PendingRow,
  options: { runNow?: boolean; tentativaManual?: number } = {},
): Promise<{ jobId: string; added: boolean; state?: string }> {
  const jobId = ownJobId(row);
  const found = await producer.getJobWithState('webhook', jobId);
  const manual = options.tentativaManual === undefined ? {} : { tentativaManual: options.tentativaManual };
  if (found && !SETTLED_STATES.has(found.state)) {
    if (options.tentativaManual !== undefined)
      await producer.read(`mark job ${jobId}`, () => found.job.updateData({ ...(found.job.data as object), ...manual }));
    // Taken meanwhile (its own schedule, another resend), the promote is refused: the job runs anyway.
    if (options.runNow && found.state === 'delayed')
      await producer.read(`promote job ${jobId}`, () => found.job.promote()).catch(() => undefined);
    return { jobId, added: false, state: found.state };
  }
  if (found) await producer.read(`remove job ${jobId}`, () => found.job.remove());
  await producer.enqueue(
    'webhook',
    'webhook.deliver',
    {
      tenant: { empresaId: row.empresa_id, filialId: null },
      entregaId: Number(row.id),
      endpointId: row.endpoint_id,
      ...(row.recuperacao ? { recuperacao: row.recuperacao } : {}),
      ...manual,
    },
    { jobId },
  );
  return { jobId, added: true };
}

/**
 * True when Redis itself cannot take the sweep's calls — down, reconnecting, frozen or too slow (the producer's
 * deadline), refusing writes, or configured so that it could lose jobs — rather than one row's job changing under it:
 * every other row would meet the same, so the sweep stops there.
 */
export function isRedisUnusable(err: unknown): boolean {
  return err instanceof QueueUnavailableError || err instanceof RedisConfigurationError || isConnectionError(err);
}

/**
 * Re-enqueues the `pendente` deliveries older than `minAgeMs` that no live job owns (enqueueOwnJob), up to SWEEP_BATCH
 * of them with ids above `afterId`. `empresaId` binds the sweep to one tenant (the CLI's --empresa); each job carries
 * its row's own tenant. A row whose own job changed under the sweep (another replica's sweep or worker removed, added
 * or locked it: BullMQ refuses the remove or promote) is left to the next sweep and named in `skipped`; the others go
 * on. Redis unusable (isRedisUnusable) stops the sweep with that error at the row that met it: the rows after it are
 * not judged, and a caller going on from `afterId` starts there again.
 */
export async function requeueOrphanedDeliveries(
  db: Kysely<Database>,
  producer: JobProducer,
  options: { empresaId?: number | undefined; minAgeMs?: number; now?: Date; afterId?: number; logger?: Logger } = {},
): Promise<OrphanSweepResult> {
  const before = new Date((options.now ?? new Date()).getTime() - (options.minAgeMs ?? ORPHAN_MIN_AGE_MS));
  // Judged in SQL, so young rows (a busy endpoint's backlog) never fill the batch. SQLite holds the column as
  // CURRENT_TIMESTAMP text or ISO text, which compare only as julianday.
  const old =
    db.getExecutor().adapter instanceof SqliteAdapter
      ? sql<boolean>`julianday(atualizado_em) < julianday(${before.toISOString()})`
      : sql<boolean>`atualizado_em < ${before}`;
  let query = db
    .selectFrom('webhook_entregas')
    .select(['id', 'empresa_id', 'endpoint_id', 'mensagem_id', 'recuperacao'])
    .where('status', '=', 'pendente')
    .where(old)
    .where('id', '>', options.afterId ?? 0)
    .orderBy('id')
    .limit(SWEEP_BATCH);
  if (options.empresaId !== undefined) query = query.where('empresa_id', '=', options.empresaId);
  const rows = await query.execute();
  const requeued: number[] = [];
  const skipped: number[] = [];
  for (const row of rows) {
    try {
      if ((await enqueueOwnJob(producer, row)).added) requeued.push(Number(row.id));
    } catch (err) {
      if (isRedisUnusable(err)) throw err;
      skipped.push(Number(row.id));
      options.logger?.warn({ entregaId: Number(row.id), reason: (err as Error).message }, 'webhook orphan sweep skipped a delivery');
    }
  }
  const resumeAfter = rows.length < SWEEP_BATCH ? 0 : Number(rows[rows.length - 1]?.id);
  return { checked: rows.length, requeued, skipped, resumeAfter };
}

/** How often worker-webhook sweeps (every replica: the sweep is idempotent). */
export const ORPHAN_SWEEP_INTERVAL_MS = 5 * 60_000;

/**
 * Sweeps every ORPHAN_SWEEP_INTERVAL_MS (the first one a minute after start; `timing` for tests), logging what it
 * re-enqueued; a sweep that fails (Redis or the database away) is logged and tried again next time, from the same
 * `afterId`. One sweep at a time per process: a tick that comes while the last sweep still runs (Redis slow) is
 * skipped. stop() waits for a sweep under way.
 */
export function startOrphanSweep(
  db: Kysely<Database>,
  producer: JobProducer,
  logger: Logger,
  timing: { firstMs?: number; intervalMs?: number } = {},
): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  // Where the next sweep goes on: each reads one bounded batch, and across sweeps every pending row is reached.
  let afterId = 0;
  const run = () => {
    if (running) return;
    running = requeueOrphanedDeliveries(db, producer, { afterId, logger })
      .then(
        ({ requeued, resumeAfter }) => {
          afterId = resumeAfter;
          if (requeued.length) logger.warn({ entregas: requeued }, 'pending webhook deliveries without a job re-enqueued');
        },
        (err: unknown) => logger.warn({ reason: (err as Error).message }, 'webhook orphan sweep failed; retried at the next interval'),
      )
      .finally(() => {
        running = undefined;
      });
  };
  const first = setTimeout(run, timing.firstMs ?? 60_000).unref();
  const timer = setInterval(run, timing.intervalMs ?? ORPHAN_SWEEP_INTERVAL_MS).unref();
  return {
    async stop() {
      clearTimeout(first);
      clearInterval(timer);
      await running;
    },
  };
}
