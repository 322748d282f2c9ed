import { Nullable } from '@integrador/jobs';
import { Type } from '@sinclair/typebox';
import { RowId, Text } from '../schemas';

const Tipo = Type.Union([Type.Literal('contato'), Type.Literal('evento')], { description: 'seed 003 event type' });

/** A JSON endpoint service as a tenant sets it (seed 003's form: nome, URL base, autenticação, tipos de eventos). */
export const ServicoBody = Type.Object(
  {
    nome: Text({ minLength: 1, maxLength: 200 }),
    urlBase: Text({ minLength: 1, maxLength: 1000, description: 'http(s) URL; every event URL must be on its origin' }),
    autenticacao: Type.Union([Type.Literal('basic'), Type.Literal('bearer'), Type.Literal('nenhuma')]),
    usuario: Type.Optional(Text({ minLength: 1, maxLength: 200, description: 'basic only' })),
    segredo: Type.Optional(
      Text({
        minLength: 1,
        maxLength: 200,
        // biome-ignore lint/suspicious/noTemplateCurlyInString: documents the ${NOME} reference syntax
        description: 'basic/bearer: a reference such as "${RUBEUS_TOKEN}" to ENDPOINT_SECRET_<empresaId>_RUBEUS_TOKEN, never the secret',
      }),
    ),
    eventos: Type.Array(
      Type.Object(
        { tipo: Tipo, url: Text({ minLength: 1, maxLength: 1000, description: 'fixed full URL' }) },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 2 },
    ),
    ativo: Type.Optional(Type.Boolean({ default: true })),
    cron: Type.Optional(
      Nullable(
        Text({
          maxLength: 100,
          description:
            'when worker-get syncs the service on its own: a cron read in SCHEDULE_TIMEZONE, e.g. "0 */6 * * *"; absent or null = only on demand',
        }),
      ),
    ),
  },
  { additionalProperties: false },
);

export const ServicoParams = Type.Object({ id: RowId('service id') }, { additionalProperties: false });

export const SyncBody = Type.Object({ tipo: Type.Optional(Tipo) }, { additionalProperties: false });

const Reason = Type.Object({ code: Type.String(), message: Type.String() });

export const ServicoResponse = Type.Object({
  id: Type.Integer(),
  filialId: Nullable(
    Type.Integer({
      description: 'the filial whose key created it (only that filial’s keys and empresa-wide keys change it); null = the whole empresa',
    }),
  ),
  nome: Type.String(),
  urlBase: Type.String(),
  autenticacao: Type.String(),
  usuario: Nullable(Type.String()),
  segredo: Nullable(Type.String()),
  permitirRedePrivada: Type.Boolean(),
  ativo: Type.Boolean(),
  cron: Nullable(Type.String()),
  status: Type.String(),
  statusMotivo: Nullable(Reason),
  ultimaExecucaoEm: Nullable(Type.String()),
  criadoEm: Type.String(),
  atualizadoEm: Type.String(),
  eventos: Type.Array(
    Type.Object({
      tipo: Type.String(),
      url: Type.String(),
      status: Type.String(),
      ultimaExecucaoEm: Nullable(Type.String()),
      ultimoRelatorio: Type.Unknown({ description: 'counts and the first errors (index, field, message) of the last run' }),
    }),
  ),
});

const RecordErrorResponse = Type.Object({ index: Type.Integer(), field: Type.String(), code: Type.String(), message: Type.String() });

export const ValidationResponse = Type.Object({
  ok: Type.Boolean(),
  eventos: Type.Array(
    Type.Object({
      tipo: Type.String(),
      url: Type.String(),
      ok: Type.Boolean(),
      code: Type.String(),
      message: Type.String(),
      recebidos: Type.Optional(Type.Integer()),
      validos: Type.Optional(Type.Integer()),
      invalidos: Type.Optional(Type.Integer()),
      erros: Type.Optional(Type.Array(RecordErrorResponse)),
    }),
  ),
});
