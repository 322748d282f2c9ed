/**
 * A failure that retrying cannot fix (the receptor refused the record, the configuration is wrong, a value
 * breaks a rule). Workers turn it into BullMQ's UnrecoverableError; this package stays free of BullMQ.
 */
export class PermanentError extends Error {
  override name = 'PermanentError';
  readonly permanent = true;
  constructor(
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
