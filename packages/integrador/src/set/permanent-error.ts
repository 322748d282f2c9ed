/**
 * A failure that retrying cannot fix (the receptor refused the record, the configuration is wrong, a value
 * breaks a rule). Workers turn it into BullMQ's UnrecoverableError; this package stays free of BullMQ.
 */
export class PermanentError extends Error {
  override name = 'PermanentError';
  readonly permanent = true;
  /** The values the code's reason is worded with (the job recorder keeps them: the reader's language names them). */
  readonly params: Readonly<Record<string, string | number>> | undefined;
  constructor(
    readonly code: string,
    message: string,
    options?: ErrorOptions & { params?: Readonly<Record<string, string | number>> },
  ) {
    super(message, options);
    this.params = options?.params;
  }
}
