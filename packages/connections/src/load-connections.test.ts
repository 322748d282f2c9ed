import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { maxAttemptsOf, RECEPTOR_BACKOFF, receptorBackoff } from '@integrador/jobs';
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
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("gives a connection without retry the fleet's SET retry policy and keeps a connection's own", async () => {
    const setRetry = { attempts: 20, backoffMs: 5000, maxDelayMs: 600000 };
    const registry = await loadConnections({ connectionsFile: file, secretSource: {}, setRetry });
    expect(registry.require('padrao').retry).toEqual(setRetry);
    expect(registry.require('propria').retry).toEqual({ attempts: 3, backoffMs: 100 });
    expect(registry.file).toBe(file);
  });

  it('makes SET_RETRY_* the process default, with no connections file: a failure that carries no connection policy', async () => {
    const registry = await loadConnections({
      connectionsFile: undefined,
      secretSource: {},
      setRetry: { attempts: 3, backoffMs: 500, maxDelayMs: 1000 },
    });
    expect(registry.file).toBeUndefined();
    // E.g. the admission's CRM read failing before the connection resolves: no policy on the error.
    const unmarked = new Error('crm database unreachable');
    expect([1, 2, 3].map((made) => receptorBackoff(made, unmarked))).toEqual([500, 1000, -1]);
    // What the API and the dashboard show as the job's maximum.
    expect(maxAttemptsOf({ attempts: 25, backoff: { type: RECEPTOR_BACKOFF } })).toBe(3);
  });
});
