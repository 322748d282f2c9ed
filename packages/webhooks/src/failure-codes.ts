import type { ErrorClass } from './http-client';

/**
 * Why the hub gave a delivery up, as the code its job's failure records (registro_jobs.erro_codigo, worded by
 * @integrador/queue's job-failure-reasons for the dashboard): the actual cause, not a list of possible ones.
 */
export type DeliveryFailureCode =
  | 'WEBHOOK_RECEIVER_HTTP_ERROR'
  | 'WEBHOOK_RECEIVER_UNAUTHORIZED'
  | 'WEBHOOK_RECEIVER_TIMEOUT'
  | 'WEBHOOK_RECEIVER_REFUSED'
  | 'WEBHOOK_RECEIVER_UNREACHABLE'
  | 'WEBHOOK_ADDRESS_FORBIDDEN'
  | 'WEBHOOK_ENDPOINT_GONE'
  | 'WEBHOOK_ENDPOINT_FAILING'
  | 'WEBHOOK_HTTPS_REQUIRED'
  | 'WEBHOOK_PAYLOAD_TOO_LARGE'
  | 'WEBHOOK_SECRET_KEY_MISSING';

/**
 * The failure code of an attempt's class (and HTTP status): the receiver answered an error — 401/403 apart, the
 * answer of a receiver rejecting the signature (isSignatureRejection) —, did not answer, refused, or was not reached.
 */
export function failureCodeOfClass(errorClass: ErrorClass | null, status: number | null = null): DeliveryFailureCode {
  if (isSignatureRejection(errorClass, status)) return 'WEBHOOK_RECEIVER_UNAUTHORIZED';
  switch (errorClass) {
    case 'timeout':
      return 'WEBHOOK_RECEIVER_TIMEOUT';
    case 'connection_refused':
      return 'WEBHOOK_RECEIVER_REFUSED';
    case 'address_forbidden':
      return 'WEBHOOK_ADDRESS_FORBIDDEN';
    case 'gone':
      return 'WEBHOOK_ENDPOINT_GONE';
    case 'redirect':
    case 'http_4xx':
    case 'http_5xx':
    case 'rate_limited':
    case 'overloaded':
      return 'WEBHOOK_RECEIVER_HTTP_ERROR';
    default:
      return 'WEBHOOK_RECEIVER_UNREACHABLE';
  }
}

/**
 * Whether an attempt's answer is the one a receiver gives a delivery whose signature it rejects: 401 or 403 (typical
 * after the endpoint's secret was rotated or revoked and the receiver still verifies with the old one).
 */
export function isSignatureRejection(errorClass: string | null, status: number | null): boolean {
  return errorClass === 'http_4xx' && (status === 401 || status === 403);
}
