import { execFileSync } from 'node:child_process';
import SwaggerParser from '@apidevtools/swagger-parser';
import type { FastifyInstance } from 'fastify';
import { buildDocsApp } from '../../../test/support/docs-app';
import { ERROR_CODES } from './i18n';

/**
 * Redocly's recommended ruleset over a document, errors only. @redocly/openapi-core is ESM only, which Jest's module
 * system cannot load, so it runs in a plain Node process (Node 20.19+ loads it).
 */
function redoclyErrors(source: string): string[] {
  const script = `
    import { createConfig, lintFromString } from '@redocly/openapi-core';
    const source = await new Response(process.stdin).text();
    const config = await createConfig({ extends: ['recommended'] });
    const problems = await lintFromString({ source, absoluteRef: '/openapi.json', config });
    const errors = problems.filter((p) => p.severity === 'error').map((p) => p.ruleId + ': ' + p.message + ' at ' + p.location[0]?.pointer);
    process.stdout.write(JSON.stringify(errors));`;
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { input: source, encoding: 'utf8' });
  return JSON.parse(output) as string[];
}

// /openapi.json as the ecosystem's own tools read it: swagger-parser validates it, Redocly's recommended ruleset
// lints it (the engine of `redocly lint`), so client generators and Swagger UI can use every route.
describe('the OpenAPI document of /openapi.json', () => {
  let app: FastifyInstance;
  let close: () => Promise<void>;
  let document: Record<string, unknown> & { paths: Record<string, Record<string, Record<string, unknown>>> };
  beforeAll(async () => {
    // The all-in-one ingress: the dashboard's JSON API is in the document too.
    ({ app, close } = await buildDocsApp({ dashboard: true }));
    document = (await app.inject('/openapi.json')).json();
  });
  afterAll(async () => {
    await close?.();
  });

  it('passes swagger-parser validation', async () => {
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeDefined();
  });

  it("has no error under Redocly's recommended rules", () => {
    const errors = redoclyErrors(JSON.stringify(document));
    expect(errors).toEqual([]);
  });

  it('names servers, gives every operation a unique operationId and points every error at one component listing the codes', () => {
    expect(document.servers).toEqual([{ url: '/', description: 'this ingress' }]);
    const operations = Object.values(document.paths).flatMap((path) => Object.values(path));
    const ids = operations.map((operation) => operation.operationId);
    expect(ids.every((id) => typeof id === 'string')).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(document.paths['/v1/jobs/{queue}/{id}']?.get?.operationId).toBe('getJobsByQueueById');
    const errorSchemas = operations.flatMap((operation) =>
      Object.entries(operation.responses as Record<string, { content?: Record<string, { schema: unknown }> }>)
        .filter(([status]) => Number(status) >= 400)
        .map(([, response]) => response.content?.['application/json']?.schema),
    );
    expect(errorSchemas.length).toBeGreaterThan(20);
    expect(new Set(errorSchemas.map((schema) => JSON.stringify(schema)))).toEqual(new Set(['{"$ref":"#/components/schemas/Error"}']));
    const code = JSON.stringify((document.components as Record<string, Record<string, unknown>>).schemas?.Error);
    for (const errorCode of [...ERROR_CODES, 'VALIDATION_FAILED', 'QUEUE_UNAVAILABLE']) expect(code).toContain(errorCode);
  });

  // A guard: Fastify serializes through these schemas and clients are generated from them, so an operation answering
  // "Default Response" (no schema) documents nothing. Every operation has a 2xx with a schema (204: no body); one that
  // takes the API key documents its 401; one with parameters or a body documents its 400 (VALIDATION_FAILED).
  it('documents every operation: a 2xx answer with a schema, 401 behind the key, 400 for its inputs', () => {
    const problems: string[] = [];
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const name = `${method.toUpperCase()} ${path}`;
        const responses = operation.responses as Record<string, { content?: Record<string, { schema?: unknown }> }>;
        const successes = Object.entries(responses).filter(([status]) => /^2\d\d$/.test(status));
        if (successes.length === 0) problems.push(`${name}: no 2xx answer`);
        for (const [status, response] of successes) {
          const schemas = Object.values(response.content ?? {}).filter((media) => media.schema !== undefined);
          if (status === '204' && response.content) problems.push(`${name}: 204 with a body`);
          if (status !== '204' && schemas.length === 0) problems.push(`${name}: ${status} without a schema`);
        }
        const keyed = !(Array.isArray(operation.security) && operation.security.length === 0);
        if (keyed && !responses['401']) problems.push(`${name}: no 401 (it takes the API key)`);
        const inputs = ((operation.parameters as unknown[] | undefined)?.length ?? 0) > 0 || operation.requestBody !== undefined;
        if (inputs && !responses['400']) problems.push(`${name}: no 400 (it takes parameters or a body)`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('documents the 429 of the per-tenant write budget (Retry-After) on every /v1 write, and on no read', () => {
    const writes: string[] = [];
    const problems: string[] = [];
    for (const [path, operations] of Object.entries(document.paths)) {
      if (!path.startsWith('/v1/')) continue;
      for (const [method, operation] of Object.entries(operations)) {
        const limited = (operation.responses as Record<string, { headers?: Record<string, unknown> }>)['429'];
        const write = !['get', 'head', 'options'].includes(method);
        if (write) writes.push(`${method} ${path}`);
        if (write && !limited?.headers?.['retry-after']) problems.push(`${method.toUpperCase()} ${path}: no 429 with Retry-After`);
        if (!write && limited) problems.push(`${method.toUpperCase()} ${path}: a read documents the write budget's 429`);
      }
    }
    expect(writes.length).toBeGreaterThan(15);
    expect(problems).toEqual([]);
    const ping = document.paths['/v1/ping']?.post?.responses as Record<string, { description: string }>;
    expect(ping['429']?.description).toContain('TENANT_RATE_LIMITED');
  });

  it('describes the free-form query string of run, preview and info as one object parameter ', () => {
    for (const action of ['run', 'preview', 'info']) {
      const parameters = document.paths[`/v1/integrations/{id}/${action}`]?.post?.parameters as { name: string; in: string }[];
      // The run route also takes an Idempotency-Key header; no parameter is a fragment of the free-form query schema.
      const names = parameters.map((parameter) => `${parameter.in}:${parameter.name}`).filter((name) => !name.startsWith('header:'));
      expect(names).toEqual(['path:id', 'query:parametros']);
    }
  });
});
