import type { FastifyInstance } from 'fastify';

/**
 * Bodies documented as optional are optional however the client leaves them out: no body at all, or an empty one
 * sent with `content-type: application/json` (curl -X POST -H 'content-type: application/json'). Both reach the
 * route's schema as `{}`, so a required field is named in the 400 ("body.nome") and an optional body just works.
 */
export function registerOptionalBodies(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    parseJson(request, text, done);
  });
  // A callback hook, not an async one: no promise per request for a synchronous step.
  app.addHook('preValidation', (request, _reply, done) => {
    if (request.body === undefined && request.routeOptions.schema?.body !== undefined) request.body = {};
    done();
  });
}
