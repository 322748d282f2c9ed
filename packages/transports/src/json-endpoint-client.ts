import { shownUrl, withUrlShown } from '@integrador/connections';
import { findOutboundAddressError } from './errors';
import { JsonArrayCounter } from './json-array-counter';
import { isGotTimeout, loadGot } from './lazy-modules';
import { createOutboundAgents } from './outbound-guard';
import { authorizationForms, createSecretMasker, type SecretMasker } from './secret-mask';

/** Why a JSON endpoint call failed; the engine turns each into a message saying what to do next. */
export type EndpointFetchFailure =
  | 'TIMEOUT'
  | 'TOO_MANY_RECORDS'
  | 'TOO_LARGE'
  | 'HTTP_STATUS'
  | 'NOT_JSON'
  | 'NOT_ARRAY'
  | 'UNREACHABLE'
  | 'OUTBOUND_FORBIDDEN'
  | 'ABORTED';

/** A failed JSON endpoint call. `permanent` failures (limits, refusals, bad bodies) are not retried. */
export class EndpointFetchError extends Error {
  override name = 'EndpointFetchError';
  constructor(
    readonly code: EndpointFetchFailure,
    readonly permanent: boolean,
    /** What the message needs: the URL, the limit, the HTTP status, the endpoint's own words… */
    readonly params: Record<string, string | number>,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface JsonEndpointRequest {
  url: string;
  /** Authentication and other headers (secrets: never logged by this module). */
  headers: Record<string, string>;
  /** The whole call, body included (seed 003: 3 minutes). */
  timeoutMs: number;
  /** More records than this cancel the call (seed 003: 1000). */
  maxRecords: number;
  /** A body larger than this (after decompression) cancels the call. */
  maxBytes: number;
  allowPrivateNetwork: boolean;
  signal?: AbortSignal;
}

export interface JsonEndpointResponse {
  records: unknown[];
  statusCode: number;
  bytes: number;
  durationMs: number;
  /**
   * Masks the credentials sent (`***`) inside a text made from `records` that the hub keeps or shows (a record error
   * quoting a value): `records` keep their text, only a value that equals a secret is `***` already.
   */
  maskText: (text: string) => string;
}

/** How much of an error body is kept for the message. */
const ERROR_BODY_BYTES = 2000;

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/**
 * GETs a fixed URL that answers a JSON array of records (seed 003) through the outbound guard, with no retries and no
 * redirects, counting records while the body streams in: the call is cancelled the moment the limit of records, bytes
 * or time is passed, so neither a huge nor a slow endpoint can hold a worker's memory or slot.
 */
export async function fetchJsonRecords(request: JsonEndpointRequest): Promise<JsonEndpointResponse> {
  const agents = createOutboundAgents({ allowPrivateNetwork: request.allowPrivateNetwork });
  const started = performance.now();
  // The call goes to request.url; every error's params and message name it as shown (a token may sit in its query).
  const url = shownUrl(request.url);
  // The endpoint's answer may echo the credentials we sent (every header value, and the secret inside an Authorization
  // header): masked `***` in every error text and record before anything is kept.
  const mask = createSecretMasker(Object.values(request.headers).flatMap(authorizationForms));
  const { default: got } = await loadGot();
  const stream = got.stream(request.url, {
    agent: { http: agents.http, https: agents.https },
    dnsCache: false,
    headers: { 'user-agent': undefined, accept: 'application/json', ...request.headers },
    timeout: { request: request.timeoutMs },
    retry: { limit: 0 },
    followRedirect: false,
    throwHttpErrors: false,
    ...(request.signal ? { signal: request.signal } : {}),
  });
  let statusCode = 0;
  stream.once('response', (response: { statusCode: number }) => {
    statusCode = response.statusCode;
  });
  const counter = new JsonArrayCounter();
  const chunks: Buffer[] = [];
  let bytes = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (statusCode < 200 || statusCode >= 300) {
        chunks.push(chunk);
        if (bytes >= ERROR_BODY_BYTES) break;
        continue;
      }
      counter.feed(chunk);
      if (counter.count > request.maxRecords) {
        throw new EndpointFetchError(
          'TOO_MANY_RECORDS',
          true,
          { url, limit: request.maxRecords },
          `${url} sent more than ${request.maxRecords} records in one call`,
        );
      }
      if (bytes > request.maxBytes) {
        throw new EndpointFetchError(
          'TOO_LARGE',
          true,
          { url, limit: request.maxBytes },
          `${url} sent more than ${request.maxBytes} bytes`,
        );
      }
      chunks.push(chunk);
    }
  } catch (error) {
    throw fetchFailure(error, request, Math.round(performance.now() - started), mask);
  } finally {
    stream.destroy();
    agents.destroy();
  }
  const text = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/^\uFEFF/, '');
  if (statusCode < 200 || statusCode >= 300) throw statusFailure(url, statusCode, mask.text(text));
  const durationMs = Math.round(performance.now() - started);
  return { records: mask.value(parseRecords(url, text, mask)), statusCode, bytes, durationMs, maskText: mask.text };
}

function fetchFailure(error: unknown, request: JsonEndpointRequest, elapsedMs: number, mask: SecretMasker): EndpointFetchError {
  if (error instanceof EndpointFetchError) return error;
  const url = shownUrl(request.url);
  const outbound = findOutboundAddressError(error);
  if (outbound) {
    return new EndpointFetchError('OUTBOUND_FORBIDDEN', true, { url, host: outbound.host, range: outbound.range }, outbound.message, {
      cause: error,
    });
  }
  if (isGotTimeout(error)) {
    return new EndpointFetchError(
      'TIMEOUT',
      true,
      { url, limitMs: request.timeoutMs },
      `${url} did not answer within ${request.timeoutMs} ms`,
      {
        cause: error,
      },
    );
  }
  if (request.signal?.aborted)
    return new EndpointFetchError('ABORTED', false, { url }, `call to ${url} aborted after ${elapsedMs} ms`, { cause: error });
  const code = error !== null && typeof error === 'object' && 'code' in error ? String(error.code) : 'ERROR';
  const detail = mask.text(withUrlShown(error instanceof Error ? error.message : String(error), request.url, url));
  // A socket that cannot connect may work later; anything else unexpected is not worth a retry loop either way.
  return new EndpointFetchError(
    'UNREACHABLE',
    !NETWORK_CODES.has(code),
    { url, code, detail },
    `could not reach ${url} (${code}): ${detail}`,
    {
      cause: error,
    },
  );
}

function statusFailure(url: string, status: number, text: string): EndpointFetchError {
  const transient = status >= 500 || status === 429 || status === 408;
  const detail = text.trim().slice(0, 300);
  return new EndpointFetchError(
    'HTTP_STATUS',
    !transient,
    { url, status, detail },
    `${url} answered HTTP ${status}${detail ? `: ${detail}` : ''}`,
  );
}

function parseRecords(url: string, text: string, mask: SecretMasker): unknown[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    // JSON.parse's message quotes the start of the text.
    const detail = mask.text((error as Error).message);
    throw new EndpointFetchError('NOT_JSON', true, { url, detail }, `${url} did not answer JSON: ${detail}`, { cause: error });
  }
  if (!Array.isArray(body)) {
    const got = body === null ? 'null' : typeof body;
    throw new EndpointFetchError('NOT_ARRAY', true, { url, got }, `${url} answered a JSON ${got}, expected an array of records`);
  }
  return body;
}
