import { parseConnections } from './connections-file';
import { emptyConnections } from './connections-registry';
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
        message: 'connection "senior_g5" is restricted to empresa 1; empresa 2 may not use it',
      }),
    );
  });

  it('names the file and the defined connections when a name is unknown', () => {
    expect(registry.get('nope')).toBeUndefined();
    expect(() => registry.require('nope')).toThrow(
      expect.objectContaining({
        name: 'ConnectionNotFoundError',
        code: 'CONNECTION_NOT_FOUND',
        message: 'connection "nope" is not defined in connections file /etc/integrador/connections.yaml (defined: senior_g5, shared)',
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
