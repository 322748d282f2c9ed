import type { CampoIntegracao, Dependencia, Integracao, Regra } from '@integrador/store';
import { caught } from '@integrador/test-support/caught';
import { buildRequest, MappingError } from '../request-mapping';
import { RuleConfigError } from '../rule-errors';
import { applyRules } from '../rules';
import { bindStatement } from '../template';
import { compileSetDefinition } from './compile-set';
import { PermanentError } from './permanent-error';
import type { ComponentDefinition, SetDefinition } from './set-definition.repository';

const integracao = (id: number, nome: string, extra: Partial<Integracao> = {}) =>
  ({
    id,
    nome,
    consulta: null,
    sql_update: null,
    indice_valor_retorno: null,
    ...extra,
  }) as unknown as Integracao;
const campo = (id: number, campo_crm: string, integracao_id = 19) => ({ id, integracao_id, campo_crm, ordem: id }) as CampoIntegracao;
const regra = (id: number, campo: string, tipo: string, parametros: string | null = null) =>
  ({ id, integracao_id: 19, campo, tipo, parametros, ordem: id, campos_integracao_id: null }) as Regra;
const dependencia = (id: number, tipo: string, consulta: string | null) =>
  ({
    id,
    integracao_id: 19,
    variavel: `v${id}`,
    tipo,
    consulta,
    integracao_origem_id: null,
    indice_valor: null,
    obrigatoria: 0,
  }) as Dependencia;

function component(id: number, nome: string, campos: CampoIntegracao[]): ComponentDefinition {
  return { integracao: integracao(id, nome), campos, dependencias: [], regras: [] };
}

function definition(parts: Partial<SetDefinition>): SetDefinition {
  return {
    integracao: integracao(19, 'SET-WS-CONTAS'),
    campos: [],
    dependencias: [],
    regras: [],
    conexao: undefined,
    components: new Map(),
    ...parts,
  };
}

describe('compileSetDefinition', () => {
  it('compiles what every push uses once: consulta SQL, campos, regras, dependencias, sql_update and its variables', () => {
    const { compiled } = compileSetDefinition(
      definition({
        integracao: integracao(19, 'SET-WS-CONTAS', {
          consulta: '{"consulta": "SELECT * FROM contas WHERE id = #contaId#"}',
          sql_update: 'UPDATE contas SET id_erp = #codCli# WHERE id = #contaId# AND empresa_id = #empresa_id#',
          indice_valor_retorno: 'codCli',
        }),
        campos: [campo(1, '{"nomCli": "#nome#", "cgcCpf": "#cnpj#"}')],
        regras: [regra(1, 'cgcCpf', 'somente_digitos')],
        dependencias: [dependencia(1, 'SQL', 'SELECT 1'), dependencia(2, 'integração', null)],
      }),
      'postgres',
    );
    expect(compiled.consulta?.()).toBe('SELECT * FROM contas WHERE id = #contaId#');
    const mapped = buildRequest(compiled.campos(), { nome: 'ACME', cnpj: '12.345' });
    expect(applyRules(mapped.body, compiled.regras()).body).toEqual({ nomCli: 'ACME', cgcCpf: '12345' });
    expect(compiled.dependencias.map((dep) => dep.lookup())).toEqual([{ kind: 'consulta', sql: 'SELECT 1' }, { kind: 'integracao' }]);
    expect(compiled.writeBack.needs).toEqual([{ name: 'contaId', head: 'contaId' }]);
    const statement = compiled.writeBack.statement;
    expect(statement?.sql).toBe('UPDATE contas SET id_erp = $1 WHERE id = $2 AND empresa_id = $3');
    expect(statement && bindStatement(statement, { codCli: 9, contaId: 4, empresa_id: 1 }).parameters).toEqual([9, 4, 1]);
  });

  it('defers a part that does not compile to the push that uses it, failing every such push afresh', () => {
    const loaded = compileSetDefinition(
      definition({
        campos: [campo(1, '{"nomCli": ')],
        regras: [regra(1, 'x', 'nao_existe')],
        dependencias: [dependencia(1, 'outra', null), dependencia(2, 'consulta', null)],
      }),
      'sqlite',
    );
    const { compiled } = loaded;
    const first = caught(compiled.campos);
    expect(first).toBeInstanceOf(MappingError);
    expect(first).toMatchObject({ code: 'INVALID_CAMPO_CRM', campoIds: [1] });
    expect(caught(compiled.campos)).not.toBe(first);
    expect(caught(compiled.regras)).toBeInstanceOf(RuleConfigError);
    expect(compiled.dependencias.map((dep) => caught(dep.lookup))).toEqual([
      expect.objectContaining({ code: 'DEPENDENCY_CONFIG', message: expect.stringContaining('unknown tipo "outra"') }),
      expect.objectContaining({ code: 'DEPENDENCY_CONFIG', message: expect.stringContaining('tipo consulta without consulta') }),
    ]);
    expect(caught(compiled.dependencias[0]?.lookup ?? (() => null))).toBeInstanceOf(PermanentError);
    expect(compiled.writeBack).toEqual({ statement: null, needs: [] });
  });

  it('keeps only the components the campos name; a broken one no campo names fails nothing', () => {
    const { compiled } = compileSetDefinition(
      definition({
        campos: [campo(1, '{"enderecos": "#componente:Enderecos#"}')],
        components: new Map([
          ['ENDERECOS', component(30, 'ENDERECOS', [campo(5, '{"cep": "#cep#"}', 30)])],
          ['QUEBRADO', component(31, 'QUEBRADO', [campo(6, '{"x": ', 31)])],
        ]),
      }),
      'postgres',
    );
    expect(compiled.components.map((c) => c.definition.integracao.nome)).toEqual(['ENDERECOS']);
    expect(buildRequest(compiled.components[0]?.campos() ?? { rows: [], shapes: new Map() }, { cep: '1' }).body).toEqual({ cep: '1' });
  });
});
