import { parseConnections } from './connections-file';
import { ConnectionsRegistry, emptyConnections } from './connections-registry';
import { ConnectionForbiddenError, ConnectionNotFoundError } from './errors';

const TEXT = `connections:
  senior_g5: { tipo: ws, baseUrl: "https://erp", user: u, password: p, empresaId: 1 }
  shared: { tipo: api, baseUrl: "https://api" }
`;

describe('ConnectionsRegistry', () => {
  const registry = parseConnections(TEXT, 'yaml', {}, '/etc/integrador/connections.yaml');

  it('lets the restricted empresa, and callers without an empresa, use a connection', () => {
    expect(registry.require('senior_g5', 1).name).toBe('senior_g5');
    expect(registry.require('senior_g5').name).toBe('senior_g5');
    expect(registry.require('shared', 7).name).toBe('shared');
  });

  it('refuses a connection to another empresa', () => {
    expect(() => registry.require('senior_g5', 2)).toThrow(ConnectionForbiddenError);
    expect(() => registry.require('senior_g5', 2)).toThrow(
      expect.objectContaining({
        code: 'CONNECTION_FORBIDDEN',
        // The record is the asking tenant's: the other empresa's id only in the log's detail.
        message: 'connection "senior_g5" is restricted to another empresa; this empresa may not use it',
        params: { connection: 'senior_g5' },
        logDetail: 'restricted to empresa 1, asked for by empresa 2',
      }),
    );
  });

  it("names only the unknown connection in its message; the file and the other names are the log's detail", () => {
    expect(registry.get('nope')).toBeUndefined();
    expect(() => registry.require('nope')).toThrow(
      expect.objectContaining({
        name: 'ConnectionNotFoundError',
        code: 'CONNECTION_NOT_FOUND',
        message: `connection "nope" is not defined in the workers' connections file`,
        params: { connection: 'nope' },
        logDetail: 'connections file /etc/integrador/connections.yaml (defined: senior_g5, shared)',
      }),
    );
  });

  it('has an empty form for when no file is configured', () => {
    const empty = emptyConnections();
    expect(empty.names()).toEqual([]);
    expect([...empty.entries()]).toEqual([]);
    expect(() => empty.require('senior_g5')).toThrow(ConnectionNotFoundError);
    expect(() => empty.require('senior_g5')).toThrow('connection "senior_g5" is not defined: no connections file is configured');
  });
});

describe('ConnectionsRegistry.reload', () => {
  // The file as the reader finds it on each read, and how many reads were made (a registry read by a worker).
  let text = '';
  let reads = 0;
  const fileWith = (password: string) => `connections:
  erp: { tipo: database, driver: mysql, host: erp.example, database: erp, user: u, password: ${password} }
  crm: { tipo: api, baseUrl: "https://api" }
`;
  const read = async (): Promise<ConnectionsRegistry> => {
    reads++;
    const parsed = parseConnections(text, 'yaml', {}, 'connections.yaml');
    return new ConnectionsRegistry(
      [...parsed.entries()].map(([, connection]) => connection),
      'connections.yaml',
      read,
    );
  };
  const registry = async () => {
    text = fileWith('antiga');
    reads = 0;
    const loaded = await read();
    reads = 0;
    return loaded;
  };

  it('keeps the objects of unchanged definitions and tells no listener when nothing changed', async () => {
    const connections = await registry();
    const [erp, crm] = [connections.require('erp'), connections.require('crm')];
    let heard = 0;
    connections.onReload(() => void heard++);
    expect(await connections.reload()).toEqual([]);
    expect(connections.require('erp')).toBe(erp);
    expect(heard).toBe(0);
    // One changed: only that one is a new object, and the listeners hear of it.
    text = fileWith('nova');
    expect(await connections.reload()).toEqual(['erp']);
    expect(connections.require('erp')).not.toBe(erp);
    expect(connections.require('crm')).toBe(crm);
    expect(heard).toBe(1);
  });

  it('reads the file once for a wave of refusals of an unchanged definition, and not again right after', async () => {
    const connections = await registry();
    const erp = connections.require('erp');
    const wave = await Promise.all([connections.replacedAfterRefusal(erp), connections.replacedAfterRefusal(erp)]);
    expect(wave.map((outcome) => outcome.replaced)).toEqual([false, false]);
    expect(wave.map((outcome) => outcome.read).sort()).toEqual([false, true]);
    expect(reads).toBe(1);
    // A password wrong in the file too: the next push's refusal does not read it again (cooldown).
    expect(await connections.replacedAfterRefusal(erp)).toEqual({ replaced: false, read: false });
    expect(reads).toBe(1);
  });

  it('reads again at once after a read that changed something, and answers a refusal of a replaced definition unread', async () => {
    const connections = await registry();
    const erp = connections.require('erp');
    text = fileWith('nova');
    expect(await connections.replacedAfterRefusal(erp)).toEqual({ replaced: true, read: true });
    expect(await connections.replacedAfterRefusal(erp)).toEqual({ replaced: true, read: false });
    expect(reads).toBe(1);
    // The new definition refused too (no cooldown after a change): read again.
    expect(await connections.replacedAfterRefusal(connections.require('erp'))).toEqual({ replaced: false, read: true });
    expect(reads).toBe(2);
  });
});
