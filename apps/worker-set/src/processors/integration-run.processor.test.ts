import { inFlightRecheckMs } from './integration-run.processor';

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
