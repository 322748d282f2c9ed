import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_RECEPTOR_RETRY, maxAttemptsOf, RECEPTOR_BACKOFF, receptorBackoff, setDefaultRetryPolicy } from '@integrador/jobs';
import { loadConnections } from './load-connections';

describe('loadConnections', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'connections-'));
  const file = path.join(dir, 'connections.yaml');
  fs.writeFileSync(
    file,
    [
      'connections:',
      '  padrao:',
      '    tipo: webservice',
      '    baseUrl: https://erp.example',
      '    user: u',
      '    password: p',
      '  propria:',
      '    tipo: webservice',
      '    baseUrl: https://erp.example',
      '    user: u',
      '    password: p',
      '    retry: { attempts: 3, backoffMs: 100 }',
    ].join('\n'),
  );
  // The process default is module state: each test starts from (and leaves) the built-in one.
  afterEach(() => setDefaultRetryPolicy(DEFAULT_RECEPTOR_RETRY));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  // E.g. the admission's CRM read failing before the connection resolves: no policy on the error.
  const unmarked = () => new Error('crm database unreachable');

  it("gives a connection without retry the fleet's SET retry policy and keeps a connection's own", async () => {
    const setRetry = { attempts: 20, backoffMs: 5000, maxDelayMs: 600000 };
    const { connections } = await loadConnections({ connectionsFile: file, secretSource: {}, setRetry });
    expect(connections.require('padrao').retry).toEqual(setRetry);
    expect(connections.require('propria').retry).toEqual({ attempts: 3, backoffMs: 100 });
    expect(connections.file).toBe(file);
  });

  it('changes no process state: a failure that carries no connection policy still goes by the built-in default', async () => {
    const setRetry = { attempts: 3, backoffMs: 500, maxDelayMs: 1000 };
    await loadConnections({ connectionsFile: file, secretSource: {}, setRetry });
    await loadConnections({ connectionsFile: undefined, secretSource: {}, setRetry });
    expect(receptorBackoff(1, unmarked())).toBe(DEFAULT_RECEPTOR_RETRY.backoffMs);
    expect(maxAttemptsOf({ attempts: 25, backoff: { type: RECEPTOR_BACKOFF } })).toBe(DEFAULT_RECEPTOR_RETRY.attempts);
  });
});
