import { UnrecoverableError } from 'bullmq';

/**
 * The one translation of the permanence marker into BullMQ: an error that says `permanent: true` (engine, transport
 * and connection errors mark themselves) becomes an UnrecoverableError — no retry — with the same message (the
 * job's failedReason), the original error as `cause`, its class in `errorClass` and its `code`. Anything else is
 * retried with the job's backoff.
 */
export class PermanentJobFailure extends UnrecoverableError {
  readonly errorClass: string;
  readonly code: string | undefined;
  constructor(cause: Error) {
    super(cause.message);
    this.cause = cause;
    this.errorClass = cause.name;
    const code = (cause as { code?: unknown }).code;
    this.code = typeof code === 'string' ? code : undefined;
  }
}

/** True when an error says a retry cannot help. */
export function isPermanentError(err: unknown): err is Error {
  return err instanceof Error && (err as { permanent?: unknown }).permanent === true;
}

/** The error a handler's failure is handed to BullMQ as: permanent ones once as PermanentJobFailure, others unchanged. */
export function toJobFailure(err: unknown): unknown {
  if (err instanceof UnrecoverableError || !isPermanentError(err)) return err;
  return new PermanentJobFailure(err);
}
