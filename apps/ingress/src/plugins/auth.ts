import { type CrmDatabase, findTenantByApiKey, type Tenant } from '@integrador/store';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from '../http-error';

declare module 'fastify' {
  interface FastifyRequest {
    /** The tenant of the request's API key; set on every route under /v1. */
    tenant: Tenant;
  }
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** Requires `Authorization: Bearer <tenant API key>` on every route of the scope; 401 otherwise. */
export function registerTenantAuth(scope: FastifyInstance, database: CrmDatabase): void {
  scope.decorateRequest('tenant', undefined as unknown as Tenant);
  scope.addHook('onRequest', async (request) => {
    const token = bearerToken(request);
    if (!token) throw new HttpError(401, 'UNAUTHORIZED');
    let tenant: Tenant | null;
    try {
      tenant = await findTenantByApiKey(database.db, token);
    } catch (err) {
      request.log.error({ err }, 'api key lookup failed');
      throw new HttpError(503, 'DATABASE_UNAVAILABLE', {}, { cause: err });
    }
    if (!tenant) throw new HttpError(401, 'UNAUTHORIZED');
    request.tenant = tenant;
  });
}
