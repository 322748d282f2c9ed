import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { assertDependencyChange } from '@integrador/integrador';
import { assertChangeableBy, type CrmDatabase, findIntegracao, MAX_ROW_ID } from '@integrador/store';
import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';
import { flowHttpError } from '../flow-errors';
import { HttpError } from '../http-error';
import { ErrorResponse, IdParams, IntegracaoResponse } from '../schemas';

const IntegracaoRef = Type.Union([Type.Integer({ minimum: 1, maximum: MAX_ROW_ID }), Type.Null()], {
  description: 'an integracao id of the same empresa, or null',
});

/** The columns this route may change: the dependency ordering of seed 001, and whether the integration runs. */
export const IntegracaoPatch = Type.Object(
  {
    dependente: Type.Optional(IntegracaoRef),
    depende_de: Type.Optional(IntegracaoRef),
    ordem: Type.Optional(Type.Integer({ minimum: -1000000, maximum: 1000000 })),
    ativo: Type.Optional(Type.Union([Type.Literal(0), Type.Literal(1)])),
  },
  { additionalProperties: false, minProperties: 1 },
);

/**
 * PATCH /v1/integrations/:id changes dependente, depende_de, ordem or ativo of one of the tenant's integracoes. The
 * resulting graph is checked first, inside the transaction that writes it (rows locked where the dialect can): a
 * cycle through the row is refused with 409, a reference to no integracao of the empresa with 400, each naming the
 * rows; nothing is written then.
 */
export function integrationConfigRoutes(database: CrmDatabase): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.patch(
      '/integrations/:id',
      {
        schema: {
          tags: ['integrations'],
          summary: 'Change the dependency columns (dependente, depende_de, ordem, ativo) of an integracao; the graph is validated',
          params: IdParams,
          body: IntegracaoPatch,
          response: {
            200: IntegracaoResponse,
            400: ErrorResponse,
            401: ErrorResponse,
            403: ErrorResponse,
            404: ErrorResponse,
            409: ErrorResponse,
          },
        },
      },
      async (request) => {
        const { id } = request.params;
        const row = await findIntegracao(database.db, request.tenant, id);
        if (!row) throw new HttpError(404, 'NOT_FOUND');
        // A filial key reads the empresa-wide integracoes but changes only its own filial's (403 FILIAL_SCOPE).
        assertChangeableBy(request.tenant, row.empresa_filial_id, `integracao #${id}`);
        const empresaId = request.tenant.empresaId;
        try {
          await database.db.transaction().execute(async (trx) => {
            let query = trx
              .selectFrom('integracao')
              .select(['id', 'nome', 'empresa_id', 'ordem', 'dependente', 'depende_de'])
              .where('empresa_id', '=', empresaId);
            // Two concurrent edits must not each pass the check and together close a cycle (SQLite serializes writers anyway).
            if (database.dialect !== 'sqlite') query = query.forUpdate();
            const rows = (await query.execute()).map((r) => (r.id === id ? { ...r, ...request.body } : r));
            assertDependencyChange(rows, id);
            await trx
              .updateTable('integracao')
              .set({ ...request.body, atualizado_em: sql<string>`CURRENT_TIMESTAMP` })
              .where('id', '=', id)
              .where('empresa_id', '=', empresaId)
              .execute();
          });
        } catch (err) {
          throw flowHttpError(err, 'saved') ?? err;
        }
        return (await findIntegracao(database.db, request.tenant, id)) ?? row;
      },
    );
  };
}
