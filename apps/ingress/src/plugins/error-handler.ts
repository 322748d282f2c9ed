import { maxHeaderSize as nodeMaxHeaderSize, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { validationMessage } from '@integrador/i18n';
import { scrubText } from '@integrador/logging';
import {
  EnqueueOutcomeUnknownError,
  IDEMPOTENCY_KEY_MAX_LENGTH,
  idempotencyKeyFault,
  QueueUnavailableError,
  RedisConfigurationError,
} from '@integrador/queue';
import { WebhookError, webhookMessage } from '@integrador/webhooks';
import type { ErrorObject } from 'ajv';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { domainHttpError } from '../error-status';
import { HttpError } from '../http-error';
import { type Locale, localeOf, message } from '../i18n';
import { PATTERN_TAKES, TEXT_PATTERN } from '../schemas';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** How a 415 says what the route accepts (the API's JSON by default; the CTI listeners take a form too). */
    mediaTypeMessage?: 'UNSUPPORTED_MEDIA_TYPE' | 'UNSUPPORTED_MEDIA_TYPE_LISTENER';
  }
}

/** The one error body of the API. */
export interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

function send(reply: FastifyReply, status: number, body: ErrorBody['error']): FastifyReply {
  return reply.status(status).type('application/json').send({ error: body });
}

/** Whether the failure is a text field's control character (schemas.ts Text), said as parametros' is: CONTROL_CHARACTER. */
function isControlCharacter(errors: ErrorObject[]): boolean {
  const first = errors[0];
  return first?.keyword === 'pattern' && (first.params as { pattern?: unknown }).pattern === TEXT_PATTERN;
}

/** The field of the Idempotency-Key header as the schema validation names it (schemas.ts IdempotencyHeaders). */
const IDEMPOTENCY_KEY_FIELD = 'headers.idempotency-key';

/** A malformed Idempotency-Key in words (the schema's pattern means nothing to a client): the rule and what broke it. */
function idempotencyKeyError(request: FastifyRequest, locale: Locale): ErrorBody['error'] {
  const fault = idempotencyKeyFault(String(request.headers['idempotency-key'] ?? '')) ?? { kind: 'length', length: 0 };
  const problem =
    fault.kind === 'length'
      ? message(locale, 'IDEMPOTENCY_KEY_LENGTH', { length: String(fault.length) })
      : message(locale, 'IDEMPOTENCY_KEY_CHARACTER', { position: String(fault.position) });
  const text = message(locale, 'IDEMPOTENCY_KEY_INVALID', { problem, max: String(IDEMPOTENCY_KEY_MAX_LENGTH) });
  return { code: 'IDEMPOTENCY_KEY_INVALID', message: text, field: IDEMPOTENCY_KEY_FIELD };
}

/**
 * Errors Fastify raises before routing (a URL with malformed percent-encoding, a path parameter over maxParamLength)
 * skip setErrorHandler: the `frameworkErrors` option sends them here, so they get the API's error body too.
 */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const locale = localeOf(request);
  const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
  const code = error.code === 'FST_ERR_BAD_URL' ? 'BAD_URL' : error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'URL_TOO_LONG' : 'BAD_REQUEST';
  void send(reply, status, { code, message: message(locale, code === 'BAD_REQUEST' ? 'BAD_URL' : code) });
}

/** A size in the unit a reader expects: 1 MB, 512 kB, 300 bytes. */
export function shownSize(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} kB`;
  return `${bytes} bytes`;
}

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (headers or URL over maxHeaderSize: a 20 kB query
 * string; a request timeout; a malformed request): answered with the API's error body instead of Fastify's
 * `{"error":"…","statusCode":…}`. No request was parsed, so no Accept-Language was read: pt-BR, the API's default.
 */
// The default is Node's limit as this process runs it (16 kB, or --max-http-header-size / NODE_OPTIONS), never a copy.
export function clientErrorHandler(maxHeaderSize = nodeMaxHeaderSize) {
  return (err: NodeJS.ErrnoException, socket: Duplex): void => {
    // A reset connection has nobody to answer.
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const [status, code] =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? ([431, 'HEADERS_TOO_LARGE'] as const)
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? ([408, 'REQUEST_TIMEOUT'] as const)
          : ([400, 'MALFORMED_REQUEST'] as const);
    const body = JSON.stringify({ error: { code, message: message('pt-BR', code, { limit: shownSize(maxHeaderSize) }) } });
    if (socket.writable) {
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy(err);
  };
}

/** Fastify's own client errors as the API words them: the body limit stated, the accepted content type named. */
function fastifyClientError(error: FastifyError, request: FastifyRequest, locale: Locale): ErrorBody['error'] | undefined {
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    const limit = request.routeOptions.bodyLimit ?? request.server.initialConfig.bodyLimit ?? 1024 * 1024;
    return { code: 'PAYLOAD_TOO_LARGE', message: message(locale, 'PAYLOAD_TOO_LARGE', { limit: shownSize(limit), bytes: String(limit) }) };
  }
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    const type =
      String(request.headers['content-type'] ?? '')
        .split(';')[0]
        ?.trim() || '?';
    const words = request.routeOptions.config?.mediaTypeMessage ?? 'UNSUPPORTED_MEDIA_TYPE';
    return { code: 'UNSUPPORTED_MEDIA_TYPE', message: message(locale, words, { type: type.slice(0, 100) }) };
  }
  return undefined;
}

/** Maps every error to a JSON body with the right status; never a stack trace, never a raw 500. */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const locale = localeOf(request);
    if (error.validation) {
      const { field, message: text } = validationMessage(error.validation, locale, error.validationContext, (pattern) =>
        PATTERN_TAKES.get(pattern),
      );
      if (field === IDEMPOTENCY_KEY_FIELD) return send(reply, 400, idempotencyKeyError(request, locale));
      if (isControlCharacter(error.validation as ErrorObject[])) {
        return send(reply, 400, { code: 'CONTROL_CHARACTER', message: message(locale, 'CONTROL_CHARACTER_FIELD', { field }), field });
      }
      return send(reply, 400, { code: 'VALIDATION_FAILED', message: text, field });
    }
    if (error instanceof WebhookError) {
      // The webhook engine's refusals carry their status; their messages live beside them (packages/webhooks).
      if (error.code === 'CHANGE_IN_PROGRESS') reply.header('retry-after', '5');
      return send(reply, error.status, { code: error.code, message: webhookMessage(locale, error.wording, error.params) });
    }
    const http = error instanceof HttpError ? error : domainHttpError(error);
    if (http) {
      if (http.statusCode === 502) request.log.warn({ reason: error.message }, 'receptor unavailable');
      return send(reply, http.statusCode, { code: http.code, message: message(locale, http.code, http.params) });
    }
    if (error instanceof EnqueueOutcomeUnknownError) {
      // The add was sent but not answered: it may still happen when Redis wakes, so "nothing was enqueued" would lie.
      request.log.warn({ reason: error.message }, 'enqueue outcome unknown');
      reply.header('retry-after', '5');
      return send(reply, 503, { code: 'ENQUEUE_OUTCOME_UNKNOWN', message: message(locale, 'ENQUEUE_OUTCOME_UNKNOWN') });
    }
    if (error instanceof QueueUnavailableError) {
      request.log.warn({ reason: error.message }, 'queue unavailable');
      reply.header('retry-after', '5');
      return send(reply, 503, { code: 'QUEUE_UNAVAILABLE', message: message(locale, 'QUEUE_UNAVAILABLE') });
    }
    if (error instanceof RedisConfigurationError) {
      return send(reply, 503, { code: 'REDIS_MISCONFIGURED', message: message(locale, 'REDIS_MISCONFIGURED', { detail: error.message }) });
    }
    if (error.code === 'SQLITE_BUSY') {
      // The embedded CRM file stayed locked by another process past the busy wait: the request's transaction was
      // rolled back (writes it made before, outside it, stay); trying again is safe. Not SQLITE_LOCKED or
      // SQLITE_BUSY_SNAPSHOT: those are bugs of this process (a 500, logged as an error).
      request.log.warn({ err: error }, 'crm database busy');
      reply.header('retry-after', '1');
      return send(reply, 503, { code: 'DATABASE_UNAVAILABLE', message: message(locale, 'DATABASE_UNAVAILABLE') });
    }
    if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || (error instanceof SyntaxError && error.statusCode === 400)) {
      return send(reply, 400, { code: 'INVALID_JSON', message: message(locale, 'INVALID_JSON') });
    }
    const status = error.statusCode ?? 500;
    const framework = status >= 400 && status < 500 ? fastifyClientError(error, request, locale) : undefined;
    if (framework) return send(reply, status, framework);
    if (status >= 400 && status < 500) {
      // Fastify's own client errors (415, 413, empty body…) carry safe, specific messages.
      return send(reply, status, { code: error.code ?? 'BAD_REQUEST', message: error.message });
    }
    request.log.error({ err: error }, 'request failed');
    return send(reply, 500, { code: 'INTERNAL', message: message(locale, 'INTERNAL') });
  });

  app.setNotFoundHandler((request, reply) => {
    const locale = localeOf(request);
    return send(reply, 404, {
      code: 'NOT_FOUND',
      // The path may hold a credential (a CTI listener token on a wrong method or an extra segment): shown scrubbed.
      message: message(locale, 'ROUTE_NOT_FOUND', { route: `${request.method} ${scrubText(request.url.split('?')[0] ?? '')}` }),
    });
  });
}
