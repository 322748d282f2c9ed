import type http from 'node:http';
import { request as httpRequest } from 'node:http';
import https from 'node:https';
import zlib from 'node:zlib';

// soap's HttpClient makes every request through axios unless given a `request` function; it hands that function an
// axios-style config (url, method, headers, data, and the options we pass per call) and reads status, headers and
// data from what it resolves to. axios' per-request machinery (config merging, header objects, interceptors, its
// adapter) cost about as much CPU as the rest of a SOAP call put together: 1.1–1.6 ms against 0.7–0.8 ms per call
// on node:http, measured in one process alternately (bench/README.md, SET section). This is that request on
// node:http through the transport's agents (outbound-guard.ts): no redirect is followed and no HTTP(S)_PROXY read,
// as the axios options said before.

/** The fields of soap's request config used here; soap sets url, method, headers and data, we add the rest. */
export interface SoapHttpOptions {
  url: string;
  method?: string;
  headers?: Record<string, string | number>;
  data?: string | Buffer | null;
  httpAgent?: http.Agent;
  httpsAgent?: https.Agent;
  /** Socket inactivity limit (the WSDL load's only bound; a call's deadline is its signal). */
  timeout?: number;
  signal?: AbortSignal;
  /** Bytes of (decoded) answer past which the request is given up. */
  maxContentLength?: number;
  /** Only soap's attachment and stream modes set it, and the transport uses neither. */
  responseType?: string;
}

/** What soap reads of an answer (soap never rejects on a status: it reads faults out of 500s). */
export interface SoapHttpResponse {
  status: number;
  statusText: string;
  headers: http.IncomingHttpHeaders;
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

function decoded(response: http.IncomingMessage): NodeJS.ReadableStream {
  switch (response.headers['content-encoding']) {
    case 'gzip':
    case 'x-gzip':
      return response.pipe(zlib.createGunzip());
    case 'deflate':
      return response.pipe(zlib.createInflate());
    case 'br':
      return response.pipe(zlib.createBrotliDecompress());
    default:
      return response;
  }
}

/** soap's `request` option: one HTTP exchange, resolved with the answer whatever its status. */
export function soapHttpRequest(options: SoapHttpOptions): Promise<SoapHttpResponse> {
  return new Promise((resolve, reject) => {
    if (options.responseType !== undefined && options.responseType !== 'json' && options.responseType !== 'text') {
      reject(new SoapHttpError(`soap asked for a ${options.responseType} answer, which this transport does not read`, 'ERR_UNSUPPORTED'));
      return;
    }
    // An aborted signal (the preview's) gives up before any socket is opened.
    if (options.signal?.aborted) {
      reject(options.signal.reason ?? new SoapHttpError('aborted', 'ABORT_ERR'));
      return;
    }
    const url = new URL(options.url);
    const agent = url.protocol === 'https:' ? options.httpsAgent : options.httpAgent;
    const send = url.protocol === 'https:' ? https.request : httpRequest;
    const limit = options.maxContentLength ?? Number.POSITIVE_INFINITY;
    const request = send(
      url,
      {
        method: options.method ?? 'GET',
        headers: options.headers,
        ...(agent ? { agent } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      },
      (response) => {
        const body = decoded(response);
        const chunks: Buffer[] = [];
        let size = 0;
        body.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > limit) fail(new SoapHttpError(`the answer is larger than ${limit} bytes`, 'ERR_RESPONSE_TOO_LARGE'));
          else chunks.push(chunk);
        });
        body.on('error', fail);
        body.on('end', () => {
          if (size > limit) return;
          resolve({
            status: response.statusCode ?? 0,
            statusText: response.statusMessage ?? '',
            headers: response.headers,
            data: Buffer.concat(chunks, size).toString('utf8'),
            config: options,
          });
        });
        // The connection closed before the answer was whole (node may report it on neither stream).
        response.on('close', () => {
          if (!response.complete) fail(Object.assign(new Error('the connection closed before the answer ended'), { code: 'ECONNRESET' }));
        });
      },
    );
    // Rejected with our error; the request is destroyed without one, so no stream re-emits it where nobody listens.
    const fail = (error: Error) => {
      reject(error);
      request.destroy();
    };
    request.on('error', reject);
    if (options.timeout) {
      request.setTimeout(options.timeout, () =>
        fail(new SoapHttpError(`no data from ${url.origin} for ${options.timeout} ms`, 'ETIMEDOUT')),
      );
    }
    request.end(options.data ?? undefined);
  });
}
