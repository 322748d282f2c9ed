import { randomUUID } from 'node:crypto';
import {
  bindIdempotencyKey,
  dropIdempotencyPending,
  type IdempotencyStore,
  idempotentAnswer,
  markIdempotencyPending,
  releaseIdempotencyKey,
  requestFingerprint,
  storeIdempotentAnswer,
  withdrawIdempotencyReplay,
  withRedisDeadline,
} from '@integrador/queue';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../http-error';
import { IdempotencyHeaders } from '../schemas';

declare module 'fastify' {
  interface FastifyRequest {
    /** The fingerprint this request bound its Idempotency-Key to (first use), released if the request is refused. */
    idempotencyBound?: string;
    /** This request's name among the replays of its Idempotency-Key (a replay), withdrawn if the request is refused. */
    idempotencyReplay?: string;
    /** The fingerprint under which this request's 2xx answer is kept for its replays (first use, or a replay that ran). */
    idempotencyAnswerable?: string;
    /** This request was answered from a stored first answer: nothing ran, nothing is stored. */
    idempotencyReplayed?: boolean;
  }
}

/** Methods that change nothing: their Idempotency-Key is ignored (Fastify answers HEAD for every GET route). */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const tenantOf = (request: FastifyRequest) => {
  const { empresaId, filialId } = (request as FastifyRequest & { tenant: { empresaId: number; filialId: number | null } }).tenant;
  return { empresaId, filialId };
};

/**
 * How a stored first answer is kept at rest: it may hold a secret shown once (a webhook's signing secret), so build-app
 * seals it as the webhook secrets are (WEBHOOK_SECRET_KEY).
 */
export interface AnswerSealing {
  seal(text: string): string;
  open(stored: string): string;
}

const PLAIN_SEALING: AnswerSealing = { seal: (text) => text, open: (stored) => stored };

/** A first answer as kept for its replays. */
interface StoredAnswer {
  status: number;
  body: string;
}

/**
 * Answers a replay with the first request's answer: same status and body, `deduplicated: true` in a JSON object body
 * (nothing was done this time), and the header Idempotent-Replayed.
 */
function sendStoredAnswer(reply: FastifyReply, answer: StoredAnswer): FastifyReply {
  let body = answer.body;
  if (body !== '') {
    const parsed: unknown = JSON.parse(body);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) body = JSON.stringify({ ...parsed, deduplicated: true });
    reply.header('content-type', 'application/json; charset=utf-8');
  }
  return reply.code(answer.status).header('idempotent-replayed', 'true').send(body);
}

/**
 * The one admission of an Idempotency-Key on /v1 (IETF draft-ietf-httpapi-idempotency-key), for every route but GET,
 * HEAD and OPTIONS (which ignore the header): the key is validated by one rule (schemas.ts IdempotencyHeaders, given to
 * each such route here) and bound to the request's fingerprint (method, route, path, query, body) for the tenant. The
 * first 2xx answer is kept beside the binding (status and body, sealed), and a replay of the same request is answered
 * from it, deduplicated, without running the route again; a replay while the first request still runs is a 409
 * IDEMPOTENCY_KEY_IN_PROGRESS; a replay after a first request that answered nothing to keep (a 5xx) runs the route,
 * whose job ids (idempotentJobId) still find the first jobs. The same key with another route or body is a 422
 * IDEMPOTENCY_KEY_REUSED and does nothing. A request refused with a 4xx frees its key, so the client may correct the
 * body and send it again under the same key — unless a replay of it matched the binding meanwhile and was not refused
 * (see releaseIdempotencyKey): a replay refused with a 4xx (the 409 included) did nothing either, and withdraws its mark.
 */
export function registerIdempotencyBinding(
  scope: FastifyInstance,
  redis: IdempotencyStore,
  prefix: string,
  timeoutMs: number,
  sealing: AnswerSealing = PLAIN_SEALING,
): void {
  scope.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (methods.every((method) => SAFE_METHODS.has(method)) || route.schema?.headers !== undefined) return;
    route.schema = { ...route.schema, headers: IdempotencyHeaders };
  });
  scope.addHook('preHandler', async (request, reply) => {
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
    const tenant = tenantOf(request);
    // Random, not the request id: a client may send its own X-Request-Id, the same on two replays.
    const replay = randomUUID();
    const binding = bindIdempotencyKey(redis, prefix, tenant, key, fingerprint, replay);
    const outcome = await withRedisDeadline(binding, timeoutMs, 'Idempotency-Key binding');
    if (outcome === 'reused') throw new HttpError(422, 'IDEMPOTENCY_KEY_REUSED');
    if (outcome === 'bound') {
      request.idempotencyBound = fingerprint;
      request.idempotencyAnswerable = fingerprint;
      await withRedisDeadline(markIdempotencyPending(redis, prefix, tenant, key), timeoutMs, 'Idempotency-Key binding');
      return;
    }
    request.idempotencyReplay = replay;
    const first = await withRedisDeadline(idempotentAnswer(redis, prefix, tenant, key), timeoutMs, 'Idempotency-Key binding');
    if (first.state === 'pending') {
      reply.header('retry-after', '1');
      throw new HttpError(409, 'IDEMPOTENCY_KEY_IN_PROGRESS');
    }
    if (first.state === 'none') {
      request.idempotencyAnswerable = fingerprint;
      return;
    }
    request.idempotencyReplayed = true;
    return sendStoredAnswer(reply, JSON.parse(sealing.open(first.stored)) as StoredAnswer);
  });
  scope.addHook('onSend', async (request, reply, payload) => {
    const fingerprint = request.idempotencyAnswerable;
    const key = request.headers['idempotency-key'];
    const answered = reply.statusCode >= 200 && reply.statusCode < 300;
    if (fingerprint === undefined || typeof key !== 'string' || !answered) return payload;
    // Kept before the client reads the answer, so a replay it sends next finds it. A body not held as text (none of
    // the /v1 answers) is kept empty.
    const body = typeof payload === 'string' ? payload : '';
    const stored = sealing.seal(JSON.stringify({ status: reply.statusCode, body } satisfies StoredAnswer));
    const store = storeIdempotentAnswer(redis, prefix, tenantOf(request), key, fingerprint, stored);
    await withRedisDeadline(store, timeoutMs, 'Idempotency-Key answer').catch((err) =>
      request.log.warn({ err }, 'could not keep an Idempotency-Key answer'),
    );
    return payload;
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
  // After the release: the first request answered nothing to keep (refused, or failed), so a replay may run the route.
  scope.addHook('onResponse', async (request, reply) => {
    const key = request.headers['idempotency-key'];
    const answered = reply.statusCode >= 200 && reply.statusCode < 300;
    if (request.idempotencyBound === undefined || typeof key !== 'string' || answered) return;
    const drop = dropIdempotencyPending(redis, prefix, tenantOf(request), key);
    await withRedisDeadline(drop, timeoutMs, 'Idempotency-Key release').catch((err) =>
      request.log.warn({ err }, 'could not clear an Idempotency-Key pending marker'),
    );
  });
}
