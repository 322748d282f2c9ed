import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

/** The OpenAPI document (GET /openapi.json) and its UI (GET /docs). */
export async function registerDocs(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Integrador hub API',
        version: '0.1.0',
        description:
          'Ingress of the CRM integration hub. Errors: `{ "error": { "code", "message" } }`, messages in pt-BR (Accept-Language: en for English).',
      },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'Tenant API key (igk_…)' } } },
      security: [{ apiKey: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
