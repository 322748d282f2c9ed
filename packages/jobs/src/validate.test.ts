import { JOB_CATALOG, jobNames, QUEUE_NAMES } from './index';
import { JobPayloadError, validatePayload } from './validate';

describe('job contracts', () => {
  it('accepts a valid ping on every queue and fills defaults', () => {
    for (const queue of QUEUE_NAMES) {
      const payload = validatePayload(queue, 'system.ping', { tenant: { empresaId: 1, filialId: null } });
      expect(payload).toEqual({ tenant: { empresaId: 1, filialId: null }, sleepMs: 0 });
    }
  });

  it('does not mutate the caller object when filling defaults', () => {
    const input = { tenant: { empresaId: 1, filialId: null } };
    validatePayload('set', 'system.ping', input);
    expect(input).toEqual({ tenant: { empresaId: 1, filialId: null } });
  });

  it.each([
    [{ tenant: { empresaId: 0, filialId: null } }, '/tenant/empresaId'],
    [{ tenant: { empresaId: 1 } }, '/tenant/filialId'],
    [{}, '/tenant'],
    [{ tenant: { empresaId: 1, filialId: null }, sleepMs: 999999 }, '/sleepMs'],
    [{ tenant: { empresaId: 1, filialId: null }, extra: 1 }, '/extra'],
  ])('rejects %j naming field %s', (data, field) => {
    expect.assertions(3);
    try {
      validatePayload('cti', 'system.ping', data);
    } catch (err) {
      expect(err).toBeInstanceOf(JobPayloadError);
      expect((err as JobPayloadError).field).toBe(field);
      expect((err as Error).message).toContain(field);
    }
  });

  it('rejects a job name the queue does not accept', () => {
    expect(() => validatePayload('set', 'nope', {})).toThrow('queue "set" has no job named "nope"');
  });

  it('gives every job kind bounded retries', () => {
    for (const queue of QUEUE_NAMES) {
      for (const name of jobNames(queue)) {
        const policy = (JOB_CATALOG[queue] as Record<string, { policy: { attempts: number } }>)[name]?.policy;
        expect(policy?.attempts).toBeGreaterThan(0);
        expect(policy?.attempts).toBeLessThanOrEqual(25);
      }
    }
  });
});
