import { TransientTransportError, type Transport } from '@integrador/transports';
import { readReturn } from '../return-reader';
import { PermanentError } from './permanent-error';
import { type PrepareContext, type PreparedRecord, prepareSet } from './prepare-set';

/**
 * INFO (seed 001): a synchronous lookup in the receptor through the same preparation, transport and return
 * parsing as a SET, writing nothing. Answers `{ <integracao nome>: values }` (a list when several records).
 */
export async function runInfo(ctx: PrepareContext & { transport: Transport; timeoutMs: number }): Promise<Record<string, unknown>> {
  const { integracao } = ctx.definition;
  const prepared = await prepareSet(ctx);
  const answers: Record<string, unknown>[] = [];
  for (const record of prepared.records) {
    const result = await ctx.transport.send({
      link: record.link,
      operation: integracao.porta_ws,
      body: record.body,
      timeoutMs: ctx.timeoutMs,
    });
    const reading = readReturn(result.data, integracao);
    const message = reading.message === null ? null : (result.maskText?.(reading.message) ?? reading.message);
    if (!reading.ok) throw new PermanentError(reading.code ?? 'RECEPTOR_ERROR', message ?? 'receptor reported an error');
    answers.push(reading.values);
  }
  return { [integracao.nome]: answers.length === 1 ? answers[0] : answers };
}

type PreviewContext = PrepareContext & { transport: Transport; timeoutMs: number };

/** What a SET or INFO would send, without sending: the consulta with its bound values and each request. */
export async function previewSet(ctx: PreviewContext) {
  const prepared = await prepareSet(ctx);
  const records = [];
  for (const record of prepared.records) {
    records.push({ key: record.key, values: record.values, body: record.body, request: await requestOf(ctx, record) });
  }
  return { consulta: prepared.consulta, records };
}

/**
 * previewSet for a reader that must show the consulta whatever the receptor's state (the dashboard's job detail
 * while the ERP is down): a request the transport cannot build because the receptor cannot be reached (a SOAP
 * receptor's WSDL: a TransientTransportError) is `null`, its record marked `requestUnavailable`, instead of failing the
 * whole preview. The consulta needs only the CRM database. Once one record finds the receptor unreachable the rest are
 * marked so without asking again: an unresponsive ERP costs one timeout, not one per record. Any other error (porta_ws
 * missing, the outbound guard's refusal, an invalid integration) is the integration's, not the ERP's: it fails the
 * preview, as previewSet does.
 */
export async function previewSetWithoutReceptor(ctx: PreviewContext) {
  const prepared = await prepareSet(ctx);
  return { consulta: prepared.consulta, records: await requestsUnlessUnreachable(prepared.records, (record) => requestOf(ctx, record)) };
}

/** Each record with the request `build` makes of it, or none once the receptor proved unreachable (see above). */
export async function requestsUnlessUnreachable<R extends Pick<PreparedRecord, 'key' | 'values' | 'body'>>(
  records: readonly R[],
  build: (record: R) => Promise<unknown>,
) {
  const shown = [];
  let unreachable = false;
  for (const record of records) {
    let request: unknown = null;
    if (!unreachable) {
      try {
        request = await build(record);
      } catch (err) {
        if (!(err instanceof TransientTransportError)) throw err;
        unreachable = true;
      }
    }
    shown.push({ key: record.key, values: record.values, body: record.body, request, requestUnavailable: request === null });
  }
  return shown;
}

function requestOf(ctx: PreviewContext, record: PreparedRecord) {
  return ctx.transport.preview({
    link: record.link,
    operation: ctx.definition.integracao.porta_ws,
    body: record.body,
    timeoutMs: ctx.timeoutMs,
  });
}
