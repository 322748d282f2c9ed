import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { runWithRequestId } from '@integrador/queue';
import { type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from 'fastify';

/** Probes and scrapes come every few seconds: their request lines are debug, not info. */
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** By the matched route's pattern (no URL splitting on every request); the probes' patterns are their paths. */
function isQuietRequest(request: FastifyRequest): boolean {
  const route = request.routeOptions.url;
  return route !== undefined && QUIET_PATHS.has(route);
}

/**
 * Fastify's request lines (`incoming request`, `request completed`), at debug for probes and scrapes. Fastify 5.12
 * deprecates the top-level disableRequestLogging option in favour of a LogController; this one lowers the level
 * instead of dropping the lines, so LOG_LEVEL=debug still shows them. Errors keep Fastify's levels.
 */
export class ProbeQuietLogController extends LogController {
  override incomingRequest(request: FastifyRequest, reply: FastifyReply, metadata?: Record<string, unknown>): void {
    if (isQuietRequest(request)) request.log.debug({ req: request }, 'incoming request');
    else super.incomingRequest(request, reply, metadata);
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
    metadata?: Record<string, unknown>,
  ): void {
    if (error || !isQuietRequest(request)) super.requestCompleted(error, request, reply, metadata);
    else reply.log.debug({ res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}

/** A caller's id is kept when it is a short token (it lands in logs and job data); otherwise one is made. */
const ACCEPTED = /^[A-Za-z0-9._:-]{1,128}$/;

/** Fastify's genReqId: the x-request-id header when acceptable, else a new UUID. */
export function requestIdOf(request: IncomingMessage): string {
  const header = request.headers['x-request-id'];
  return typeof header === 'string' && ACCEPTED.test(header) ? header : randomUUID();
}

/** Returns the id in x-request-id and makes it the request id of every job the request enqueues. */
export function registerRequestId(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    // done() inside run(): the rest of the request's hooks and its handler see the id (AsyncLocalStorage).
    runWithRequestId(request.id, done);
  });
}
