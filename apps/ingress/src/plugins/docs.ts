import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { ERROR_CODES } from '../i18n';
import { ErrorResponse } from '../schemas';

type JsonObject = Record<string, unknown>;

const ERROR_SCHEMA = 'Error';
const ERROR_REF = { $ref: `#/components/schemas/${ERROR_SCHEMA}` };

/** `GET /v1/jobs/:queue/:id` → `getJobsByQueueById`: a stable id for routes that do not name their own. */
export function operationIdOf(method: string, url: string): string {
  const pascal = (text: string) => text.replace(/(^|[-_])(\w)/g, (_, __, letter: string) => letter.toUpperCase());
  const parts = url
    .replace(/^\/v1(?=\/|$)/, '')
    .split('/')
    .filter(Boolean)
    .map((part) => (part.startsWith(':') ? `By${pascal(part.slice(1))}` : pascal(part)));
  return `${method.toLowerCase()}${parts.join('')}`;
}

/** A query string of free-form names (a TypeBox Record): fastify-swagger would turn its keywords into fake parameters. */
function isFreeFormQuery(querystring: unknown): querystring is JsonObject {
  const schema = querystring as JsonObject | undefined;
  return schema !== undefined && schema.type === 'object' && schema.properties === undefined;
}

/** The free-form query string as OpenAPI says it: one object parameter, exploded into `?name=value&…`. */
function freeFormParameter(schema: JsonObject): JsonObject {
  const values = Object.values((schema.patternProperties as JsonObject | undefined) ?? {})[0] ?? { type: 'string' };
  return {
    name: 'parametros',
    in: 'query',
    description: "the integration's parameters as query parameters (?contaId=1&…); the body's parametros win",
    style: 'form',
    explode: true,
    schema: { type: 'object', additionalProperties: values, ...(schema.maxProperties ? { maxProperties: schema.maxProperties } : {}) },
    example: { contaId: '1' },
  };
}

/** Every response whose body is the shared error body points at one component instead of a copy. */
function shareErrorSchema(paths: JsonObject): void {
  for (const operations of Object.values(paths) as JsonObject[]) {
    for (const operation of Object.values(operations) as JsonObject[]) {
      for (const response of Object.values((operation.responses as JsonObject | undefined) ?? {}) as JsonObject[]) {
        const media = (response.content as JsonObject | undefined)?.['application/json'] as JsonObject | undefined;
        if (media && (media.schema as JsonObject | undefined)?.description === ErrorResponse.description) media.schema = ERROR_REF;
      }
    }
  }
}

/** The error component: the body every non-2xx answer has, with the list of codes and an example. */
function errorComponent(): JsonObject {
  return {
    description: ErrorResponse.description,
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        properties: {
          code: {
            type: 'string',
            description: `One of: ${ERROR_CODES.join(', ')}; or a Fastify FST_ERR_* code for a request it cannot parse.`,
            examples: ['NOT_FOUND', 'VALIDATION_FAILED'],
          },
          message: { type: 'string', description: 'what went wrong and what was expected, in one language' },
          field: { type: 'string', description: 'VALIDATION_FAILED: the field, e.g. body.queue' },
        },
      },
    },
    examples: [
      { error: { code: 'VALIDATION_FAILED', message: 'campo "body.queue" deve ser um de: set, get, cti, webhook', field: 'body.queue' } },
    ],
  };
}

/** The OpenAPI document (GET /openapi.json) and its UI (GET /docs). */
export async function registerDocs(app: FastifyInstance): Promise<void> {
  const freeForm = new Map<string, JsonObject>();
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Integrador hub API',
        version: '0.1.0',
        description:
          'Ingress of the CRM integration hub. Errors: `{ "error": { "code", "message" } }`, messages in pt-BR (Accept-Language: en for English).',
        license: { name: 'UNLICENSED', identifier: 'LicenseRef-UNLICENSED' },
      },
      servers: [{ url: '/', description: 'this ingress' }],
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'Tenant API key (igk_…)' } } },
      security: [{ apiKey: [] }],
    },
    transform: ({ schema, url, route }) => {
      if (!schema || schema.hide) return { schema, url };
      const methods = ([] as string[]).concat(route.method);
      const { querystring, ...own } = schema as JsonObject;
      const operationId = typeof own.operationId === 'string' ? own.operationId : operationIdOf(methods[0] ?? 'get', url);
      const named = { ...own, operationId };
      if (!isFreeFormQuery(querystring)) return { schema: { ...named, ...(querystring ? { querystring } : {}) }, url };
      for (const method of methods) freeForm.set(`${method.toLowerCase()} ${url}`, freeFormParameter(querystring));
      return { schema: named, url };
    },
    transformObject: (documentObject) => {
      const document = ('openapiObject' in documentObject ? documentObject.openapiObject : documentObject.swaggerObject) as JsonObject;
      const paths = (document.paths ?? {}) as JsonObject;
      for (const [key, parameter] of freeForm) {
        const [method, url] = key.split(' ') as [string, string];
        const operation = (paths[url.replace(/:(\w+)/g, '{$1}')] as JsonObject | undefined)?.[method] as JsonObject | undefined;
        if (operation) operation.parameters = [...((operation.parameters as unknown[]) ?? []), parameter];
      }
      shareErrorSchema(paths);
      const components = (document.components ?? {}) as JsonObject;
      // app.addSchema(ErrorResponse) shows up as def-N; the named component replaces it.
      const schemas = Object.fromEntries(
        Object.entries((components.schemas ?? {}) as JsonObject).filter(([, schema]) => (schema as JsonObject).title !== ErrorResponse.$id),
      );
      return { ...document, components: { ...components, schemas: { ...schemas, [ERROR_SCHEMA]: errorComponent() } } };
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
