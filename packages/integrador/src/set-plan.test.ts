import { buildRequest, compileCampos } from './request-mapping';
import { readReturn } from './return-reader';
import { planValues, writeBackValues } from './set-plan';
import { compileTemplate } from './template';

describe('planValues', () => {
  it('lets dependency values override the row, and the row override parametros', () => {
    const values = planValues(
      { id: 42, nome: 'ACME', cidade_id: 7, contaId: 42 },
      { contaId: '42', origem: 'webhook' },
      { cidade_id: '4205407', codRep: 15 },
    );
    expect(values).toEqual({ contaId: 42, origem: 'webhook', id: 42, nome: 'ACME', cidade_id: '4205407', codRep: 15 });
  });

  it('keeps names that differ only in case side by side (exact lookups still find their own)', () => {
    const values = planValues({ contaid: 5 }, { contaId: '5' }, {});
    expect(values).toEqual({ contaId: '5', contaid: 5 });
  });

  it('keeps a column named __proto__ as a value, not as the prototype', () => {
    const row = JSON.parse('{"__proto__": {"polluted": true}, "nome": "ACME"}') as Record<string, unknown>;
    const values = planValues(row, {}, {});
    expect(Object.getPrototypeOf(values)).toBe(Object.prototype);
    expect(Object.keys(values)).toEqual(['__proto__', 'nome']);
    expect((values as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it('does not change its inputs', () => {
    const row = { a: 1 };
    const parametros = { b: '2' };
    const deps = { a: 3 };
    planValues(row, parametros, deps);
    expect([row, parametros, deps]).toEqual([{ a: 1 }, { b: '2' }, { a: 3 }]);
  });
});

describe('writeBackValues', () => {
  it('adds the returned values over the planned ones, as sql_update sees them (seed 001)', () => {
    const planned = planValues({ id: 42, id_erp: null }, { contaId: '42' }, {});
    const reading = readReturn(
      { tipoRetorno: 1, erroExecucao: '', retornosClientes: [{ codCli: 1234, retorno: 'OK' }] },
      { indice_array_retorno: 'retornosClientes', indice_valor_retorno: 'codCli', indice_erro_retorno: 'erro,mensagemErro,erroExecucao' },
    );
    const values = writeBackValues(planned, reading);
    expect(values).toEqual({ contaId: '42', id: 42, id_erp: null, codCli: 1234 });
    expect(compileTemplate('UPDATE contas SET id_erp = #codCli# WHERE id = #contaId#', values, 'postgres')).toMatchObject({
      sql: 'UPDATE contas SET id_erp = $1 WHERE id = $2',
      parameters: [1234, '42'],
    });
  });

  it('lets a returned value win over a planned one of the same name', () => {
    expect(writeBackValues({ codCli: null, nome: 'x' }, { values: { codCli: 9 } })).toEqual({ codCli: 9, nome: 'x' });
  });

  it('feeds buildRequest the planned values', () => {
    const values = planValues({ nome: 'ACME' }, { contaId: '42' }, { codCid: 4205407 });
    const { body } = buildRequest(
      compileCampos([{ id: 1, ordem: 1, campo_crm: '{"nomCli": "#nome#", "ideExt": "#contaId#", "codCid": "#codCid#"}' }]),
      values,
    );
    expect(body).toEqual({ nomCli: 'ACME', ideExt: '42', codCid: 4205407 });
  });
});
