import {
  type ExecucaoKey,
  findOwnRow,
  markOrphanedBy,
  orphanMarkOf,
  type RecordBusyError,
  recordClaimOf,
  takeOverOrphan,
} from '@integrador/store';
import { PermanentError } from './permanent-error';

/** A record of the run whose claim a job that no longer exists left in flight (orphaned-claims.repository.ts). */
export interface OrphanedRecord {
  key: string;
  /** The job that sent it and left it unconcluded: discarded or cleaned up, it can never conclude it. */
  orphanJobId: string;
}

/**
 * A refused claim whose holder no longer exists (discarded on the dashboard, trimmed by BullMQ): no run of it will ever
 * conclude the record, so the job does not wait for it. The first time, the job's row fails naming the orphan and the
 * operator's retries so far (the job then fails for good, SET_RECORD_ORPHANED). An operator's retry since takes the claim
 * over ('taken'): an orphan the receptor answered (enviado) gives the job's own row its answer, which the push writes
 * back without sending it again; an orphan whose outcome is unknown (enviando) fails, and the job's own row becomes the
 * claim, enviando, which its push reconciles as an interrupted attempt (sent again only with a key the receptor
 * recognises it by, else OUTCOME_UNKNOWN and the next retry sends it). A takeover lost to another job's (or to the
 * orphan concluding meanwhile) gives the record's claim as it is now (a RecordBusyError naming the job that holds it,
 * or none). Null when the holder still exists (the job waits, or names it).
 */
export async function orphanedClaim(
  ctx: {
    db: Parameters<typeof findOwnRow>[0];
    empresaId: number;
    operatorRetries?: number;
    jobGone?: (jobId: string) => Promise<boolean>;
  },
  key: ExecucaoKey,
  err: RecordBusyError,
): Promise<OrphanedRecord | 'taken' | RecordBusyError | null> {
  const { holderJobId, holderId } = err;
  if (err.held || holderJobId === null || holderId === null || !ctx.jobGone || !(await ctx.jobGone(holderJobId))) return null;
  const operatorRetries = ctx.operatorRetries ?? 0;
  const own = await findOwnRow(ctx.db, key);
  const marker = orphanMarkOf(own);
  if (own && marker?.orfao === holderId && operatorRetries > marker.operatorRetries) {
    const mensagem = {
      unknown: `outcome unknown: job ${holderJobId} sent it and no longer exists; job ${key.jobId} took the record over`,
      answered: `the receptor accepted it from job ${holderJobId}, which no longer exists; job ${key.jobId} took its answer over to write it back`,
    };
    const registro = key.registro ?? null;
    if (await takeOverOrphan(ctx.db, key.empresaId, { orphanId: holderId, ownId: own.id, registro, mensagem })) return 'taken';
    // Lost to another job's takeover (or concluded meanwhile): the record's claim as it is now.
    return registro ? await recordClaimOf(ctx.db, { ...key, registro }) : null;
  }
  const mensagem = `job ${holderJobId} sent this record and no longer exists, leaving it unconcluded: retry this job to take it over`;
  await markOrphanedBy(ctx.db, key, { orfao: holderId, operatorRetries }, mensagem);
  return { key: key.registro ?? key.chave, orphanJobId: holderJobId };
}

/** The job's permanent failure for records whose claim a job that no longer exists left unconcluded. */
export function orphanedRecordsError(integracaoId: number, orphaned: readonly OrphanedRecord[]): PermanentError {
  const registros = orphaned.map((record) => record.key).join(', ');
  const jobs = [...new Set(orphaned.map((record) => record.orphanJobId))].join(', ');
  return new PermanentError(
    'SET_RECORD_ORPHANED',
    `integracao #${integracaoId}: record ${registros} not sent: job ${jobs} sent it and no longer exists (discarded or cleaned up), so nothing will conclude it, and the receptor may have it. Check the receptor, then retry this job: it takes the record over (sent again only when its request carries a key the receptor recognises it by)`,
    { params: { registros, jobs } },
  );
}
