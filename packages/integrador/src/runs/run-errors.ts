/**
 * The permanence marker every engine error speaks: `permanent: true` means a retry cannot help (the queue worker
 * turns it into BullMQ's UnrecoverableError once, keeping class, code and cause); anything else is retried with
 * backoff. `code` is what the ingress's one code → HTTP status table reads.
 */
export interface CodedError extends Error {
  readonly code: string;
  readonly permanent?: boolean;
  /** Values a localized message fills in (e.g. { id, names }). */
  readonly params?: Readonly<Record<string, string>>;
}

/** Why admission refused a run; every code is permanent (the same request would be refused again). */
export type RunRefusalCode =
  | 'NOT_FOUND'
  | 'INTEGRATION_INACTIVE'
  | 'NOT_RUNNABLE'
  | 'UNKNOWN_SERVICE_TYPE'
  | 'MISSING_PARAMETERS'
  | 'INVALID_PARAMETER'
  | 'CONTROL_CHARACTER'
  | 'MISSING_CONNECTION'
  | 'CONNECTION_FORBIDDEN'
  | 'GET_CONFIG'
  | 'SET_CONFIG';

/** A run admission refused; `params` fill the API's localized message, `message` is the operator's English text. */
export class RunRefusedError extends Error implements CodedError {
  override name = 'RunRefusedError';
  readonly permanent = true;
  constructor(
    readonly code: RunRefusalCode,
    message: string,
    readonly params: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/**
 * A refusal for the integration's configuration (the `…_CONFIG` codes: GET_CONFIG, and any such code added later): the
 * rows are wrong, not the request. An interactive caller gets it (422); a CRM change event's run is not refused over it
 * (AdmissionRequest.deferConfiguration) — its misconfigured step fails in the worker, where an operator retries it.
 */
export function isConfigurationRefusal(err: unknown): boolean {
  return err instanceof RunRefusedError && err.code.endsWith('_CONFIG');
}

/** A write of the run reached a row of another empresa: refused by the database's tenant guard, all rolled back. */
export class ForeignRowError extends Error implements CodedError {
  override name = 'ForeignRowError';
  readonly code = 'FOREIGN_ROW';
  readonly permanent = true;
}

/** True when an error says a retry cannot help (the one permanence rule; see CodedError). */
export function isPermanent(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { permanent?: unknown }).permanent === true;
}
