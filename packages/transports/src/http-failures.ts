import { findOutboundAddressError, type OutboundAddressError, ReceptorError, TransientTransportError } from './errors';
import type { TransportExchange } from './transport';

/** What a transport knows about a failed exchange, whatever its client library. */
export interface FailureContext {
  exchange: TransportExchange;
  /** Set when our deadline fired, or the caller's signal: the error is then an abort, whatever its code. */
  aborted: 'timeout' | 'signal' | null;
  timeoutMs: number;
}

/** Socket and DNS failures worth retrying: the receptor may be back later. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
]);

/** The innermost cause's message (`connect ECONNREFUSED 127.0.0.1:8080`): the network's own words, no wrapping. */
function innermostMessage(error: unknown): string | undefined {
  let current = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  if (!(current instanceof Error)) return undefined;
  // soap-http's wrapping of what the exchange met (its cause is not always kept as an Error): its reason only.
  return current.message.replace(/^could not exchange with \S+: /, '').replace(/^Error: /, '');
}

/** The guard's refusal, a timeout, an abort or a network failure; undefined for anything else. */
export function connectionFailure(error: unknown, context: FailureContext): OutboundAddressError | TransientTransportError | undefined {
  const { exchange } = context;
  const outbound = findOutboundAddressError(error);
  if (outbound) return outbound;
  if (context.aborted === 'timeout') {
    return new TransientTransportError(`no answer from ${exchange.url} within ${context.timeoutMs} ms`, exchange, undefined, {
      cause: error,
      timeoutMs: context.timeoutMs,
    });
  }
  if (context.aborted === 'signal') {
    return new TransientTransportError(`request to ${exchange.url} was aborted`, exchange, undefined, { cause: error });
  }
  const code = error !== null && typeof error === 'object' && 'code' in error ? error.code : undefined;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) {
    const message = error instanceof Error ? `: ${error.message}` : '';
    return new TransientTransportError(`could not reach ${exchange.url} (${code})${message}`, exchange, undefined, {
      cause: error,
      rawDetail: innermostMessage(error),
      networkCode: code,
    });
  }
  return undefined;
}

/**
 * The error for a non-2xx answer that carries no SOAP fault: 429, 408 and 5xx are worth retrying (with the answer's
 * Retry-After, when it sends one); other 4xx and 3xx
 * (we follow no redirects) are the receptor's refusal, with `detail` (its own message) as receptorMessage.
 */
export function httpStatusFailure(status: number, exchange: TransportExchange, detail: string, retryAfter: unknown, cause?: unknown) {
  if (status === 429) {
    return new TransientTransportError(`${exchange.url} answered HTTP 429 (too many requests)`, exchange, parseRetryAfter(retryAfter), {
      cause,
      status,
    });
  }
  if (status >= 500 || status === 408) {
    // A 503 may carry Retry-After too (RFC 9110); the limits layer then pauses only this tenant's connection.
    return new TransientTransportError(`${exchange.url} answered HTTP ${status}: ${detail}`, exchange, parseRetryAfter(retryAfter), {
      cause,
      status,
    });
  }
  return new ReceptorError(detail, exchange, { cause });
}

/** Seconds or an HTTP date, as Retry-After allows; undefined when absent or unreadable. */
export function parseRetryAfter(value: unknown, now = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (typeof text !== 'string' || text.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * An attempt's recorded error (integracao_tentativas.erro: the English message of the failures above) read back into
 * the failure code and values it was thrown with, so a page words each attempt from the failure catalogue in its own
 * language; undefined for a text these failures do not write (the page shows it as it is).
 */
export function attemptFailureOf(
  erro: string,
  statusHttp: number | null,
): { code: 'TRANSPORT_TRANSIENT' | 'RECEPTOR_REJECTED'; params: Record<string, string> } | undefined {
  const timeout = / within (\d+) ms$/.exec(erro);
  if (erro.startsWith('no answer from ') && timeout?.[1]) return { code: 'TRANSPORT_TRANSIENT', params: { timeoutMs: timeout[1] } };
  const network = /^could not reach \S+ \(([A-Z_]+)\)(?:: (.*))?$/s.exec(erro);
  if (network?.[1])
    return { code: 'TRANSPORT_TRANSIENT', params: { networkCode: network[1], ...(network[2] ? { rawDetail: network[2] } : {}) } };
  const status = / answered HTTP (\d{3})\b/.exec(erro)?.[1] ?? (statusHttp !== null && statusHttp >= 500 ? String(statusHttp) : undefined);
  if (status) return { code: 'TRANSPORT_TRANSIENT', params: { status } };
  if (erro.startsWith('receptor rejected the request: ')) return { code: 'RECEPTOR_REJECTED', params: {} };
  return undefined;
}
