import type { RecordBusyError } from '@integrador/store';

/** A record of the run another job claims: the job whose push of it is in flight, or whose row holds it. */
export interface RecordInFlight {
  key: string;
  holderJobId: string | null;
  held: boolean;
}

/**
 * The run's records another job of the integration claims (its push in flight, or a hold that came after this run
 * looked): not sent by this job, never twice at once (migration 024). Not a failure: the job waits and runs again
 * (its other records went out and are not sent again), then finds the record written back, held, or free.
 */
export class RecordsInFlightError extends Error {
  override name = 'RecordsInFlightError';
  readonly code = 'SET_RECORD_IN_FLIGHT';

  constructor(
    readonly integracaoId: number,
    readonly records: readonly RecordInFlight[],
  ) {
    const keys = records.map((record) => record.key).join(', ');
    const jobs = [...new Set(records.map((record) => record.holderJobId ?? '?'))].join(', ');
    super(`integracao #${integracaoId}: record ${keys} not sent now: job ${jobs} is sending it; this job runs again once it ends`);
  }
}

/** What a refused claim says about the record. */
export function inFlightOf(key: string, err: RecordBusyError): RecordInFlight {
  return { key, holderJobId: err.holderJobId, held: err.held };
}
