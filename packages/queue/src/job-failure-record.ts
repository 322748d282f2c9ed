import {
  type CrmDatabase,
  type EstadoRegistroJob,
  type FailureParams,
  findJobRecord,
  recordParameters,
  withoutConnectionsFileDetail,
} from '@integrador/store';

/**
 * The code of a job's failure as the workers' record of the job keeps it (registro_jobs, read within the tenant):
 * BullMQ keeps only the message. The record must tell of this very failure: the same message (after a Redis flush job
 * ids start again and (fila, job_id) may name an older job's record; a record already past the failure, its next
 * attempt running, no longer says why) and, when `estados` is given, one of those states. undefined when it does not
 * (no record yet: the recorder writes in batches, ~100 ms behind), null for a failure recorded without a code.
 */
export async function recordedFailureCode(
  db: CrmDatabase['db'],
  job: { queue: string; jobId: string; empresaId: number },
  failedReason: string,
  estados?: readonly EstadoRegistroJob[],
): Promise<string | null | undefined> {
  return (await recordedFailure(db, job, failedReason, estados))?.code;
}

/** recordedFailureCode with the values the failure's code is worded with (null when none were recorded). */
export async function recordedFailure(
  db: CrmDatabase['db'],
  job: { queue: string; jobId: string; empresaId: number },
  failedReason: string,
  estados?: readonly EstadoRegistroJob[],
): Promise<{ code: string | null; params: FailureParams | null } | undefined> {
  const record = await findJobRecord(db, [job.empresaId], job.queue, job.jobId);
  // Both read as shown (an old connection failure's text narrowed), so a record rewritten by migration 022 still
  // matches the job's copy in Redis.
  if (!record || withoutConnectionsFileDetail(record.erro_mensagem) !== withoutConnectionsFileDetail(failedReason)) return undefined;
  if (estados && !estados.includes(record.estado)) return undefined;
  return { code: record.erro_codigo, params: recordParameters(record.parametros).failure };
}

/**
 * Why a job waits without using an attempt, as its record says (estado adiado: a limit, a paused tenant): the code and
 * values the worker recorded; undefined when the record says nothing of the kind (not written yet, or the job is not
 * waiting on a limit).
 */
export async function recordedWait(
  db: CrmDatabase['db'],
  job: { queue: string; jobId: string; empresaId: number },
): Promise<{ code: string | null; params: FailureParams | null } | undefined> {
  const record = await findJobRecord(db, [job.empresaId], job.queue, job.jobId);
  if (record?.estado !== 'adiado') return undefined;
  return { code: record.erro_codigo, params: recordParameters(record.parametros).failure };
}
