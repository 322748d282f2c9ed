import { JOB_CATALOG } from './catalog';
import { MAX_RECEPTOR_ATTEMPTS, maxAttemptsOf, receptorBackoff, withRetryPolicy } from './retry-policy';

describe('receptorBackoff', () => {
  it('waits 2, 4, 8, 16, 32 s by default and stops after the 6th attempt', () => {
    const err = new Error('soap:Server');
    expect([1, 2, 3, 4, 5].map((made) => receptorBackoff(made, err))).toEqual([2000, 4000, 8000, 16000, 32000]);
    expect(receptorBackoff(6, err)).toBe(-1);
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
    expect(maxAttemptsOf(setPush)).toBe(6);
    expect(maxAttemptsOf(setPush, { attempts: 12, backoffMs: 5000 })).toBe(12);
    expect(maxAttemptsOf(setPush, { attempts: 99, backoffMs: 1 })).toBe(MAX_RECEPTOR_ATTEMPTS);
    // The last attempt it gets is the one receptorBackoff stops after.
    expect(receptorBackoff(maxAttemptsOf(setPush), new Error('503'))).toBe(-1);
    expect(receptorBackoff(maxAttemptsOf(setPush) - 1, new Error('503'))).toBeGreaterThan(0);
    expect(maxAttemptsOf(JOB_CATALOG.get['integration.run'].policy, { attempts: 12, backoffMs: 1 })).toBe(8);
    expect(maxAttemptsOf({})).toBe(1);
  });
});
