import { OutboundAddressError, shownUrl } from '@integrador/connections';
import type { TransportExchange } from './transport';
import { byteLimit, type TransportMessageKey, transportMessage } from './transport-messages';

// The worker maps these onto BullMQ: `permanent` errors become UnrecoverableError (no retry), the others retry with backoff.
// This package does not depend on BullMQ, so it states the decision instead of throwing BullMQ's classes.

/** What the transport knew of a transient failure, kept for its reason (TRANSPORT_TRANSIENT's wordings): one of them. */
export interface TransientDetails {
  /** The network's own words (`connect ECONNREFUSED 127.0.0.1:8080`). */
  rawDetail?: string;
  /** The HTTP status the receptor answered (5xx, 408, 429). */
  status?: number;
  /** The deadline that fired with no answer. */
  timeoutMs?: number;
  /** The socket's or DNS's errno code (ECONNREFUSED, ENOTFOUND…). */
  networkCode?: string;
}

/** The record's values of a transient failure: strings, as the recorder keeps them; undefined when it knows none. */
function transientParams(details: TransientDetails): Readonly<Record<string, string>> | undefined {
  const params: Record<string, string> = {};
  if (details.rawDetail) params.rawDetail = details.rawDetail;
  if (details.status !== undefined) params.status = String(details.status);
  if (details.timeoutMs !== undefined) params.timeoutMs = String(details.timeoutMs);
  if (details.networkCode) params.networkCode = details.networkCode;
  return Object.keys(params).length > 0 ? params : undefined;
}

/** The receptor could not be reached or answered "try later": timeout, refused/reset connection, DNS failure, HTTP 5xx without a SOAP fault, 429. */
export class TransientTransportError extends Error {
  override name = 'TransientTransportError';
  readonly code = 'TRANSPORT_TRANSIENT';
  readonly permanent = false;
  /** The receptor itself answered with a `soap:Server`/`Receiver` fault: for this ERP, infrastructure, nothing processed. */
  readonly serverFault: boolean;
  /** The user's text (pt-BR), when the transport words this failure for the user: what a run records as its message. */
  readonly receptorMessage: string | undefined;
  /** The request certainly reached no receptor's processing (a refused login, a call not made): a retry sends it as new. */
  readonly notProcessed: boolean;
  /** The values the job recorder keeps: `rawDetail`, the network's own words, what a worded reason adds to its text. */
  readonly params: Readonly<Record<string, string>> | undefined;

  constructor(
    message: string,
    readonly exchange?: TransportExchange,
    /** From a 429's (or 5xx's) Retry-After header: how long the receptor asked us to wait. */
    readonly retryAfterMs?: number,
    options?: ErrorOptions & TransientDetails & { serverFault?: boolean; receptorMessage?: string; notProcessed?: boolean },
  ) {
    super(message, options);
    this.params = transientParams(options ?? {});
    this.serverFault = options?.serverFault ?? false;
    this.notProcessed = options?.notProcessed ?? false;
    this.receptorMessage = options?.receptorMessage;
  }
}

/** The receptor refused the request (a SOAP Fault, HTTP 4xx, an unreadable answer): sending it again would fail the same way. */
export class ReceptorError extends Error {
  override name = 'ReceptorError';
  readonly code = 'RECEPTOR_REJECTED';
  readonly permanent = true;

  constructor(
    /** The receptor's own words: the faultstring, or the message of the HTTP error body (or the transport's own text). */
    readonly receptorMessage: string,
    readonly exchange?: TransportExchange,
    options?: ErrorOptions,
  ) {
    super(`receptor rejected the request: ${receptorMessage}`, options);
  }
}

/**
 * An answer past the size limit, as received or once decoded. Permanent: the same request gets the same answer. Not a
 * ReceptorError: nothing was refused, and for a call (`mayHaveBeenProcessed`) the receptor answered, so it may have
 * done what was asked — its caller must treat the outcome as unknown, never as "nothing done". The message is English;
 * receptorMessage is the same text in pt-BR, for the user.
 */
export class ResponseTooLargeError extends Error {
  override name = 'ResponseTooLargeError';
  readonly code = 'RESPONSE_TOO_LARGE';
  readonly permanent = true;
  /** The user's text (pt-BR): what a run records as the failure's message. */
  readonly receptorMessage: string;
  /** The limit as a person reads it ('16 MiB'; '?' when unknown), for texts built on this one. */
  readonly limit: string;

  constructor(
    details: { url: string; limitBytes: number | undefined },
    /** False only when nothing was sent (a WSDL fetch): the receptor cannot have done anything. */
    readonly mayHaveBeenProcessed: boolean,
    readonly exchange?: TransportExchange,
    options?: ErrorOptions,
  ) {
    const key: TransportMessageKey = mayHaveBeenProcessed ? 'RESPONSE_TOO_LARGE_AFTER_CALL' : 'RESPONSE_TOO_LARGE';
    const params = { url: shownUrl(details.url), limit: details.limitBytes === undefined ? '?' : byteLimit(details.limitBytes) };
    super(transportMessage(key, params, 'en'), options);
    this.receptorMessage = transportMessage(key, params);
    this.limit = params.limit;
  }
}

// Moved to @integrador/connections so the database readers share it; re-exported for the transports' callers.
export { OutboundAddressError };

/** The integration row cannot be used with its connection: a link that is not a path or names another host, an unknown HTTP method or SOAP operation. Permanent. */
export class InvalidIntegrationError extends Error {
  override name = 'InvalidIntegrationError';
  readonly code = 'TRANSPORT_INVALID_INTEGRATION';
  readonly permanent = true;

  constructor(
    /** The integracao column at fault. */
    readonly field: 'link' | 'porta_ws',
    readonly value: string | null,
    reason: string,
  ) {
    super(`integration ${field} ${JSON.stringify(value)}: ${reason}`);
  }
}

/** Finds an OutboundAddressError anywhere in a chain of `cause`s (HTTP clients wrap the socket's error). */
export function findOutboundAddressError(error: unknown): OutboundAddressError | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 10; current = current.cause, depth++) {
    if (current instanceof OutboundAddressError) return current;
  }
  return undefined;
}
