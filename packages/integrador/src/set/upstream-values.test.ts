import { createEmpresa } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { planValues } from '../set-plan';
import { compileDependencia } from './compile-set';
import { resolveDependencias } from './dependencies';
import { runInputs, type UpstreamValues } from './upstream-values';

const upstream: UpstreamValues = {
  values: { codCli: 901, contaId: 'from-flow' },
  integracoes: { '19': { nome: 'SET-WS-CONTAS', values: { codCli: 901 } }, '20': { values: { codCli: 5, id: 77 } } },
};

describe('flow values in a run', () => {
  it('layers parametros < upstream flat values < integracao_<id> namespaces; row columns and dependencias win later', () => {
    const inputs = runInputs({ contaId: '42', extra: 'x' }, upstream);
    expect(inputs).toMatchObject({
      contaId: 'from-flow',
      extra: 'x',
      codCli: 901,
      integracao_19: { codCli: 901 },
      integracao_20: { id: 77 },
    });
    const values = planValues({ codCli: 'column', id: 1 }, inputs as Record<string, string>, { extra: 'dependencia' });
    expect(values).toMatchObject({ codCli: 'column', id: 1, extra: 'dependencia', integracao_20: { codCli: 5, id: 77 } });
    expect(runInputs({ contaId: '42' }, undefined)).toEqual({ contaId: '42' });
  });

  describe('dependencias tipo integracao', () => {
    let database: TestDatabase;
    let empresaId: number;
    beforeAll(async () => {
      database = await createTestDatabase('sqlite');
      empresaId = await createEmpresa(database.db, 'E');
      await database.db
        .insertInto('integracao_execucoes')
        .values({
          empresa_id: empresaId,
          integracao_id: 19,
          chave: 'k1',
          job_id: '1',
          status: 'concluido',
          valores: '{"codCli":111}',
          mensagem: null,
          tentativas: 1,
        })
        .execute();
    });
    afterAll(() => database.drop());
    const scope = () => ({ tenant: { empresaId, filialId: null }, tables: new Map() });

    const dependencia = {
      id: 1,
      integracao_id: 21,
      campos_integracao_id: null,
      variavel: 'cliente',
      tipo: 'integracao',
      consulta: null,
      integracao_origem_id: 19,
      indice_valor: 'codCli',
      obrigatoria: 1,
      descricao: null,
    };

    it("prefers the origin's value in this flow over its last completed result", async () => {
      expect(await resolveDependencias(database.db, 'sqlite', scope(), [compileDependencia(dependencia)], {}, upstream)).toEqual({
        cliente: 901,
      });
    });

    it('falls back to the last completed result when run alone, or when the origin was not in the flow', async () => {
      expect(await resolveDependencias(database.db, 'sqlite', scope(), [compileDependencia(dependencia)], {})).toEqual({ cliente: 111 });
      const other = { ...dependencia, integracao_origem_id: 19 };
      const withoutOrigin: UpstreamValues = { values: {}, integracoes: { '20': { values: { codCli: 5 } } } };
      expect(await resolveDependencias(database.db, 'sqlite', scope(), [compileDependencia(other)], {}, withoutOrigin)).toEqual({
        cliente: 111,
      });
    });
  });
});
