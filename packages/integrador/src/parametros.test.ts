import { missingParameters, requiredParameters } from './parametros';

describe('parametros_obrigatorios', () => {
  it('lists the names of the column, trimmed, in order', () => {
    expect(requiredParameters({ parametros_obrigatorios: 'contaId, usuarioId,,' })).toEqual(['contaId', 'usuarioId']);
    expect(requiredParameters({ parametros_obrigatorios: null })).toEqual([]);
  });

  it('reports absent, null and empty values as missing', () => {
    const row = { parametros_obrigatorios: 'a,b,c,d' };
    expect(missingParameters(row, { a: '1', b: '', c: null, d: 0 })).toEqual(['b', 'c']);
  });
});
