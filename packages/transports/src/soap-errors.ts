import { ReceptorError, TransientTransportError } from './errors';
import { connectionFailure, type FailureContext, httpStatusFailure } from './http-failures';

/** What soap and axios hang on the errors they give: the axios response, the parsed fault, the body. */
interface SoapFailure {
  message?: string;
  isAxiosError?: boolean;
  body?: unknown;
  root?: { Envelope?: { Body?: { Fault?: SoapFault } } };
  response?: { status?: number; headers?: Record<string, unknown> };
}

interface SoapFault {
  faultstring?: unknown;
  faultcode?: unknown;
  /** SOAP 1.2 */
  Reason?: { Text?: unknown };
}

/** Reads the fields soap/axios put on an error, whatever the error is. */
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
 * Turns what soap gave us into OutboundAddressError, TransientTransportError or ReceptorError (a SOAP fault is the
 * receptor's refusal, whatever its HTTP status). Anything else (a bug, an unexpected library error) is returned as it
 * came: BullMQ retries ordinary errors.
 */
export function classifySoapFailure(error: unknown, context: FailureContext, scrub: (text: string) => string): Error {
  const { exchange } = context;
  const connection = connectionFailure(error, context);
  if (connection) return connection;
  const fault = faultMessage(error);
  if (fault !== undefined) return new ReceptorError(scrub(fault), exchange, { cause: error });
  const failure = asSoapFailure(error);
  const status = failure.response?.status ?? exchange.statusCode;
  if (typeof status === 'number' && (status < 200 || status >= 300)) {
    const detail = exchange.response?.trim().slice(0, 1000) || `HTTP ${status}`;
    return httpStatusFailure(status, exchange, scrub(detail), failure.response?.headers?.['retry-after'], error);
  }
  if (failure.isAxiosError === true) {
    return new TransientTransportError(`could not reach ${exchange.url}: ${failure.message ?? 'network error'}`, exchange, undefined, {
      cause: error,
    });
  }
  if (typeof status === 'number') {
    // A 2xx that is not a SOAP answer (a proxy's login page, a truncated body): sending it again would get the same.
    return new ReceptorError(scrub(`unreadable answer (HTTP ${status}): ${failure.message ?? String(error)}`), exchange, { cause: error });
  }
  return error instanceof Error ? error : new Error(String(error));
}
