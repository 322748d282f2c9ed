import { JOB_CATALOG } from './catalog';
import { MAX_RECEPTOR_ATTEMPTS, maxAttemptsOf, receptorBackoff, withRetryPolicy } from './retry-policy';

describe('receptorBackoff', () => {
  it('waits 2, 4, 8 … 256 s by default, then 5 min at most, and stops after the 12th attempt: an outage of ~20 min', () => {
    const err = new Error('soap:Server');
    const waits = Array.from({ length: 11 }, (_, i) => receptorBackoff(i + 1, err));
    expect(waits).toEqual([2000, 4000, 8000, 16000, 32000, 64000, 128000, 256000, 300000, 300000, 300000]);
    expect(waits.reduce((sum, wait) => sum + wait, 0)).toBeGreaterThan(20 * 60_000);
    expect(receptorBackoff(12, err)).toBe(-1);
  });

  it('caps a connection policy at its maxDelayMs, and leaves one without it doubling', () => {
    const capped = withRetryPolicy(new Error('503'), { attempts: 5, backoffMs: 1000, maxDelayMs: 3000 });
    expect([1, 2, 3, 4].map((made) => receptorBackoff(made, capped))).toEqual([1000, 2000, 3000, 3000]);
    const doubling = withRetryPolicy(new Error('503'), { attempts: 5, backoffMs: 1000 });
    expect(receptorBackoff(4, doubling)).toBe(8000);
  });

  it('follows the policy its connection marked the error with, up to the attempts ceiling', () => {
    const err = withRetryPolicy(new Error('timeout'), { attempts: 3, backoffMs: 100 });
    expect([1, 2, 3].map((made) => receptorBackoff(made, err))).toEqual([100, 200, -1]);
    const many = withRetryPolicy(new Error('timeout'), { attempts: 99, backoffMs: 1 });
    expect(receptorBackoff(MAX_RECEPTOR_ATTEMPTS, many)).toBe(-1);
  });
});

describe('maxAttemptsOf', () => {
  it('gives a SET push the attempts receptorBackoff lets it have, other job kinds their own', () => {
    const setPush = JOB_CATALOG.set['integration.run'].policy;
    expect(maxAttemptsOf(setPush)).toBe(12);
    expect(maxAttemptsOf(setPush, { attempts: 9, backoffMs: 5000 })).toBe(9);
    expect(maxAttemptsOf(setPush, { attempts: 99, backoffMs: 1 })).toBe(MAX_RECEPTOR_ATTEMPTS);
    // The last attempt it gets is the one receptorBackoff stops after.
    expect(receptorBackoff(maxAttemptsOf(setPush), new Error('503'))).toBe(-1);
    expect(receptorBackoff(maxAttemptsOf(setPush) - 1, new Error('503'))).toBeGreaterThan(0);
    expect(maxAttemptsOf(JOB_CATALOG.get['integration.run'].policy, { attempts: 12, backoffMs: 1 })).toBe(10);
    expect(maxAttemptsOf({})).toBe(1);
  });
});
