import { isTenantGuardViolation } from '@integrador/store';
import { isPermanent } from '../runs/run-errors';
import { PermanentError } from '../set/permanent-error';

/** A GET integracao configured so that it cannot run (the message names the column and what was expected). */
export class GetConfigError extends PermanentError {
  override name = 'GetConfigError';
}

/**
 * The source refusing the connection itself (its login, its database): permanent like a configuration error, but of
 * the connection's credentials or database name, not of the integration's row — the class a record shows says so
 * (trial 4: "GetConfigError LOGIN_REFUSED" sent the operator to the integration's settings).
 */
export class SourceConnectionRefusedError extends GetConfigError {
  override name = 'SourceConnectionRefusedError';
}

/** Another run of the same integracao holds the lease; the job should wait, not run alongside it. */
export class SyncBusyError extends Error {
  override name = 'SyncBusyError';
  constructor(
    readonly holder: string,
    readonly expiresAt: number,
  ) {
    super(`integration run already in progress (${holder}); lease until ${new Date(expiresAt).toISOString()}`);
  }
}

/** This execution lost its lease (it stalled and another took over): it must stop without committing anything more. */
export class SyncLeaseLostError extends Error {
  override name = 'SyncLeaseLostError';
}

/**
 * The ERP source or the CRM database failed under a run (connection lost, server restarting or stopped): an ordinary,
 * retried error — the run resumes from its last committed chunk — whose message says which side failed.
 */
export class GetSideError extends Error {
  override name = 'GetSideError';
  constructor(
    readonly side: 'source' | 'crm',
    where: string,
    cause: unknown,
  ) {
    super(`${where}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/**
 * Wraps an error of one side unless it is already one of the run's own (configuration, lease, a side already named),
 * permanent, or the tenant guard's refusal (which the run turns into ForeignRowError).
 */
export function sideError(side: 'source' | 'crm', where: string, err: unknown): unknown {
  if (isPermanent(err) || isTenantGuardViolation(err)) return err;
  if (err instanceof PermanentError || err instanceof SyncBusyError || err instanceof SyncLeaseLostError || err instanceof GetSideError)
    return err;
  if ((err as Error | undefined)?.name === 'AbortError') return err;
  // Already worded with its connection and its own code (CONNECTION_REPLACED): wrapping would name the source twice.
  if ((err as { code?: unknown } | undefined)?.code === 'CONNECTION_REPLACED') return err;
  return new GetSideError(side, where, err);
}

export const CRM_DATABASE = 'CRM database';

/** Runs CRM work, naming the CRM as the side that failed when it does (connection lost, server down). */
export async function onCrm<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw sideError('crm', CRM_DATABASE, err);
  }
}
