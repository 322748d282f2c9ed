import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { runWithRequestId } from '@integrador/queue';
import type { FastifyInstance } from 'fastify';

/** Probes and scrapes come every few seconds: their request lines are debug, not info. */
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** Fastify's disableRequestLogging: its info lines are skipped for probes (registerRequestId logs them at debug). */
export function isQuietRequest(request: { url: string }): boolean {
  return QUIET_PATHS.has(request.url.split('?')[0] ?? '');
}

/** A caller's id is kept when it is a short token (it lands in logs and job data); otherwise one is made. */
const ACCEPTED = /^[A-Za-z0-9._:-]{1,128}$/;

/** Fastify's genReqId: the x-request-id header when acceptable, else a new UUID. */
export function requestIdOf(request: IncomingMessage): string {
  const header = request.headers['x-request-id'];
  return typeof header === 'string' && ACCEPTED.test(header) ? header : randomUUID();
}

/** Returns the id in x-request-id, makes it the request id of every job the request enqueues, logs probes at debug. */
export function registerRequestId(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    // done() inside run(): the rest of the request's hooks and its handler see the id (AsyncLocalStorage).
    runWithRequestId(request.id, done);
  });
  app.addHook('onResponse', async (request, reply) => {
    if (isQuietRequest(request)) {
      request.log.debug({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
    }
  });
}
