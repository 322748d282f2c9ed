import { shownUrl } from '@integrador/connections';
import { isSignatureRejection } from './failure-codes';
import type { ErrorClass, SendResult } from './http-client';
import {
  type CancelReason,
  cancelReasonOf,
  type Locale,
  type PastCode,
  storedErrorMessage,
  type TestCode,
  webhookMessage,
} from './messages';

// One wording of an attempt's outcome for the tenant: the test button's answer and a delivery's last error (the API's
// ultimo_erro, the dashboard) say the same thing in the reader's language; the raw network text stays in the attempt
// record (erro) as the technical detail.

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return url;
  }
}

/** The code and message parameters of one attempt's outcome (the test button's answer, a delivery's last error). */
export function explain(
  result: SendResult,
  endpointUrl: string,
  timeoutMs: number,
): { code: TestCode; params: Record<string, string | number> } {
  const host = hostOf(endpointUrl);
  // The message names the endpoint as shown: a token the tenant put in the query stays out of it.
  const url = shownUrl(endpointUrl);
  const detail = (result.error ?? '').split(':')[0] ?? '';
  const status = result.status ?? 0;
  switch (result.errorClass) {
    case null:
      return { code: 'OK', params: { url, status, ms: result.durationMs } };
    case 'connection_refused':
      return { code: 'CONNECTION_REFUSED', params: { url } };
    case 'dns':
      return { code: 'DNS_FAILED', params: { host } };
    case 'tls':
      return { code: 'TLS_FAILED', params: { host, detail } };
    case 'timeout':
      return { code: 'TIMEOUT', params: { url, seconds: Math.round(timeoutMs / 100) / 10 } };
    case 'address_forbidden':
      // The guard's own range (its structured field), worded by webhookMessage in the reader's language.
      return { code: 'ADDRESS_FORBIDDEN', params: { host, range: result.addressRange ?? 'private' } };
    case 'redirect':
      return { code: 'REDIRECT', params: { status, location: result.headers.location ? shownUrl(result.headers.location) : '?' } };
    // 429 asks the hub to slow down, 410 to stop: neither is a wrong path or header, which CLIENT_ERROR's advice is about.
    case 'rate_limited':
      return { code: 'RATE_LIMITED', params: { status } };
    case 'gone':
      return { code: 'RECEIVER_GONE', params: { status } };
    case 'http_4xx':
      return isSignatureRejection(result.errorClass, status)
        ? { code: 'SIGNATURE_REJECTED', params: { status } }
        : { code: 'CLIENT_ERROR', params: { status } };
    case 'http_5xx':
    case 'overloaded':
      return { code: 'SERVER_ERROR', params: { status } };
    default:
      return { code: 'NETWORK_ERROR', params: { url, detail } };
  }
}

/** What a delivery's last attempt recorded: its class, HTTP status and duration (listEntregas' ultima_* columns). */
export interface LastAttempt {
  status: string;
  ultimo_erro: string | null;
  ultima_classe: string | null;
  ultimo_status_http: number | null;
  ultima_duracao_ms: number | null;
}

/** The classes explain words with advice; the others (address refused, a key missing…) keep their own stored words. */
const WORDED: ReadonlySet<string> = new Set<ErrorClass>([
  'connection_refused',
  'dns',
  'tls',
  'timeout',
  'redirect',
  'http_4xx',
  'http_5xx',
  'gone',
  'rate_limited',
  'overloaded',
]);

/** The attempt class of a delivery refused by WEBHOOK_HTTPS_ONLY (deliver.ts), worded and coded below. */
const HTTPS_REQUIRED_CLASS = 'https_required';
/** The attempt class of a delivery whose body is over WEBHOOK_MAX_PAYLOAD_BYTES (deliver.ts), worded and coded below. */
const PAYLOAD_TOO_LARGE_CLASS = 'payload_too_large';

/**
 * A delivery's reason as a code (the API's `motivo`): a cancelled one's (ENDPOINT_DISABLED, ENDPOINT_DELETED);
 * HTTPS_REQUIRED or PAYLOAD_TOO_LARGE when the hub refused its last attempt; ENDPOINT_GONE when its last attempt's 410
 * disabled the endpoint; SIGNATURE_REJECTED when the last attempt was answered 401/403 (the receiver may reject the
 * signature); null otherwise.
 */
export function deliveryReasonCode(
  delivery: Pick<LastAttempt, 'status' | 'ultimo_erro' | 'ultima_classe'> & Partial<Pick<LastAttempt, 'ultimo_status_http'>>,
): CancelReason | 'HTTPS_REQUIRED' | 'PAYLOAD_TOO_LARGE' | 'ENDPOINT_GONE' | 'SIGNATURE_REJECTED' | null {
  if (delivery.status !== 'cancelada') {
    if (delivery.ultima_classe === HTTPS_REQUIRED_CLASS) return 'HTTPS_REQUIRED';
    if (delivery.ultima_classe === PAYLOAD_TOO_LARGE_CLASS) return 'PAYLOAD_TOO_LARGE';
    if (delivery.ultima_classe === 'gone' && delivery.status === 'falhou') return 'ENDPOINT_GONE';
    if (delivery.status !== 'entregue' && isSignatureRejection(delivery.ultima_classe, delivery.ultimo_status_http ?? null))
      return 'SIGNATURE_REJECTED';
  }
  return cancelReasonOf(delivery.status, delivery.ultimo_erro);
}

/** How the delivery job records giving up ("gave up after 4 attempts: …", deliver.ts). */
const GAVE_UP = /^gave up after (\d+) attempts: /;

/** The codes explain words with the attempt's URL, host or redirect location, and their words naming none. */
const PAST: Partial<Record<TestCode, PastCode>> = {
  CONNECTION_REFUSED: 'CONNECTION_REFUSED_PAST',
  DNS_FAILED: 'DNS_FAILED_PAST',
  TLS_FAILED: 'TLS_FAILED_PAST',
  TIMEOUT: 'TIMEOUT_PAST',
  REDIRECT: 'REDIRECT_PAST',
  NETWORK_ERROR: 'NETWORK_ERROR_PAST',
  // A delivery's 410 disabled its endpoint (deliver.ts); the test button's only would have.
  RECEIVER_GONE: 'RECEIVER_GONE_PAST',
};

/**
 * A delivery's last error in the reader's language: a cancelled one's reason code worded; a failed attempt of a class
 * the test button words (timeout, connection refused, 5xx…) in the test button's words, after "gave up after n
 * attempts" when the delivery gave up; anything else as recorded. The attempt's URL and a redirect's location are not
 * stored: the words name neither (the endpoint's URL now may not be the one the attempt went to).
 */
export function deliveryErrorMessage(locale: Locale, delivery: LastAttempt): string | null {
  const { status, ultimo_erro: stored, ultima_classe: errorClass } = delivery;
  if (errorClass === HTTPS_REQUIRED_CLASS && stored !== null) return webhookMessage(locale, 'HTTPS_REQUIRED');
  if (errorClass === PAYLOAD_TOO_LARGE_CLASS && stored !== null) return webhookMessage(locale, 'PAYLOAD_TOO_LARGE_PAST');
  if (status === 'cancelada' || stored === null || errorClass === null || !WORDED.has(errorClass)) {
    return storedErrorMessage(locale, status, stored);
  }
  const durationMs = delivery.ultima_duracao_ms ?? 0;
  const result: SendResult = {
    ok: false,
    status: delivery.ultimo_status_http,
    body: null,
    headers: {},
    durationMs,
    errorClass: errorClass as ErrorClass,
    error: stored.replace(GAVE_UP, ''),
  };
  // A timeout's limit is what the attempt waited: WEBHOOK_TIMEOUT_MS as the worker had it.
  const { code, params } = explain(result, '', durationMs);
  const worded = webhookMessage(locale, PAST[code] ?? code, params);
  const gaveUp = GAVE_UP.exec(stored);
  return gaveUp ? webhookMessage(locale, 'GAVE_UP', { n: gaveUp[1] as string, motivo: worded }) : worded;
}
