import type { FastifyInstance } from 'fastify';

/**
 * Bodies documented as optional are optional however the client leaves them out: no body at all, or an empty one
 * sent with `content-type: application/json` (curl -X POST -H 'content-type: application/json'). Both reach the
 * route's schema as `{}`, so a required field is named in the 400 ("body.nome") and an optional body just works.
 */
export function registerOptionalBodies(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  // Fastify also parses text/plain by default, handing a JSON route a string it then refused as "invalid JSON". No
  // route of the ingress takes text (the API and the dashboard's API take JSON, its forms and the PBX listeners
  // form-encoded; the PBX listeners add their own text parser, cti.routes.ts): without the parser, text/plain is a 415 UNSUPPORTED_MEDIA_TYPE asking for application/json, as
  // every other type is.
  app.removeContentTypeParser('text/plain');
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

/** The body of a route that takes none: nothing, or an empty JSON object (`-d '{}'`, what many clients send). */
const NO_BODY = { type: 'object', additionalProperties: false, properties: {} } as const;

/**
 * A route of `scope` that changes something and declares no body takes none: a body it would ignore is refused (400,
 * the field named) instead of being carried along unread — into the Idempotency-Key fingerprint among others.
 */
export function refuseUndeclaredBodies(scope: FastifyInstance): void {
  scope.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!methods.some((method) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(method)) || route.schema?.body !== undefined) return;
    route.schema = { ...route.schema, body: NO_BODY };
  });
}
