import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ConnectionsRegistry } from '@integrador/connections';
import { lintStoredConfiguration } from '@integrador/integrador';
import type { CrmDatabase } from '@integrador/store';
import { Type } from '@sinclair/typebox';
import { localeOf } from '../i18n';
import { ErrorResponse, LintFindingResponse } from '../schemas';

/** GET /v1/config/lint: the tenant's Integrador configuration checked against the connections file. */
export function configRoutes(database: CrmDatabase, connections: ConnectionsRegistry): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/config/lint',
      {
        schema: {
          tags: ['config'],
          summary: 'Problems in the configuration tables (unknown connection, malformed JSON, unprovided #var#, cycles…)',
          response: {
            200: Type.Object({
              ok: Type.Boolean(),
              errors: Type.Integer(),
              warnings: Type.Integer(),
              findings: Type.Array(LintFindingResponse),
            }),
            401: ErrorResponse,
          },
        },
      },
      async (request) => {
        const locale = localeOf(request);
        const findings = await lintStoredConfiguration(database, connections, request.tenant.empresaId);
        const errors = findings.filter((f) => f.severity === 'error').length;
        return {
          ok: errors === 0,
          errors,
          warnings: findings.length - errors,
          findings: findings.map((f) => ({ ...f, message: f.message[locale] })),
        };
      },
    );
  };
}
