import type { JobProducer } from '@integrador/queue';
import type { CrmDatabase } from '@integrador/store';
import { OPERACOES, type Operacao, receiveChangeEvent } from '@integrador/webhooks';
import { Type } from '@sinclair/typebox';

// The change-event route's webhook side, kept apart from events.routes.ts so that file stays the SET fan-out: the
// fields a change event adds (the row, what happened, an idempotency key) and the engine call that fans it out.

/** Body fields of POST /v1/events/crm-change beyond tabela and parametros. */
export const ChangeEventFields = {
  id: Type.Optional(
    Type.Union([Type.String({ pattern: '^[0-9]{1,18}$' }), Type.Integer({ minimum: 1 })], { description: 'the changed row' }),
  ),
  operacao: Type.Optional(
    Type.Union(
      OPERACOES.map((o) => Type.Literal(o)),
      { description: 'what happened (default alterado)' },
    ),
  ),
  chaveIdempotencia: Type.Optional(
    Type.String({ minLength: 1, maxLength: 200, description: 'the same key twice changes nothing twice (the first answer is returned)' }),
  ),
};

/** Reply fields the change event adds to the SET report. */
export const ChangeEventReply = {
  webhooks: Type.Union([
    Type.Null(),
    Type.Object({ gatilho: Type.Union([Type.String(), Type.Null()]), entregas: Type.Array(Type.Integer()), via: Type.String() }),
  ]),
  chaveIdempotencia: Type.String(),
  deduplicated: Type.Boolean(),
};

/** Claims the key, runs the SET fan-out and publishes the change to the webhooks of its gatilho (packages/webhooks). */
export function receiveChange<S extends object>(
  database: CrmDatabase,
  producer: JobProducer,
  empresaId: number,
  body: { tabela: string; id?: string | number | undefined; operacao?: Operacao | undefined; chaveIdempotencia?: string | undefined },
  runSetIntegrations: () => Promise<S>,
  options: { captureByTriggers?: boolean | undefined },
) {
  return receiveChangeEvent(
    { db: database.db, producer, runSetIntegrations, captureByTriggers: options.captureByTriggers ?? false },
    empresaId,
    {
      tabela: body.tabela,
      id: body.id === undefined ? undefined : String(body.id),
      operacao: body.operacao,
      chaveIdempotencia: body.chaveIdempotencia,
    },
  );
}
