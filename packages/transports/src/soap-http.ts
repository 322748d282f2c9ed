import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { type Dispatcher, errors, request } from 'undici';
import { findOutboundAddressError } from './errors';
import { createGuardedAgent } from './outbound-guard';

// soap's HttpClient makes every request through axios unless given a `request` function; it hands that function an
// axios-style config (url, method, headers, data, and the options we pass per call) and reads status, headers and
// data from what it resolves to. axios' per-request machinery (config merging, header objects, interceptors, its
// adapter) cost about as much CPU as the rest of a SOAP call put together (bench/README.md, SET section). This is
// that request on undici, through one guarded Agent per transport (outbound-guard.ts): no redirect is followed and
// no HTTP(S)_PROXY read, as the axios options said before; the size limit and idle bounds are undici's, a compressed
// answer is decoded by node:zlib (undici's decompress interceptor is still experimental and warns in every process)
// within the call's maxResponseBytes.

/** The fields of soap's request config used here; soap sets url, method, headers and data, we add the rest. */
export interface SoapHttpOptions {
  url: string;
  method?: string;
  headers?: Record<string, string | number>;
  data?: string | Buffer | null;
  /** The transport's dispatcher (createSoapDispatcher); undici's global one when absent (tests only). */
  dispatcher?: Dispatcher;
  /**
   * The largest answer accepted once decoded (a small gzip can inflate to gigabytes); the dispatcher holds the same
   * bound on the bytes as received. Required: soap hands our options through untyped, so a missing one is refused.
   */
  maxResponseBytes: number;
  /** Idle limit between bytes of the answer (the WSDL load's only bound; a call's deadline is its signal). */
  timeout?: number;
  signal?: AbortSignal;
  /** Only soap's attachment and stream modes set it, and the transport uses neither. */
  responseType?: string;
  /**
   * Set for the WSDL fetch (and its imports): an answer other than 200 is rejected here with its status and headers.
   * soap would reject it too, keeping only the status in its message: a 429's Retry-After would be lost.
   */
  wsdlFetch?: boolean;
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
  /** The size limit an answer went past (code ERR_RESPONSE_TOO_LARGE). */
  readonly limitBytes: number | undefined;
  /** A WSDL fetch's answer other than 200 (code ERR_WSDL_STATUS): read where soap's own errors keep it (soap-errors.ts). */
  readonly response: { status: number; headers: SoapHttpResponse['headers'] } | undefined;
  constructor(
    message: string,
    readonly code: string,
    options?: ErrorOptions & { limitBytes?: number; response?: { status: number; headers: SoapHttpResponse['headers'] } },
  ) {
    super(message, options);
    this.limitBytes = options?.limitBytes;
    this.response = options?.response;
  }
}

/** An answer past `limitBytes`, as received or once decoded. */
function tooLarge(url: URL, limitBytes: number, cause: unknown): SoapHttpError {
  return new SoapHttpError(`the answer from ${url.origin} is larger than the limit (${limitBytes} bytes)`, 'ERR_RESPONSE_TOO_LARGE', {
    cause,
    limitBytes,
  });
}

/**
 * The dispatcher of one SOAP transport: the guarded Agent, refusing an answer past `maxResponseBytes` as received.
 * soapHttpRequest decodes an answer a server compressed although soap asks it not to (`Accept-Encoding: none`), 500s
 * included (their body is the fault), and refuses it past its call's own `maxResponseBytes` once decoded.
 */
export function createSoapDispatcher(options: {
  allowPrivateNetwork?: boolean;
  maxResponseBytes: number;
  /** TCP + TLS handshake limit: the connection's timeoutMs (undici's own default, 10 s, would hide it). */
  connectTimeoutMs?: number;
}): Dispatcher {
  return createGuardedAgent({
    allowPrivateNetwork: options.allowPrivateNetwork,
    maxResponseSize: options.maxResponseBytes,
    ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }),
  });
}

/**
 * The request's answer, or the signal's reason as soon as it aborts. undici defers an abort until the request has a
 * connected socket (before that it is only queued), so a call waiting on a connect that never completes would outlive
 * its deadline until the connect timeout; undici drops the request itself when that connect ends.
 */
function answerOrAbort(pending: Promise<Dispatcher.ResponseData>, signal: AbortSignal): Promise<Dispatcher.ResponseData> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    pending.then(
      (response) => {
        signal.removeEventListener('abort', onAbort);
        // Answered after we gave up (undici aborts such a request on connect): nothing reads this body.
        if (signal.aborted) response.body.destroy();
        resolve(response);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

const DECODERS: Readonly<Record<string, (data: Buffer, options: zlib.ZlibOptions | zlib.BrotliOptions) => Promise<Buffer>>> = {
  gzip: promisify(zlib.gunzip),
  'x-gzip': promisify(zlib.gunzip),
  deflate: promisify(zlib.inflate),
  br: promisify(zlib.brotliDecompress),
};

/** The answer's text, its content codings undone (last applied first), at most `maxBytes` once decoded. */
async function decodedText(body: Buffer, encoding: string | string[] | undefined, url: URL, maxBytes: number): Promise<string> {
  const codings = String(encoding ?? '')
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity');
  let data = body;
  for (const coding of codings.reverse()) {
    const decode = DECODERS[coding];
    if (!decode) throw new SoapHttpError(`${url.origin} answered in an unknown content coding (${coding})`, 'ERR_UNSUPPORTED_ENCODING');
    try {
      data = await decode(data, { maxOutputLength: maxBytes });
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(url, maxBytes, error);
      throw new SoapHttpError(`the ${coding} answer from ${url.origin} could not be decoded`, 'ERR_BAD_ENCODING', { cause: error });
    }
  }
  return data.toString('utf8');
}

/** undici's errors as the transport's failure mapping knows them (soap-errors.ts, http-failures.ts); others as they came. */
function translated(error: unknown, url: URL, timeout: number | undefined, maxResponseBytes: number): unknown {
  // The dispatcher holds the same bound as the call (createSoapDispatcher).
  if (error instanceof errors.ResponseExceededMaxSizeError) return tooLarge(url, maxResponseBytes, error);
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
  if (error instanceof SoapHttpError || findOutboundAddressError(error)) return error;
  // Anything else the exchange met (TLS and certificate errors, a malformed answer, an address not available) is a
  // failure to reach the receptor, retried like the others (soap-errors.ts); its own code stays on the error.
  const code = (error as { code?: unknown } | null)?.code;
  const reason = error instanceof Error ? error.message : String(error);
  return new SoapHttpError(`could not exchange with ${url.origin}: ${reason}`, typeof code === 'string' ? code : 'ERR_NETWORK', {
    cause: error,
  });
}

/** soap's `request` option: one HTTP exchange, resolved with the answer whatever its status. */
export async function soapHttpRequest(options: SoapHttpOptions): Promise<SoapHttpResponse> {
  if (options.responseType !== undefined && options.responseType !== 'json' && options.responseType !== 'text') {
    throw new SoapHttpError(`soap asked for a ${options.responseType} answer, which this transport does not read`, 'ERR_UNSUPPORTED');
  }
  // Without it an answer's decoding would have no bound at all: a wiring mistake, refused before any byte is sent.
  if (!Number.isSafeInteger(options.maxResponseBytes) || options.maxResponseBytes <= 0) {
    throw new TypeError(`soapHttpRequest: expected a positive maxResponseBytes, got ${String(options.maxResponseBytes)}`);
  }
  // An aborted signal (the preview's) gives up before any socket is opened.
  if (options.signal?.aborted) throw options.signal.reason ?? new SoapHttpError('aborted', 'ABORT_ERR');
  const url = new URL(options.url);
  try {
    const pending = request(url, {
      method: (options.method ?? 'GET') as Dispatcher.HttpMethod,
      headers: options.headers as Record<string, string>,
      body: options.data ?? null,
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.timeout ? { headersTimeout: options.timeout, bodyTimeout: options.timeout } : {}),
    });
    const response = await (options.signal ? answerOrAbort(pending, options.signal) : pending);
    if (options.wsdlFetch && response.statusCode !== 200) {
      await response.body.dump();
      const { statusCode: status, headers } = response;
      throw new SoapHttpError(`the WSDL at ${url.href} answered HTTP ${status}`, 'ERR_WSDL_STATUS', { response: { status, headers } });
    }
    return {
      status: response.statusCode,
      statusText: response.statusText ?? '',
      headers: response.headers,
      data: await decodedText(
        Buffer.from(await response.body.arrayBuffer()),
        response.headers['content-encoding'],
        url,
        options.maxResponseBytes,
      ),
      config: options,
    };
  } catch (error) {
    // Our deadline or the caller's signal: the transport tells those apart itself (soap-transport.ts).
    if (options.signal?.aborted) throw error;
    throw translated(error, url, options.timeout, options.maxResponseBytes);
  }
}
