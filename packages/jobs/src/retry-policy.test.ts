import { MAX_RECEPTOR_ATTEMPTS, receptorBackoff, withRetryPolicy } from './retry-policy';

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
