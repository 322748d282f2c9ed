import { RestartBackoff } from './restart-backoff';

describe('RestartBackoff', () => {
  it('doubles the delay from 1 s per quick death, up to the ceiling', () => {
    const backoff = new RestartBackoff(10_000);
    expect([1, 2, 3, 4, 5, 6].map(() => backoff.next(500))).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
  });

  it('starts over at 1 s after a process ran longer than a minute, and counts each process apart', () => {
    const backoff = new RestartBackoff();
    const other = new RestartBackoff();
    expect([backoff.next(10), backoff.next(10), backoff.next(10)]).toEqual([1000, 2000, 4000]);
    expect(backoff.next(60_001)).toBe(1000);
    expect(backoff.next(60_000)).toBe(2000);
    expect(other.next(10)).toBe(1000);
  });
});
