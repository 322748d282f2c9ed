import { type Database, type FailureParams, recordParameters } from '@integrador/store';
import type { Kysely } from 'kysely';
import type { CallRow } from '../calls/call-log.repository';

/** The id of a click-to-call's job (the ingress enqueues it so, and its registro_jobs record keeps it). */
export function clickToCallJobId(empresaId: number, callId: string): string {
  return `c2c-${empresaId}-${callId}`;
}

/** What a failed click-to-call's job record keeps of its failure: the code and the values its wording names. */
export interface ClickToCallFailure {
  code: string | null;
  params: FailureParams | null;
}

/**
 * Why each failed click-to-call of a page of calls failed, by its evento_id: the code and values of its job's record,
 * which the failure catalogue words in the reader's language (ligacoes.erro keeps only the technical message, in
 * English). One query, bound to the empresa; the dashboard's call log and GET /v1/cti/calls' `motivo` read it.
 */
export async function clickToCallFailures(
  db: Kysely<Database>,
  empresaId: number,
  calls: ReadonlyArray<Pick<CallRow, 'status' | 'evento_id'>>,
): Promise<Map<string, ClickToCallFailure>> {
  const jobIds = calls.flatMap((c) => (c.status === 'falhou' && c.evento_id ? [clickToCallJobId(empresaId, c.evento_id)] : []));
  if (!jobIds.length) return new Map();
  const records = await db
    .selectFrom('registro_jobs')
    .select(['job_id', 'erro_codigo', 'parametros'])
    .where('empresa_id', '=', empresaId)
    .where('fila', '=', 'cti')
    .where('job_id', 'in', jobIds)
    .execute();
  const prefix = clickToCallJobId(empresaId, '');
  return new Map(
    records.map((r) => [r.job_id.slice(prefix.length), { code: r.erro_codigo, params: recordParameters(r.parametros).failure }]),
  );
}
