import type { Transport } from '@integrador/transports';
import { readReturn } from '../return-reader';
import { PermanentError } from './permanent-error';
import { type PrepareContext, prepareSet } from './prepare-set';

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

/** What a SET or INFO would send, without sending: the consulta with its bound values and each request. */
export async function previewSet(ctx: PrepareContext & { transport: Transport; timeoutMs: number }) {
  const { integracao } = ctx.definition;
  const prepared = await prepareSet(ctx);
  const records = [];
  for (const record of prepared.records) {
    const request = await ctx.transport.preview({
      link: record.link,
      operation: integracao.porta_ws,
      body: record.body,
      timeoutMs: ctx.timeoutMs,
    });
    records.push({ key: record.key, values: record.values, body: record.body, request });
  }
  return { consulta: prepared.consulta, records };
}
