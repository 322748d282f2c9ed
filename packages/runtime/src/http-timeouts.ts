import type { ServerOptions } from 'node:http';
import type { HttpTimeouts } from '@integrador/config';

/** The timeout options of a Fastify HTTP/1 server (fastify's option names), built from the HTTP_*_TIMEOUT_MS variables. */
export interface HttpServerTimeouts {
  requestTimeout: number;
  keepAliveTimeout: number;
  connectionTimeout: number;
  http: ServerOptions;
}

/**
 * Fastify's options for the configured timeouts. Fastify 5 defaults to no request timeout at all, so a client trickling
 * a body (or headers) a byte at a time would hold its connection for ever; Node cuts a request older than
 * requestTimeout (headers included) with a 408, checking every connectionsCheckingInterval, which is set to half the
 * timeout so that a slow request is cut within 1.5 × requestTimeoutMs (Node's 30 s check would allow a minute more).
 */
export function httpServerTimeouts(timeouts: HttpTimeouts): HttpServerTimeouts {
  const { requestTimeoutMs, keepAliveTimeoutMs, idleTimeoutMs } = timeouts;
  return {
    requestTimeout: requestTimeoutMs,
    keepAliveTimeout: keepAliveTimeoutMs,
    connectionTimeout: idleTimeoutMs,
    http: {
      requestTimeout: requestTimeoutMs,
      headersTimeout: requestTimeoutMs,
      connectionsCheckingInterval: Math.max(100, Math.min(30000, Math.floor(requestTimeoutMs / 2))),
    },
  };
}
