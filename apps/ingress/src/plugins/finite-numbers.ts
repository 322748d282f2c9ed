import type { FastifyInstance } from 'fastify';
import { localeOf, message } from '../i18n';

/** The path of the first number that is not finite (Infinity from "1e309"), or null. */
function nonFinite(value: unknown, path: string, depth = 0): string | null {
  if (typeof value === 'number') return Number.isFinite(value) ? null : path;
  if (value === null || typeof value !== 'object' || depth > 32) return null;
  const object = value as Record<string, unknown>;
  for (const key of Object.keys(object)) {
    const item = object[key];
    // Strings (most values) are passed over without building their path: it runs on every request.
    if (typeof item !== 'number' && (item === null || typeof item !== 'object')) continue;
    const found = nonFinite(item, `${path}.${key}`, depth + 1);
    if (found) return found;
  }
  return null;
}

/**
 * "1e309" in a URL (coerced) or a JSON body (JSON.parse) becomes Infinity, which ajv lets through `integer` and skips in
 * `minimum`/`maximum` (it checks those on finite numbers only): refused here, after validation, as a 400 naming the field.
 */
export function registerFiniteNumbers(app: FastifyInstance): void {
  // A callback hook, not an async one: no promise per request for a synchronous check. A 400 is sent without done().
  app.addHook('preHandler', (request, reply, done) => {
    const field = nonFinite(request.params, 'params') ?? nonFinite(request.query, 'querystring') ?? nonFinite(request.body, 'body');
    if (!field) {
      done();
      return;
    }
    const locale = localeOf(request);
    const text = message(locale, 'VALIDATION', {
      field,
      message: locale === 'en' ? 'must be a finite number' : 'deve ser um número finito',
    });
    reply.status(400).send({ error: { code: 'VALIDATION_FAILED', message: text, field } });
  });
}

/** The path parameters a route's schema declares as integers (row ids), by name. */
function integerParams(schema: unknown): string[] {
  const properties = (schema as { properties?: Record<string, { type?: unknown }> } | undefined)?.properties ?? {};
  return Object.keys(properties).filter((name) => properties[name]?.type === 'integer');
}

/**
 * An id in a path is plain digits: ajv's coercion would read "1e0", "0x1", " 1" or "1.0" as 1, so /v1/webhooks/1e0
 * answered webhook 1. Checked before validation, on the text of the URL, as a 400 naming the field.
 */
export function registerPlainIds(app: FastifyInstance): void {
  app.addHook('preValidation', (request, reply, done) => {
    const names = integerParams(request.routeOptions.schema?.params);
    const params = request.params as Record<string, unknown> | undefined;
    const field = names.find((name) => typeof params?.[name] === 'string' && !/^[0-9]+$/.test(params[name] as string));
    if (field === undefined) {
      done();
      return;
    }
    const locale = localeOf(request);
    const text = message(locale, 'VALIDATION', {
      field: `params.${field}`,
      message: locale === 'en' ? 'must be an id in plain digits (0-9)' : 'deve ser um id só com dígitos (0-9)',
    });
    reply.status(400).send({ error: { code: 'VALIDATION_FAILED', message: text, field: `params.${field}` } });
  });
}
