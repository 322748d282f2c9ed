import type { FastifyInstance } from 'fastify';
import { localeOf, message } from '../i18n';

/** The path of the first number that is not finite (Infinity from "1e309"), or null. */
function nonFinite(value: unknown, path: string, depth = 0): string | null {
  if (typeof value === 'number') return Number.isFinite(value) ? null : path;
  if (value === null || typeof value !== 'object' || depth > 32) return null;
  for (const [key, item] of Object.entries(value)) {
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
  app.addHook('preHandler', async (request, reply) => {
    for (const [where, value] of [
      ['params', request.params],
      ['querystring', request.query],
      ['body', request.body],
    ] as const) {
      const field = nonFinite(value, where);
      if (!field) continue;
      const locale = localeOf(request);
      const text = message(locale, 'VALIDATION', {
        field,
        message: locale === 'en' ? 'must be a finite number' : 'deve ser um número finito',
      });
      return reply.status(400).send({ error: { code: 'VALIDATION_FAILED', message: text, field } });
    }
  });
}
