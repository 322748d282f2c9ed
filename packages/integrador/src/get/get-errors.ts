import { PermanentError } from '../set/permanent-error';

/** A GET integracao configured so that it cannot run (the message names the column and what was expected). */
export class GetConfigError extends PermanentError {
  override name = 'GetConfigError';
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
