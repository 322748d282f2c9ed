import { normalizeConnectionKind } from './connection-kind';

describe('normalizeConnectionKind', () => {
  it.each([
    ['WS', 'webservice'],
    ['Web Service', 'webservice'],
    ['web-service', 'webservice'],
    ['WEBSERVICE', 'webservice'],
    ['soap', 'webservice'],
    ['BD', 'database'],
    ['Banco', 'database'],
    [' banco  de dados ', 'database'],
    ['Database', 'database'],
    ['db', 'database'],
    ['API', 'api'],
    ['Rest', 'api'],
    // Seed 001's own spellings, accepted by lint exactly as by the worker.
    ['Conexão via Web Service', 'webservice'],
    ['Conexão via banco de dados', 'database'],
    ['Conexão via API', 'api'],
  ])('reads %p as %p', (tipo, kind) => {
    expect(normalizeConnectionKind(tipo)).toBe(kind);
  });

  it('returns null for an unknown tipo_conexao', () => {
    expect(normalizeConnectionKind('ftp')).toBeNull();
    expect(normalizeConnectionKind('')).toBeNull();
  });
});
