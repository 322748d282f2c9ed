import type { FastifyInstance } from 'fastify';
import { localeOf, message } from '../i18n';

/** The first parametros value that is a list or an object, by name, or undefined. */
function nonScalar(body: unknown): string | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const parametros = (body as { parametros?: unknown }).parametros;
  if (parametros === null || typeof parametros !== 'object' || Array.isArray(parametros)) return undefined;
  return Object.keys(parametros).find((name) => {
    const value = (parametros as Record<string, unknown>)[name];
    return value !== null && typeof value === 'object';
  });
}

/**
 * A run's parametros are scalars (text, number, true/false or null): the schema's coercion (coerceTypes 'array', for
 * query strings) would take {"contaId":[1]} as 1 and run with it. Checked before validation, on the body as sent, as a
 * 400 naming the parameter (the run, preview, info and crm-change routes all take parametros this way).
 */
export function registerScalarParameters(app: FastifyInstance): void {
  app.addHook('preValidation', (request, reply, done) => {
    const name = nonScalar(request.body);
    if (name === undefined) {
      done();
      return;
    }
    const locale = localeOf(request);
    const field = `body.parametros.${name}`;
    const text = message(locale, 'VALIDATION', {
      field,
      message: locale === 'en' ? 'must be a text, a number, true/false or null' : 'deve ser um texto, um número, true/false ou null',
    });
    reply.status(400).send({ error: { code: 'VALIDATION_FAILED', message: text, field } });
  });
}
