import { MissingVariableError } from '../template';
import { fillLink } from './link-template';
import { PermanentError } from './permanent-error';

describe('fillLink', () => {
  it('refuses an empty or blank value in a path segment as a missing variable (it would name the collection)', () => {
    for (const id of ['', '   ']) {
      expect(() => fillLink('PUT /api/clientes/#id#', { id }, 1)).toThrow(MissingVariableError);
    }
    // In the query an empty value is a value.
    expect(fillLink('GET /api/clientes?nome=#nome#', { nome: '' }, 1)).toBe('GET /api/clientes?nome=');
  });

  it('refuses an object or a list as a value, in the path and in the query', () => {
    for (const link of ['PUT /api/clientes/#id#', 'GET /api/clientes?id=#id#']) {
      for (const id of [{ a: 1 }, [1, 2]]) {
        expect(() => fillLink(link, { id }, 7)).toThrow(PermanentError);
        expect(() => fillLink(link, { id }, 7)).toThrow('#id# is an object or a list');
      }
    }
    expect(fillLink('PUT /api/x/#d#', { d: new Date('2026-01-02T03:04:05.000Z') }, 1)).toBe('PUT /api/x/2026-01-02T03%3A04%3A05.000Z');
  });

  it('keeps the query as written around the filled values (a flag without "=" stays so), values still encoded', () => {
    expect(fillLink('GET /api/c?flag&x=#x#&y=1', { x: 'a b&c=d' }, 1)).toBe('GET /api/c?flag&x=a+b%26c%3Dd&y=1');
    expect(fillLink('PUT /api/c/#id#?origem=crm', { id: 'a/b' }, 1)).toBe('PUT /api/c/a%2Fb?origem=crm');
  });
});
