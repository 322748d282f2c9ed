import { randomUUID } from 'node:crypto';
import {
  bindIdempotencyKey,
  type IdempotencyStore,
  releaseIdempotencyKey,
  requestFingerprint,
  withdrawIdempotencyReplay,
  withRedisDeadline,
} from '@integrador/queue';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from '../http-error';

declare module 'fastify' {
  interface FastifyRequest {
    /** The fingerprint this request bound its Idempotency-Key to (first use), released if the request is refused. */
    idempotencyBound?: string;
    /** This request's name among the replays of its Idempotency-Key (a replay), withdrawn if the request is refused. */
    idempotencyReplay?: string;
  }
}

/** Methods that change nothing: their Idempotency-Key is ignored (Fastify answers HEAD for every GET route). */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const tenantOf = (request: FastifyRequest) => {
  const { empresaId, filialId } = (request as FastifyRequest & { tenant: { empresaId: number; filialId: number | null } }).tenant;
  return { empresaId, filialId };
};

/**
 * The one admission of an Idempotency-Key on /v1 (IETF draft-ietf-httpapi-idempotency-key): after validation, the key
 * is bound to the request's fingerprint (method, route, path, query, body) for the tenant. A replay of the same request
 * goes on to the route, whose job ids (idempotentJobId) or stored answer (crm-change) answer it deduplicated; the same
 * key with another route or body is a 422 IDEMPOTENCY_KEY_REUSED and does nothing. A request refused with a 4xx frees its key, so the client may correct the body and send it again under the same
 * key — unless a replay of it matched the binding meanwhile and was not refused (see releaseIdempotencyKey): a replay
 * refused with a 4xx did nothing either, and withdraws its mark. GET, HEAD and OPTIONS ignore the header.
 */
export function registerIdempotencyBinding(scope: FastifyInstance, redis: IdempotencyStore, prefix: string, timeoutMs: number): void {
  scope.addHook('preHandler', async (request) => {
    const key = request.headers['idempotency-key'];
    if (typeof key !== 'string' || SAFE_METHODS.has(request.method)) return;
    const fingerprint = requestFingerprint({
      method: request.method,
      route: request.routeOptions.url ?? request.url,
      params: request.params,
      query: request.query,
      body: request.body,
    });
    // Redis down or frozen: 503 QUEUE_UNAVAILABLE, as the enqueue the key guards would answer.
    // Random, not the request id: a client may send its own X-Request-Id, the same on two replays.
    const replay = randomUUID();
    const binding = bindIdempotencyKey(redis, prefix, tenantOf(request), key, fingerprint, replay);
    const outcome = await withRedisDeadline(binding, timeoutMs, 'Idempotency-Key binding');
    if (outcome === 'reused') throw new HttpError(422, 'IDEMPOTENCY_KEY_REUSED');
    if (outcome === 'bound') request.idempotencyBound = fingerprint;
    else request.idempotencyReplay = replay;
  });
  scope.addHook('onResponse', async (request, reply) => {
    const key = request.headers['idempotency-key'];
    // Only a 4xx undoes what the request did to its key: a 503 may come after part of the work (crm-change enqueues one
    // job per integration, then its webhooks), and a freed key would let another body join those jobs; the same
    // request may always be retried.
    const refused = reply.statusCode >= 400 && reply.statusCode < 500;
    if (typeof key !== 'string' || !refused) return;
    const { idempotencyBound: fingerprint, idempotencyReplay: replay } = request;
    let undo: Promise<void>;
    if (fingerprint !== undefined) undo = releaseIdempotencyKey(redis, prefix, tenantOf(request), key, fingerprint);
    else if (replay !== undefined) undo = withdrawIdempotencyReplay(redis, prefix, tenantOf(request), key, replay);
    else return;
    await withRedisDeadline(undo, timeoutMs, 'Idempotency-Key release').catch((err) =>
      request.log.warn({ err }, 'could not free an Idempotency-Key binding'),
    );
  });
}
