import { maxHeaderSize as nodeMaxHeaderSize, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
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
import localize from 'ajv-i18n';
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

/** Names a failing field as "<where>.<path>", e.g. "body.sleepMs" or "querystring.limit". */
function fieldName(error: ErrorObject, context: string | undefined): string {
  const params = error.params as Record<string, unknown>;
  const extra = params.missingProperty ?? params.additionalProperty;
  const path = [...error.instancePath.split('/').filter(Boolean), ...(extra === undefined ? [] : [String(extra)])];
  return [context ?? 'body', ...path].join('.');
}

const valuesOf = (error: ErrorObject): unknown[] | undefined => {
  const params = error.params as { allowedValue?: unknown; allowedValues?: unknown[] };
  if (error.keyword === 'const') return [params.allowedValue];
  if (error.keyword === 'enum') return params.allowedValues;
  return error.keyword === 'type' && (error.params as { type?: unknown }).type === 'null' ? [null] : undefined;
};

const isUnion = (error: ErrorObject) => error.keyword === 'anyOf' || error.keyword === 'oneOf';

/**
 * The values every branch of a failed union allows, a branch that is itself a union of values counted through
 * (Union([Union(['a','b']), 'c']) allows a, b and c); undefined when a branch takes another shape.
 */
function unionValues(errors: ErrorObject[], union: ErrorObject): unknown[] | undefined {
  const branches = new Map<string, ErrorObject[]>();
  for (const error of errors) {
    if (error === union || !error.schemaPath.startsWith(`${union.schemaPath}/`)) continue;
    // A branch that failed deeper inside the value (an object's field) is not a list of values.
    if (error.instancePath !== union.instancePath) return undefined;
    const branch = error.schemaPath.slice(union.schemaPath.length + 1).split('/')[0] ?? '';
    branches.set(branch, [...(branches.get(branch) ?? []), error]);
  }
  const values: unknown[] = [];
  for (const [branch, own] of branches) {
    const nested = own.find((e) => isUnion(e) && e.schemaPath === `${union.schemaPath}/${branch}/${e.keyword}`);
    const found = nested ? unionValues(own, nested) : own.map(valuesOf).find((v) => v !== undefined);
    if (!found) return undefined;
    values.push(...found);
  }
  return values.length ? [...new Set(values)] : undefined;
}

/**
 * The values a failed enum, const or anyOf / oneOf of them allows (TypeBox writes a union of literals as an anyOf of
 * consts, and ajv's message names none of them): the outermost union over the failing value, so a nested union
 * lists every accepted value; undefined when the field takes other shapes too.
 */
function allowedValues(errors: ErrorObject[], first: ErrorObject): unknown[] | undefined {
  const unions = errors.filter(
    (e) => isUnion(e) && e.instancePath === first.instancePath && first.schemaPath.startsWith(`${e.schemaPath}/`),
  );
  const outermost = unions.sort((a, b) => a.schemaPath.length - b.schemaPath.length)[0];
  if (!outermost) return first.keyword === 'type' ? undefined : valuesOf(first);
  return unionValues(errors, outermost);
}

/** At most this many values are listed, then "…" (a union of hundreds of literals would be a page of text). */
const MAX_LISTED_VALUES = 20;

function allowedText(values: unknown[], locale: Locale): string {
  const shown = values.slice(0, MAX_LISTED_VALUES).map((v) => JSON.stringify(v));
  const list = [...shown, ...(values.length > MAX_LISTED_VALUES ? ['…'] : [])].join(', ');
  if (values.length === 1) return locale === 'en' ? `must be ${list}` : `deve ser ${list}`;
  return locale === 'en' ? `must be one of: ${list}` : `deve ser um destes valores: ${list}`;
}

function validationMessage(errors: ErrorObject[], locale: Locale, context: string | undefined): { field: string; text: string } {
  const localized = errors.map((e) => ({ ...e }));
  // ajv-i18n rewrites `message` in place; English is ajv's own text.
  if (locale === 'pt-BR') localize['pt-BR'](localized);
  const first = localized[0] as ErrorObject;
  const field = fieldName(first, context);
  let text = first.message ?? 'inválido';
  if (first.keyword === 'additionalProperties') text = locale === 'en' ? 'is not allowed' : 'não é permitido';
  if (first.keyword === 'required') text = locale === 'en' ? 'is required' : 'é obrigatório';
  // ajv-i18n's pt-BR says "não deve ser mais curta que 1 caracter" (gender and spelling off): the lengths in our words.
  const limit = Number((first.params as { limit?: unknown }).limit);
  if (first.keyword === 'minLength' && limit === 1) text = locale === 'en' ? 'must not be empty' : 'não pode ser vazio';
  else if (first.keyword === 'minLength' && locale === 'pt-BR') text = `deve ter pelo menos ${limit} caracteres`;
  if (first.keyword === 'maxLength' && locale === 'pt-BR') text = `deve ter no máximo ${limit} caractere${limit === 1 ? '' : 's'}`;
  const takes = first.keyword === 'pattern' ? PATTERN_TAKES.get(String((first.params as { pattern?: unknown }).pattern)) : undefined;
  if (takes) text = locale === 'en' ? `must have ${takes.en}` : `deve ter ${takes['pt-BR']}`;
  const values = allowedValues(errors, first);
  if (values) text = allowedText(values, locale);
  return { field, text };
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
      const { field, text } = validationMessage(error.validation as ErrorObject[], locale, error.validationContext);
      if (field === IDEMPOTENCY_KEY_FIELD) return send(reply, 400, idempotencyKeyError(request, locale));
      if (isControlCharacter(error.validation as ErrorObject[])) {
        return send(reply, 400, { code: 'CONTROL_CHARACTER', message: message(locale, 'CONTROL_CHARACTER_FIELD', { field }), field });
      }
      return send(reply, 400, { code: 'VALIDATION_FAILED', message: message(locale, 'VALIDATION', { field, message: text }), field });
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
