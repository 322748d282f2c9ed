import { DEFAULT_RECEPTOR_RETRY, maxAttemptsOf, RECEPTOR_BACKOFF, receptorBackoff, setDefaultRetryPolicy } from '@integrador/jobs';
import { loadAppConnections } from './app-connections';

describe('loadAppConnections', () => {
  // The process default is module state: each test leaves the built-in one.
  afterEach(() => setDefaultRetryPolicy(DEFAULT_RECEPTOR_RETRY));
  // E.g. the admission's CRM read failing before the connection resolves: no policy on the error.
  const unmarked = () => new Error('crm database unreachable');
  const jobOptions = { attempts: 25, backoff: { type: RECEPTOR_BACKOFF } };

  it("makes SET_RETRY_* the default of a failure with no connection's policy, with no connections file", async () => {
    const connections = await loadAppConnections({
      connectionsFile: undefined,
      secretSource: {},
      setRetry: { attempts: 3, backoffMs: 500, maxDelayMs: 1000 },
    });
    expect(connections.file).toBeUndefined();
    expect([1, 2, 3].map((made) => receptorBackoff(made, unmarked()))).toEqual([500, 1000, -1]);
    // What the API and the dashboard show as the job's maximum.
    expect(maxAttemptsOf(jobOptions)).toBe(3);
  });

  it('leaves the built-in default without SET_RETRY_*', async () => {
    await loadAppConnections({ connectionsFile: undefined, secretSource: {} });
    expect(maxAttemptsOf(jobOptions)).toBe(DEFAULT_RECEPTOR_RETRY.attempts);
  });
});
