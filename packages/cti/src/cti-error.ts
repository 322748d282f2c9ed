/**
 * A CTI failure with a code and whether retrying can fix it (a PBX's 4xx cannot, its 5xx may). Workers turn permanent
 * ones into BullMQ's UnrecoverableError; the ingress maps codes to HTTP statuses. This package stays free of BullMQ.
 */
export class CtiError extends Error {
  override name = 'CtiError';
  constructor(
    readonly code: string,
    readonly permanent: boolean,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
