import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '@integrador/config';
import { type Database, findJobRecord } from '@integrador/store';
import type { Kysely } from 'kysely';
import { type Cli, withDatabase } from './cli-context';
import { FAILURE_REASONS } from './messages';

/** A failed job of one tenant. */
export interface FailedJob {
  queue: string;
  jobId: string;
  empresaId: number;
}

/** How long a failed job's record may lag behind BullMQ's state (the workers' recorder writes in batches, ~100 ms). */
const RECORD_WAIT_MS = 2_000;
const RECORD_POLL_MS = 100;

/**
 * Why a job failed, as the user reads it. BullMQ keeps only the error's (English, technical) message; the worker's job
 * record (registro_jobs, read within the job's tenant) keeps its code too. A code the CLI words is shown in the CLI's
 * language with the message as its detail; any other failure, or one without a record in time, shows the message as is.
 * The record must carry the same message: after a Redis flush, job ids start again and (fila, job_id) may name an
 * older job's record.
 */
export async function jobFailureReason(cli: Cli, db: Kysely<Database>, job: FailedJob, failedReason: string): Promise<string> {
  const until = Date.now() + RECORD_WAIT_MS;
  let code: string | null = null;
  for (;;) {
    const record = await findJobRecord(db, [job.empresaId], job.queue, job.jobId);
    if (record?.estado === 'falhou' && record.erro_mensagem === failedReason) {
      code = record.erro_codigo;
      break;
    }
    if (Date.now() >= until) break;
    await sleep(RECORD_POLL_MS);
  }
  return code !== null && FAILURE_REASONS.has(code) ? FAILURE_REASONS.message(cli.locale, code, { detail: failedReason }) : failedReason;
}

/** jobFailureReason on the configuration's database; the message as is when the database cannot be read. */
export function failedJobReason(cli: Cli, config: Config, job: FailedJob, failedReason: string): Promise<string> {
  return withDatabase((database) => jobFailureReason(cli, database.db, job, failedReason), config).catch(() => failedReason);
}
