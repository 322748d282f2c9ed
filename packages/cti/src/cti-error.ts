/**
 * A CTI failure with a code and whether retrying can fix it (a PBX's 4xx cannot, its 5xx may). Workers turn permanent
 * ones into BullMQ's UnrecoverableError once (`permanent`, see packages/integrador/src/runs); the ingress's one error
 * table maps codes to HTTP statuses. This package stays free of BullMQ.
 */
export class CtiError extends Error {
  override name = 'CtiError';
  constructor(
    readonly code: string,
    readonly permanent: boolean,
    message: string,
    options?: ErrorOptions,
    /** What a localized message needs (the ingress's error table reads them). */
    readonly params: Record<string, string> = {},
  ) {
    super(message, options);
  }
}
