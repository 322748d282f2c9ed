import { ReceptorError, ResponseTooLargeError, TransientTransportError } from './errors';
import { connectionFailure, type FailureContext, httpStatusFailure } from './http-failures';
import { SoapHttpError } from './soap-http';

/** What soap hangs on the errors it gives: the HTTP response (soap-http.ts), the parsed fault, the body. */
interface SoapFailure {
  message?: string;
  body?: unknown;
  root?: { Envelope?: { Body?: { Fault?: SoapFault } } };
  response?: { status?: number; headers?: Record<string, unknown> };
}

interface SoapFault {
  faultstring?: unknown;
  faultcode?: unknown;
  /** SOAP 1.2 */
  Reason?: { Text?: unknown };
  Code?: { Value?: unknown };
}

/** Reads the fields soap puts on an error, whatever the error is. */
export function asSoapFailure(error: unknown): SoapFailure {
  return error !== null && typeof error === 'object' ? (error as SoapFailure) : {};
}

/** The faultstring of a SOAP 1.1 fault, or the reason of a 1.2 one, when the error carries a fault. */
export function faultMessage(error: unknown): string | undefined {
  const fault = asSoapFailure(error).root?.Envelope?.Body?.Fault;
  if (fault === undefined) return undefined;
  const text = fault.faultstring ?? fault.Reason?.Text ?? fault.faultcode;
  return typeof text === 'string' && text !== '' ? text : JSON.stringify(fault);
}

/**
 * Whose fault a SOAP fault says it is: `soap:Server` (1.1) / `Receiver` (1.2) — the service itself failed (a
 * maintenance window, an outage); `soap:Client` / `Sender` — the request is wrong. Any prefix, any case; an
 * unknown or missing code counts as the request's.
 */
export function faultSide(error: unknown): 'server' | 'client' {
  const fault = asSoapFailure(error).root?.Envelope?.Body?.Fault;
  const code = String(fault?.faultcode ?? fault?.Code?.Value ?? '');
  const local = (code.split(':').pop() ?? '').split('.')[0]?.toLowerCase();
  return local === 'server' || local === 'receiver' ? 'server' : 'client';
}

/**
 * Turns what soap gave us into OutboundAddressError, TransientTransportError, ReceptorError or ResponseTooLargeError.
 * For this ERP business errors come in the answer's body (erroExecucao, tipoRetorno 2) and a SOAP fault means
 * infrastructure (docs: senior-g5): a `soap:Server`/`Receiver` fault is retried with backoff (a maintenance window
 * answers 503 with one), a `soap:Client`/`Sender` fault is the receptor's refusal and permanent, and an answer past the
 * size limit is permanent too (the same request would get it again) but no refusal: a call's receptor may have done
 * it. Anything else (a bug, an unexpected library error) is returned as it came: BullMQ retries ordinary errors.
 */
export function classifySoapFailure(error: unknown, context: FailureContext & { wsdl?: boolean }, scrub: (text: string) => string): Error {
  const { exchange } = context;
  const connection = connectionFailure(error, context);
  if (connection) return connection;
  // The same request gets the same answer: past the limit on every retry, so permanent. A call's answer came after the
  // receptor took the request (it may have done it); a WSDL fetch (context.wsdl) sent nothing.
  if (error instanceof SoapHttpError && error.code === 'ERR_RESPONSE_TOO_LARGE') {
    return new ResponseTooLargeError({ url: exchange.url, limitBytes: error.limitBytes }, !context.wsdl, exchange, { cause: error });
  }
  const fault = faultMessage(error);
  const failure = asSoapFailure(error);
  if (fault !== undefined && faultSide(error) === 'server') {
    const retryAfter = Number(failure.response?.headers?.['retry-after']);
    return new TransientTransportError(
      `receptor unavailable (SOAP server fault): ${scrub(fault)}`,
      exchange,
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined,
      { cause: error, serverFault: true },
    );
  }
  if (fault !== undefined) return new ReceptorError(scrub(fault), exchange, { cause: error });
  const status = failure.response?.status ?? exchange.statusCode;
  if (typeof status === 'number' && (status < 200 || status >= 300)) {
    const detail = exchange.response?.trim().slice(0, 1000) || `HTTP ${status}`;
    return httpStatusFailure(status, exchange, scrub(detail), failure.response?.headers?.['retry-after'], error);
  }
  if (error instanceof SoapHttpError) {
    return new TransientTransportError(
      `could not reach ${exchange.url}: ${scrub(failure.message ?? 'network error')}`,
      exchange,
      undefined,
      {
        cause: error,
      },
    );
  }
  if (typeof status === 'number') {
    // A 2xx that is not a SOAP answer (a proxy's login page, a truncated body): sending it again would get the same.
    return new ReceptorError(scrub(`unreadable answer (HTTP ${status}): ${failure.message ?? String(error)}`), exchange, { cause: error });
  }
  return error instanceof Error ? error : new Error(String(error));
}
