import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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
});
