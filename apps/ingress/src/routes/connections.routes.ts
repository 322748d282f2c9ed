import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Connection, ConnectionsRegistry } from '@integrador/connections';
import { connectionUsableBy, testConnection } from '@integrador/integrador';
import type { CrmDatabase } from '@integrador/store';
import { Type } from '@sinclair/typebox';
import { HttpError } from '../http-error';
import { localeOf } from '../i18n';
import { ErrorResponse, Text } from '../schemas';

const ConnectionNameParams = Type.Object(
  { name: Text({ minLength: 1, maxLength: 200, description: 'nome_conexao: an entry of the connections file' }) },
  { additionalProperties: false },
);

const ConnectionTestStepResponse = Type.Object({
  step: Type.Union(['reachability', 'file', 'tls', 'login', 'query', 'version'].map((step) => Type.Literal(step))),
  ok: Type.Boolean(),
  ms: Type.Integer({ description: 'how long the step took' }),
  message: Type.String(),
});

const ConnectionTestResponse = Type.Object({
  ok: Type.Boolean(),
  connection: Type.String(),
  kind: Type.String({ description: 'database, webservice or api' }),
  driver: Type.Optional(Type.String()),
  steps: Type.Array(ConnectionTestStepResponse, { description: 'the steps run, in order; the first failed one is the last' }),
  serverVersion: Type.Optional(Type.String()),
  error: Type.Optional(
    Type.Object({
      code: Type.String({
        description:
          'ADDRESS_FORBIDDEN, HOST_UNREACHABLE, PORT_CLOSED, TIMEOUT, TLS_FAILED, LOGIN_REFUSED, DATABASE_MISSING, QUERY_FAILED, CONNECTION_FAILED; a web service refusing the login: RECEPTOR_LOGIN_REFUSED; its WSDL answered 401/403: WSDL_UNAUTHORIZED, another status (5xx): WSDL_UNAVAILABLE',
      }),
      message: Type.String({ description: 'what failed and what to fix' }),
    }),
  ),
});

/** The connection, unless it is unknown or not the tenant's to use (connectionUsableBy), which must look the same: unknown. */
async function tenantConnection(
  database: CrmDatabase,
  connections: ConnectionsRegistry,
  name: string,
  empresaId: number,
): Promise<Connection> {
  const connection = connections.get(name);
  if (!connection || !(await connectionUsableBy(database.db, connection, empresaId))) {
    throw new HttpError(404, 'CONNECTION_NOT_FOUND', { name });
  }
  return connection;
}

/**
 * POST /v1/connections/:name/test: seed 000's "ping and first access" of a connection, step by step — only for a
 * tenant whose configuration uses the connection or whose entry in the file names it.
 */
export function connectionsRoutes(database: CrmDatabase, connections: ConnectionsRegistry): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/connections/:name/test',
      {
        // Changes nothing: its answer is not kept for Idempotency-Key replays (they run it again).
        config: { idempotentAnswer: false },
        schema: {
          tags: ['connections'],
          summary:
            'Tests a connection: reachability, login, a trivial query and the server version (databases); reachability and TLS (web services, APIs)',
          description:
            'Answers 200 whether or not the connection works: `ok`, the steps and, on failure, `error.code` and a message saying what to fix. Passwords never appear.',
          params: ConnectionNameParams,
          response: { 200: ConnectionTestResponse, 400: ErrorResponse, 401: ErrorResponse, 404: ErrorResponse },
        },
      },
      async (request) => {
        const connection = await tenantConnection(database, connections, request.params.name, request.tenant.empresaId);
        return testConnection(connection, { locale: localeOf(request) });
      },
    );
  };
}
