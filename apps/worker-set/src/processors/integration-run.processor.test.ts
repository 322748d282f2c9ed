import { RecordsInFlightError } from '@integrador/integrador';
import { DelayedReason, type JobContext } from '@integrador/queue';
import { inFlightRecheckMs, waitForRecords } from './integration-run.processor';

// A job waiting for another job's push of a record (SET_RECORD_IN_FLIGHT) looks again after a growing delay: every
// look re-runs its consulta and claims, and the holder may wait out a receptor's backoff for hours.
describe('the wait of a SET job for a record in flight', () => {
  it('starts at 2 s and doubles with each wait since its last attempt, up to a minute', () => {
    // BullMQ counts a start per run; a wait (moveToDelayed) uses no attempt.
    const after = (waits: number, attemptsMade = 0) => inFlightRecheckMs({ attemptsStarted: attemptsMade + 1 + waits, attemptsMade });
    expect([0, 1, 2, 3, 4, 5, 6, 50].map((waits) => after(waits))).toEqual([2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
    // An attempt used since (a BullMQ retry) starts over.
    expect(after(0, 3)).toBe(2000);
  });
});

describe('a SET job waiting for a record another job claims', () => {
  /** The JobContext parts waitForRecords reads: which holders ended or are gone, and the delays it asks for. */
  const context = (ended: string[], gone: string[]) => {
    const delays: number[] = [];
    const ctx = {
      token: 'lock',
      logger: { info: () => undefined },
      job: { attemptsStarted: 1, attemptsMade: 0, moveToDelayed: async (at: number) => void delays.push(at) },
      jobEnded: async (id: string) => ended.includes(id) || gone.includes(id),
      jobGone: async (id: string) => gone.includes(id),
    } as unknown as JobContext;
    return { ctx, delays };
  };
  const inFlight = (holderJobId: string) => new RecordsInFlightError(19, [{ key: 'id42', holderJobId, held: false }]);

  it('fails for good naming a holder that ended, and waits for one removed since it was met (found orphaned next run)', async () => {
    const ended = context(['7'], []);
    await expect(waitForRecords(ended.ctx, inFlight('7'))).rejects.toMatchObject({ code: 'SET_RECORD_UNRESOLVED' });
    const gone = context([], ['7']);
    await expect(waitForRecords(gone.ctx, inFlight('7'))).rejects.toBeInstanceOf(DelayedReason);
    expect(gone.delays).toHaveLength(1);
  });
});
