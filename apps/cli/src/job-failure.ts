import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '@integrador/config';
import { jobFailureText } from '@integrador/queue';
import { type Database, type EstadoRegistroJob, findJobRecord } from '@integrador/store';
import type { Kysely } from 'kysely';
import { type Cli, withDatabase } from './cli-context';

/** A failed job (or failed attempt) of one tenant. */
export interface FailedJob {
  queue: string;
  jobId: string;
  empresaId: number;
}

/** How long a failed job's record may lag behind BullMQ's state (the workers' recorder writes in batches, ~100 ms). */
const RECORD_WAIT_MS = 2_000;
const RECORD_POLL_MS = 100;

/**
 * Why a job (`falhou`) or one of its attempts (`aguardando_retentativa`, a retry to come) failed, as the user reads it.
 * BullMQ keeps only the error's (English, technical) message; the worker's job record (registro_jobs, read within the
 * job's tenant) keeps its code too. A code the failure catalogue (@integrador/queue) words is shown in the CLI's
 * language with the message as its detail; any other failure, or one without a record in time, shows the message as
 * is. The record must carry the same message: after a Redis flush, job ids start again and (fila, job_id) may name an
 * older job's record, and a record already past the attempt (the next one running) no longer says why it failed.
 */
export async function jobFailureReason(
  cli: Cli,
  db: Kysely<Database>,
  job: FailedJob,
  failedReason: string,
  estado: Extract<EstadoRegistroJob, 'falhou' | 'aguardando_retentativa'> = 'falhou',
): Promise<string> {
  const until = Date.now() + RECORD_WAIT_MS;
  let code: string | null = null;
  for (;;) {
    const record = await findJobRecord(db, [job.empresaId], job.queue, job.jobId);
    if (record?.estado === estado && record.erro_mensagem === failedReason) {
      code = record.erro_codigo;
      break;
    }
    if (Date.now() >= until) break;
    await sleep(RECORD_POLL_MS);
  }
  return jobFailureText(cli.locale, code, failedReason);
}

/** jobFailureReason on the configuration's database; the message as is when the database cannot be read. */
export function failedJobReason(
  cli: Cli,
  config: Config,
  job: FailedJob,
  failedReason: string,
  estado: Extract<EstadoRegistroJob, 'falhou' | 'aguardando_retentativa'> = 'falhou',
): Promise<string> {
  return withDatabase((database) => jobFailureReason(cli, database.db, job, failedReason, estado), config).catch(() => failedReason);
}
