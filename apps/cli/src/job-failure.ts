import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '@integrador/config';
import { failureText } from '@integrador/integrador';
import { recordedFailure } from '@integrador/queue';
import type { Database, EstadoRegistroJob } from '@integrador/store';
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
 * The code comes from the worker's record of the job (recordedFailureCode, which may lag a little behind BullMQ); a
 * code the failure catalogue (@integrador/queue) words is shown in the CLI's language with the message as its detail;
 * any other failure, or one without a record in time, shows the message as is.
 */
export async function jobFailureReason(
  cli: Cli,
  db: Kysely<Database>,
  job: FailedJob,
  failedReason: string,
  estado: Extract<EstadoRegistroJob, 'falhou' | 'aguardando_retentativa'> = 'falhou',
): Promise<string> {
  const until = Date.now() + RECORD_WAIT_MS;
  let recorded: Awaited<ReturnType<typeof recordedFailure>>;
  for (;;) {
    recorded = await recordedFailure(db, job, failedReason, [estado]);
    if (recorded !== undefined || Date.now() >= until) break;
    await sleep(RECORD_POLL_MS);
  }
  return failureText(cli.locale, recorded?.code, recorded?.params, failedReason);
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
