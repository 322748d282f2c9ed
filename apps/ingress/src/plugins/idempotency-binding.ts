import { randomUUID } from 'node:crypto';
import type { TenantRef } from '@integrador/jobs';
import {
  bindIdempotencyKey,
  dropIdempotencyPending,
  IDEMPOTENCY_PENDING_MAX_MS,
  IDEMPOTENCY_PENDING_TTL_MS,
  type IdempotencyStore,
  releaseIdempotencyKey,
  renewIdempotencyPending,
  requestFingerprint,
  storeIdempotentAnswer,
  withdrawIdempotencyReplay,
  withRedisDeadline,
} from '@integrador/queue';
import { isWriteMethod } from '@integrador/runtime';
import { WebhookError } from '@integrador/webhooks';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import { HttpError } from '../http-error';
import { IdempotencyHeaders } from '../schemas';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * false on a POST that changes nothing (a preview, a connection test, a token): its 2xx answer is not kept for
     * replays of its Idempotency-Key — it may hold an ERP's or a person's data, kept 7 days for nothing — so a replay
     * runs it again.
     */
    idempotentAnswer?: boolean;
    /**
     * The body as the route handles it, fingerprinted in place of the raw one (crm-change: the id as digits, operacao
     * with its default, tabela in lower case), so a retry spelling the same request another way is not a 422. Given the
     * request's Idempotency-Key (crm-change: a body chave other than the key is part of what the key is bound to).
     */
    idempotentBody?: (body: unknown, key: string) => unknown;
  }
  interface FastifyRequest {
    /** The fingerprint this request bound its Idempotency-Key to (first use), released if the request is refused. */
    idempotencyBound?: string;
    /** This request's name among the replays of its Idempotency-Key (a replay), withdrawn if the request is refused. */
    idempotencyReplay?: string;
    /** The fingerprint under which this request's 2xx answer is kept for its replays (first use, or a replay that ran). */
    idempotencyAnswerable?: string;
    /** This request was answered from a stored first answer: nothing ran, nothing is stored. */
    idempotencyReplayed?: boolean;
    /** The pending marker this request holds while it runs (its token), and the timer renewing it. */
    idempotencyPending?: { token: string; renewal: NodeJS.Timeout | undefined; answered: boolean };
    /** The status this request answered, once its onSend ran (the answer is known, maybe not yet written). */
    idempotencyOutcome?: number;
    /** What this request did to its key was settled (on response, or when its client hung up before). */
    idempotencySettled?: boolean;
  }
}

/**
 * The largest answer kept for replays. A larger one is not kept (a replay runs the route again, and an enqueueing
 * route's job ids still find the first jobs): Redis memory is shared by every tenant's bindings for 7 days.
 */
export const IDEMPOTENT_ANSWER_MAX_BYTES = 64 * 1024;

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
function sendStoredAnswer(reply: FastifyReply, answer: StoredAnswer & { parsed: unknown }): FastifyReply {
  let body = answer.body;
  if (body !== '') {
    const { parsed } = answer;
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) body = JSON.stringify({ ...parsed, deduplicated: true });
    reply.header('content-type', 'application/json; charset=utf-8');
  }
  return reply.code(answer.status).header('idempotent-replayed', 'true').send(body);
}

/**
 * The one admission of an Idempotency-Key on /v1 (IETF draft-ietf-httpapi-idempotency-key), for every route but GET,
 * HEAD and OPTIONS (which ignore the header): the key is validated by one rule (schemas.ts IdempotencyHeaders, given to
 * each such route here) and bound to the request's fingerprint (method, route, path, query, body) for the tenant. The
 * first 2xx answer of a route that changes state (not `config.idempotentAnswer: false`), up to
 * IDEMPOTENT_ANSWER_MAX_BYTES, is kept beside the binding (status and body, sealed), and a replay of the same request is
 * answered from it, deduplicated, without running the route again. A request that may answer the key holds its pending
 * marker while it runs (renewed): a replay meanwhile is a 409 IDEMPOTENCY_KEY_IN_PROGRESS; a replay that finds neither
 * marker nor answer (the first request failed, 5xx, or its answer is not kept) takes the marker and runs the route,
 * whose job ids (idempotentJobId) still find the first jobs. The same key with another route or body is a 422
 * IDEMPOTENCY_KEY_REUSED and does nothing. A request refused with a 4xx frees its key, so the client may correct the
 * body and send it again under the same key — unless a replay of it ran meanwhile and was not refused (see
 * releaseIdempotencyKey): a replay refused with a 4xx did nothing either, and withdraws its mark.
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
    if (!methods.some(isWriteMethod)) return;
    route.handler = settledWhenAbandoned(route.handler);
    if (route.schema?.headers === undefined) route.schema = { ...route.schema, headers: IdempotencyHeaders };
  });
  /**
   * The route's handler, settling its request's key (as a 5xx would: still bound, the pending marker dropped, the
   * renewal stopped) when it ends answering nothing to a client that hung up: Fastify then sends nothing (wrap-thenable
   * skips reply.send once the request is aborted), so neither onSend nor onResponse comes, and the marker would be
   * renewed for IDEMPOTENCY_PENDING_MAX_MS. Not at the hang-up itself: the route still runs, and a replay meanwhile
   * must be a 409. A handler that answers (a payload, or reply.send and `return reply`) is settled by the hooks.
   */
  function settledWhenAbandoned(handler: RouteHandlerMethod): RouteHandlerMethod {
    return function (this: FastifyInstance, request, reply) {
      const result: unknown = handler.call(this, request, reply);
      if (!isThenable(result)) return result;
      return result.then((payload) => {
        const gone = request.raw.aborted || !request.socket || request.socket.destroyed;
        if (payload === undefined && !reply.sent && !reply.raw.headersSent && gone)
          settle(request, 500).catch((err) => request.log.warn({ err }, 'could not settle an Idempotency-Key'));
        return payload;
      });
    };
  }

  scope.addHook('preHandler', async (request, reply) => {
    const key = request.headers['idempotency-key'];
    if (typeof key !== 'string' || !isWriteMethod(request.method)) return;
    // The client may hang up after this request's onSend ran but before the answer was written (while a later onSend
    // hook runs): Fastify's onResponse waits for the response's finish, which then never comes. Not judged by
    // writableFinished (true once the socket is gone, finish or not): an answer written whole had its finish, and so
    // its onResponse settled it, before this close.
    reply.raw.once('close', () => {
      if (request.idempotencyOutcome === undefined) return;
      settle(request, request.idempotencyOutcome).catch((err) => request.log.warn({ err }, 'could not settle an Idempotency-Key'));
    });
    const fingerprint = requestFingerprint({
      method: request.method,
      route: request.routeOptions.url ?? request.url,
      params: request.params,
      query: request.query,
      body: request.routeOptions.config.idempotentBody?.(request.body, key) ?? request.body,
    });
    // Redis down or frozen: 503 QUEUE_UNAVAILABLE, as the enqueue the key guards would answer.
    const tenant = tenantOf(request);
    // Random, not the request id: a client may send its own X-Request-Id, the same on two replays.
    const replay = randomUUID();
    const token = randomUUID();
    const deadline = <T>(work: Promise<T>) => withRedisDeadline(work, timeoutMs, 'Idempotency-Key binding');
    try {
      const found = await deadline(bindIdempotencyKey(redis, prefix, tenant, key, fingerprint, replay, token));
      if (found.state === 'reused') throw new HttpError(422, 'IDEMPOTENCY_KEY_REUSED');
      if (found.state === 'unreadable') throw unreadableAnswer(request, 'WrongType');
      if (found.state === 'pending') return inProgress(reply);
      if (found.state === 'bound') request.idempotencyBound = fingerprint;
      if (found.state === 'run') request.idempotencyReplay = replay;
      if (found.state === 'answered') {
        const answer = openAnswer(request, sealing, found.stored);
        request.idempotencyReplayed = true;
        return sendStoredAnswer(reply, answer);
      }
      request.idempotencyAnswerable = fingerprint;
      holdPending(request, () => renewIdempotencyPending(redis, prefix, tenant, key, token), timeoutMs, token);
    } catch (err) {
      // A Redis error or timeout may come after the script ran: undo what it may have done for this request (best
      // effort: its replay mark, its pending marker), so neither holds the key nor holds replays off.
      if (!(err instanceof HttpError)) forget(request, redis, prefix, tenant, key, replay, token, timeoutMs);
      throw err;
    }
  });
  scope.addHook('onSend', async (request, reply, payload) => {
    // The route's work is done: its pending marker is no longer renewed (settled below or on response, or it lapses).
    stopRenewal(request);
    request.idempotencyOutcome = reply.statusCode;
    await keepAnswer(request, reply, payload);
    // A client that hung up before its answer was written gets no onResponse: the key is settled now, as it would be.
    if (reply.raw.destroyed) await settle(request, reply.statusCode);
    return payload;
  });
  scope.addHook('onResponse', async (request, reply) => settle(request, reply.statusCode));

  /** Keeps a 2xx answer of a route that changes state for the replays of its key (the first one, or a replay that ran). */
  async function keepAnswer(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<void> {
    const fingerprint = request.idempotencyAnswerable;
    const key = request.headers['idempotency-key'];
    const answered = reply.statusCode >= 200 && reply.statusCode < 300;
    if (fingerprint === undefined || typeof key !== 'string' || !answered) return;
    if (request.routeOptions.config.idempotentAnswer === false) return;
    // A body not held as text (none of the /v1 answers) is kept empty; a large one is not kept.
    const body = typeof payload === 'string' ? payload : '';
    if (Buffer.byteLength(body) > IDEMPOTENT_ANSWER_MAX_BYTES) return;
    // Kept before the client reads the answer, so a replay it sends next finds it.
    const stored = sealing.seal(JSON.stringify({ status: reply.statusCode, body } satisfies StoredAnswer));
    const store = storeIdempotentAnswer(redis, prefix, tenantOf(request), key, fingerprint, stored);
    await withRedisDeadline(store, timeoutMs, 'Idempotency-Key answer').then(
      (kept) => {
        if (kept && request.idempotencyPending) request.idempotencyPending.answered = true;
      },
      (err) => request.log.warn({ err }, 'could not keep an Idempotency-Key answer'),
    );
  }

  /**
   * Once per request, when its answer is known: undoes what a refused request did to its key, then drops the pending
   * marker of a request whose answer is not kept. Run on response, or when the client hung up before it (onSend, the
   * connection's close after it, or the end of a handler that then answers nothing: no onResponse comes then), so an
   * abandoned request leaves the key as an answered one does, not bound and marked until the marker lapses.
   */
  async function settle(request: FastifyRequest, status: number): Promise<void> {
    stopRenewal(request);
    if (request.idempotencySettled) return;
    request.idempotencySettled = true;
    const key = request.headers['idempotency-key'];
    if (typeof key !== 'string') return;
    await release(request, key, status);
    // After the release: the request answered nothing kept (refused, failed, or an answer not kept), so a replay may
    // run the route. Only this request's own marker: another request may have bound the freed key since.
    const pending = request.idempotencyPending;
    if (pending === undefined || pending.answered) return;
    const drop = dropIdempotencyPending(redis, prefix, tenantOf(request), key, pending.token);
    await withRedisDeadline(drop, timeoutMs, 'Idempotency-Key release').catch((err) =>
      request.log.warn({ err }, 'could not clear an Idempotency-Key pending marker'),
    );
  }

  async function release(request: FastifyRequest, key: string, status: number): Promise<void> {
    // Only a 4xx undoes what the request did to its key: a 503 may come after part of the work (crm-change enqueues one
    // job per integration, then its webhooks), and a freed key would let another body join those jobs; the same
    // request may always be retried.
    const refused = status >= 400 && status < 500;
    const { idempotencyBound: fingerprint, idempotencyReplay: replay } = request;
    // A replay of a route that changes nothing holds nothing either, whatever it answered: its mark goes (a client
    // reusing one key for its previews would otherwise add one for each, for the binding's week).
    const changedNothing = replay !== undefined && request.routeOptions.config.idempotentAnswer === false;
    if (!(refused || changedNothing)) return;
    let undo: Promise<void>;
    if (fingerprint !== undefined) undo = releaseIdempotencyKey(redis, prefix, tenantOf(request), key, fingerprint);
    else if (replay !== undefined) undo = withdrawIdempotencyReplay(redis, prefix, tenantOf(request), key, replay);
    else return;
    await withRedisDeadline(undo, timeoutMs, 'Idempotency-Key release').catch((err) =>
      request.log.warn({ err }, 'could not free an Idempotency-Key binding'),
    );
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

/** A replay while another request holding the key runs: 409, retry shortly. */
function inProgress(reply: FastifyReply): never {
  reply.header('retry-after', '1');
  throw new HttpError(409, 'IDEMPOTENCY_KEY_IN_PROGRESS');
}

/**
 * The stored answer. One that cannot be opened (WEBHOOK_SECRET_KEY changed since it was sealed) or read as this release
 * keeps it (another release's shape during a rolling upgrade: a pending marker without a token, no status, a body that
 * is not JSON) is a 409 IDEMPOTENCY_ANSWER_UNREADABLE, logged without the answer or the key: the first request did its
 * work, and running the route again would do it twice (a second webhook, a second rotation), so the client checks and
 * uses a new key. A key missing on this host is the operator's to set: 503 WEBHOOK_SECRET_KEY_MISSING.
 */
function openAnswer(request: FastifyRequest, sealing: AnswerSealing, stored: string): StoredAnswer & { parsed: unknown } {
  try {
    const answer: unknown = JSON.parse(sealing.open(stored));
    const { status, body } = (answer ?? {}) as Partial<StoredAnswer>;
    // Only a 2xx is kept (keepAnswer); anything else was not written by this release.
    if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 299 || typeof body !== 'string')
      throw new TypeError('not a kept answer');
    return { status, body, parsed: body === '' ? undefined : JSON.parse(body) };
  } catch (err) {
    // A host started without the key the answer was sealed under: 503 WEBHOOK_SECRET_KEY_MISSING, as the webhook
    // secrets answer; running the route instead would do a non-enqueueing route's work twice (a second webhook).
    if (err instanceof WebhookError) throw err;
    throw unreadableAnswer(request, err instanceof Error ? err.name : typeof err);
  }
}

/** The 409 IDEMPOTENCY_ANSWER_UNREADABLE of a replay whose kept answer or binding cannot be read, logged by its reason only. */
function unreadableAnswer(request: FastifyRequest, reason: string): HttpError {
  request.log.warn({ reason }, 'could not open a kept Idempotency-Key answer; the replay is refused');
  return new HttpError(409, 'IDEMPOTENCY_ANSWER_UNREADABLE');
}

/**
 * Renews the request's pending marker every third of its lifetime while the route runs (up to
 * IDEMPOTENCY_PENDING_MAX_MS): a route may run far longer than the marker lives (a connection test, up to 600 s), and
 * a replay must not run it alongside.
 */
function holdPending(request: FastifyRequest, renew: () => Promise<void>, timeoutMs: number, token: string): void {
  const until = performance.now() + IDEMPOTENCY_PENDING_MAX_MS;
  const renewal = setInterval(() => {
    if (performance.now() > until) return stopRenewal(request);
    withRedisDeadline(renew(), timeoutMs, 'Idempotency-Key renewal').catch((err) =>
      request.log.warn({ err }, 'could not renew an Idempotency-Key pending marker'),
    );
  }, IDEMPOTENCY_PENDING_TTL_MS / 3);
  renewal.unref();
  request.idempotencyPending = { token, renewal, answered: false };
}

function stopRenewal(request: FastifyRequest): void {
  const pending = request.idempotencyPending;
  if (pending?.renewal === undefined) return;
  clearInterval(pending.renewal);
  pending.renewal = undefined;
}

/** Best effort, in the background: withdraws the replay mark and drops the pending marker this request may hold. */
function forget(
  request: FastifyRequest,
  redis: IdempotencyStore,
  prefix: string,
  tenant: TenantRef,
  key: string,
  replay: string,
  token: string,
  timeoutMs: number,
): void {
  stopRenewal(request);
  const undo = Promise.all([
    withdrawIdempotencyReplay(redis, prefix, tenant, key, replay),
    dropIdempotencyPending(redis, prefix, tenant, key, token),
  ]);
  withRedisDeadline(undo, timeoutMs, 'Idempotency-Key release').catch((err) =>
    request.log.warn({ err }, 'could not undo an Idempotency-Key binding after an error'),
  );
}
