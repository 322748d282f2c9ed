import { changeParametros, missingParameters, requiredParameters, rowIdParameter } from './parametros';

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

describe('rowIdParameter: the parameter naming a row of a table (the CRM foreign key, camelCase)', () => {
  it.each([
    ['contas', 'contaId'],
    ['contatos', 'contatoId'],
    ['oportunidades', 'oportunidadeId'],
    ['atividades', 'atividadeId'],
    ['eventos', 'eventoId'],
    ['pedidos', 'pedidoId'],
    ['usuarios', 'usuarioId'],
    ['integracoes', 'integracaoId'],
    ['fornecedores', 'fornecedorId'],
    ['itens', 'itemId'],
    ['servicos_endpoint', 'servicoEndpointId'],
    ['ramos_atividade', 'ramoAtividadeId'],
    ['Contas', 'contaId'],
  ])('%s → %s', (tabela, name) => {
    expect(rowIdParameter(tabela)).toBe(name);
  });
});

describe('changeParametros', () => {
  it("offers the changed row's id under the table's parameter, as given", () => {
    expect(changeParametros('contas', '7', {})).toEqual({ contaId: '7' });
    expect(changeParametros('contatos', 12, { origem: 'crm' })).toEqual({ origem: 'crm', contatoId: 12 });
  });

  it('lets explicit parametros win and adds nothing without an id', () => {
    expect(changeParametros('contas', '7', { contaId: 8 })).toEqual({ contaId: 8 });
    expect(changeParametros('contas', '7', { contaId: '' })).toEqual({ contaId: '7' });
    expect(changeParametros('contas', undefined, {})).toEqual({});
  });
});
