import { type Dispatcher, errors, interceptors, request } from 'undici';
import { createGuardedAgent } from './outbound-guard';

// soap's HttpClient makes every request through axios unless given a `request` function; it hands that function an
// axios-style config (url, method, headers, data, and the options we pass per call) and reads status, headers and
// data from what it resolves to. axios' per-request machinery (config merging, header objects, interceptors, its
// adapter) cost about as much CPU as the rest of a SOAP call put together (bench/README.md, SET section). This is
// that request on undici, through one guarded Agent per transport (outbound-guard.ts): no redirect is followed and
// no HTTP(S)_PROXY read, as the axios options said before; the size limit, decoding and idle bounds are undici's.

/** The fields of soap's request config used here; soap sets url, method, headers and data, we add the rest. */
export interface SoapHttpOptions {
  url: string;
  method?: string;
  headers?: Record<string, string | number>;
  data?: string | Buffer | null;
  /** The transport's dispatcher (createSoapDispatcher); undici's global one when absent (tests only). */
  dispatcher?: Dispatcher;
  /** Idle limit between bytes of the answer (the WSDL load's only bound; a call's deadline is its signal). */
  timeout?: number;
  signal?: AbortSignal;
  /** Only soap's attachment and stream modes set it, and the transport uses neither. */
  responseType?: string;
}

/** What soap reads of an answer (soap never rejects on a status: it reads faults out of 500s). */
export interface SoapHttpResponse {
  status: number;
  statusText: string;
  headers: Record<string, string | string[] | undefined>;
  data: string;
  config: SoapHttpOptions;
}

/** The request was given up on our side: an answer too large, an idle socket, a mode soap asked for that we do not serve. */
export class SoapHttpError extends Error {
  override name = 'SoapHttpError';
  constructor(
    message: string,
    readonly code: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * The dispatcher of one SOAP transport: the guarded Agent, with answers decoded when a server compresses although
 * soap asks it not to (`Accept-Encoding: none`), 500s included (their body is the fault), and refused past
 * `maxResponseBytes` both as received and once decoded (a small gzip can inflate to gigabytes).
 */
export function createSoapDispatcher(options: { allowPrivateNetwork?: boolean; maxResponseBytes: number }): Dispatcher {
  return createGuardedAgent({ allowPrivateNetwork: options.allowPrivateNetwork, maxResponseSize: options.maxResponseBytes }).compose(
    interceptors.decompress({ skipErrorResponses: false, maxSize: options.maxResponseBytes }),
  );
}

/** undici's errors as the transport's failure mapping knows them (soap-errors.ts, http-failures.ts); others as they came. */
function translated(error: unknown, url: URL, timeout: number | undefined): unknown {
  if (error instanceof errors.ResponseExceededMaxSizeError) {
    return new SoapHttpError(`the answer from ${url.origin} is larger than the limit`, 'ERR_RESPONSE_TOO_LARGE', { cause: error });
  }
  if (error instanceof errors.HeadersTimeoutError || error instanceof errors.BodyTimeoutError) {
    return new SoapHttpError(`no data from ${url.origin} for ${timeout} ms`, 'ETIMEDOUT', { cause: error });
  }
  if (error instanceof errors.ConnectTimeoutError) {
    return Object.assign(new Error(`could not connect to ${url.origin} in time`, { cause: error }), { code: 'ETIMEDOUT' });
  }
  // The connection closed before the answer was whole ("other side closed"): what node:http calls ECONNRESET.
  if (error instanceof errors.SocketError || error instanceof errors.ClientClosedError) {
    return Object.assign(new Error(`the connection to ${url.origin} closed before the answer ended`, { cause: error }), {
      code: 'ECONNRESET',
    });
  }
  return error;
}

/** soap's `request` option: one HTTP exchange, resolved with the answer whatever its status. */
export async function soapHttpRequest(options: SoapHttpOptions): Promise<SoapHttpResponse> {
  if (options.responseType !== undefined && options.responseType !== 'json' && options.responseType !== 'text') {
    throw new SoapHttpError(`soap asked for a ${options.responseType} answer, which this transport does not read`, 'ERR_UNSUPPORTED');
  }
  // An aborted signal (the preview's) gives up before any socket is opened.
  if (options.signal?.aborted) throw options.signal.reason ?? new SoapHttpError('aborted', 'ABORT_ERR');
  const url = new URL(options.url);
  try {
    const response = await request(url, {
      method: (options.method ?? 'GET') as Dispatcher.HttpMethod,
      headers: options.headers as Record<string, string>,
      body: options.data ?? null,
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.timeout ? { headersTimeout: options.timeout, bodyTimeout: options.timeout } : {}),
    });
    return {
      status: response.statusCode,
      statusText: response.statusText ?? '',
      headers: response.headers,
      data: await response.body.text(),
      config: options,
    };
  } catch (error) {
    throw translated(error, url, options.timeout);
  }
}
