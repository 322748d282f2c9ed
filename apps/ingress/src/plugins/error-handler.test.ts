import { Type } from '@sinclair/typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import { AJV_OPTIONS } from '../build-app';
import { registerErrorHandler } from './error-handler';

/**
 * The 400 of a field that takes a fixed list of values names every accepted value: through a union nested in a union
 * and through a oneOf of consts (no request schema of the ingress has either yet), capped for a long list. A real
 * Fastify with the ingress's ajv options and error handler.
 */
describe('the allowed values of a refused field', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = Fastify({ ajv: { customOptions: AJV_OPTIONS } });
    registerErrorHandler(app);
    const body = Type.Object({
      nested: Type.Optional(Type.Union([Type.Union([Type.Literal('a'), Type.Literal('b')]), Type.Literal('c')])),
      one: Type.Optional(Type.Unsafe<string>({ oneOf: [{ const: 'x' }, { const: 'y' }] })),
      many: Type.Optional(Type.Union(Array.from({ length: 30 }, (_, i) => Type.Literal(`v${i}`)))),
      shaped: Type.Optional(Type.Union([Type.Literal('a'), Type.Object({ k: Type.Literal('x') })])),
    });
    app.post('/t', { schema: { body } }, async () => ({ ok: true }));
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
  });

  const refused = async (payload: Record<string, unknown>, language = 'pt-BR') => {
    const response = await app.inject({ method: 'POST', url: '/t', payload, headers: { 'accept-language': language } });
    expect(response.statusCode).toBe(400);
    return response.json().error as { code: string; field: string; message: string };
  };

  it('lists the values of a union nested in a union, and of a oneOf of consts', async () => {
    expect(await refused({ nested: 'z' })).toEqual({
      code: 'VALIDATION_FAILED',
      field: 'body.nested',
      message: 'campo "body.nested" deve ser um destes valores: "a", "b", "c"',
    });
    expect((await refused({ one: 'z' }, 'en')).message).toBe('field "body.one" must be one of: "x", "y"');
    expect((await app.inject({ method: 'POST', url: '/t', payload: { nested: 'c', one: 'y' } })).statusCode).toBe(200);
  });

  it('lists at most 20 values, then "…"; a union of other shapes keeps ajv\'s own message', async () => {
    const values = Array.from({ length: 20 }, (_, i) => `"v${i}"`).join(', ');
    expect((await refused({ many: 'z' })).message).toBe(`campo "body.many" deve ser um destes valores: ${values}, …`);
    expect((await refused({ shaped: 'z' })).message).not.toMatch(/destes valores/);
  });
});
