import type { CampoIntegracao, Dependencia, Integracao, IntegradorConfiguration, Regra } from '@integrador/store';
import { SET_WS_CONTAS } from '../../../test/fixtures/set-ws-contas';
import { lintConfiguration } from './config-lint';
import type { KnownConnections } from './connection-kind';
import { invalidGetNumbers, parseGetSettings } from './get/get-settings';
import type { CrmTableColumns } from './get-lint';
import { formatFinding, type LintFinding } from './lint-finding';

const SEED_CONSULTA = SET_WS_CONTAS.consulta;

const CONNECTIONS: KnownConnections = new Map([
  ['senior_g5', { kind: 'webservice' }],
  ['erp_bd', { kind: 'database' }],
]);

const CREATED = '2024-01-01T00:00:00.000Z';

/** Seed 001's SET-WS-CONTAS row, as the manual lists it. */
function seedIntegracao(fields: Partial<Integracao> = {}): Integracao {
  return {
    ...SET_WS_CONTAS,
    empresa_id: 1,
    empresa_filial_id: 1,
    ordem: 0,
    cron: null,
    ativo: 1,
    timeout_ms: null,
    criado_em: CREATED,
    atualizado_em: CREATED,
    chave: null,
    campo_cursor: null,
    modo: null,
    reconciliacao_horas: null,
    tamanho_lote: null,
    lote_maximo: null,
    ...fields,
  };
}

function campo(id: number, campoCrm: string, fields: Partial<CampoIntegracao> = {}): CampoIntegracao {
  return { id, integracao_id: 19, campo_crm: campoCrm, ordem: 0, descricao: null, ...fields };
}

function dependencia(id: number, fields: Partial<Dependencia> = {}): Dependencia {
  return {
    id,
    integracao_id: 19,
    campos_integracao_id: null,
    variavel: 'x',
    tipo: 'consulta',
    consulta: null,
    integracao_origem_id: null,
    indice_valor: null,
    obrigatoria: 1,
    descricao: null,
    ...fields,
  };
}

function regra(id: number, fields: Partial<Regra> = {}): Regra {
  return {
    id,
    integracao_id: 19,
    campos_integracao_id: 1,
    campo: 'nomCli',
    tipo: 'cortar',
    parametros: '{"tamanho": 40}',
    ordem: 0,
    descricao: null,
    ...fields,
  };
}

/** The seed configuration (with one mapped field and one rule), changed by `change`. */
function configuration(change: (config: IntegradorConfiguration) => void = () => {}): IntegradorConfiguration {
  const config: IntegradorConfiguration = {
    conexoes: [{ id: 3, tipo_conexao: 'WS', nome_conexao: 'senior_g5', empresa_id: null }],
    integracoes: [seedIntegracao()],
    campos: [campo(1, '{"codCli": "#id_erp#", "nomCli": "#nome#", "endereco": {"cep": "#cep#", "cidade": "#cidade_id#"}}')],
    dependencias: [],
    regras: [regra(1)],
  };
  change(config);
  return config;
}

function lint(config: IntegradorConfiguration): LintFinding[] {
  return lintConfiguration(config, CONNECTIONS);
}

const where = (finding: LintFinding) => ({ code: finding.code, table: finding.table, rowId: finding.rowId, column: finding.column });

describe('lintConfiguration', () => {
  it('finds nothing wrong with the seed SET-WS-CONTAS configuration', () => {
    expect(lint(configuration())).toEqual([]);
  });

  it("accepts the seed's tipo_conexao spellings and the engine's #empresa_id#; a web-service row needs porta_ws", () => {
    const seedSpelling = configuration((c) => {
      c.conexoes[0] = { id: 3, tipo_conexao: 'Conexão via Web Service', nome_conexao: 'senior_g5', empresa_id: null };
      c.integracoes[0] = seedIntegracao({
        consulta: '{"consulta":"SELECT c.id, c.nome FROM contas c WHERE c.empresa_id = #empresa_id# AND c.id = #contaId#"}',
        sql_update: 'UPDATE contas SET id_erp = #codCli# WHERE id = #contaId# AND empresa_id = #empresa_id#',
      });
    });
    expect(lint(seedSpelling).filter((f) => f.code !== 'UNPROVIDED_VARIABLE' || /empresa_id/.test(f.message.en))).toEqual([]);
    const noOperation = lint(configuration((c) => (c.integracoes[0] = seedIntegracao({ porta_ws: null }))));
    expect(noOperation.map(where)).toEqual([{ code: 'MISSING_PORTA_WS', table: 'integracao', rowId: 19, column: 'porta_ws' }]);
    // A SOAP link is the WSDL's address: a #var# in it is refused.
    const perRecord = lint(
      configuration((c) => (c.integracoes[0] = seedIntegracao({ link: 'http://erp.example/g5?wsdl&conta=#contaId#' }))),
    );
    expect(perRecord.map(where)).toEqual(
      expect.arrayContaining([{ code: 'SOAP_LINK_VARIABLES', table: 'integracao', rowId: 19, column: 'link' }]),
    );
    expect(perRecord.find((f) => f.code === 'SOAP_LINK_VARIABLES')?.severity).toBe('error');
  });

  it('reports a nome_conexao missing from the connections file', () => {
    const findings = lint(
      configuration((c) => (c.conexoes[0] = { id: 3, tipo_conexao: 'WS', nome_conexao: 'senior_g6', empresa_id: null })),
    );
    expect(findings.map(where)).toEqual([{ code: 'UNKNOWN_CONNECTION', table: 'conexao_integracao', rowId: 3, column: 'nome_conexao' }]);
    expect(findings[0]).toMatchObject({ severity: 'error', integracaoId: null });
    expect(findings[0]?.message.en).toBe('connection "senior_g6" is not in the connections file (expected one of: senior_g5, erp_bd)');
  });

  it('warns about an unknown tipo_conexao and one that contradicts the connections file (the file decides, as a run does)', () => {
    const unknown = lint(
      configuration((c) => (c.conexoes[0] = { id: 3, tipo_conexao: 'FTP', nome_conexao: 'senior_g5', empresa_id: null })),
    );
    expect(unknown.map(where)).toEqual([
      { code: 'UNKNOWN_CONNECTION_TYPE', table: 'conexao_integracao', rowId: 3, column: 'tipo_conexao' },
    ]);
    const mismatch = lint(
      configuration((c) => (c.conexoes[0] = { id: 3, tipo_conexao: 'Banco de Dados', nome_conexao: 'senior_g5', empresa_id: null })),
    );
    expect(mismatch.map(where)).toEqual([
      { code: 'CONNECTION_TYPE_MISMATCH', table: 'conexao_integracao', rowId: 3, column: 'tipo_conexao' },
    ]);
    expect(mismatch[0]?.message['pt-BR']).toContain('"senior_g5" é webservice');
    expect([...unknown, ...mismatch].map((finding) => finding.severity)).toEqual(['warning', 'warning']);
  });

  it('reports a conexao_integracao_id naming no row, or a row of another empresa', () => {
    const missing = lint(configuration((c) => (c.integracoes[0] = seedIntegracao({ conexao_integracao_id: 4 }))));
    expect(missing.map(where)).toEqual([{ code: 'DANGLING_CONNECTION', table: 'integracao', rowId: 19, column: 'conexao_integracao_id' }]);
    expect(missing[0]).toMatchObject({ integracaoId: 19, integracaoNome: 'SET-WS-CONTAS' });
    const foreign = lint(configuration((c) => (c.conexoes[0] = { id: 3, tipo_conexao: 'WS', nome_conexao: 'senior_g5', empresa_id: 2 })));
    expect(foreign.map(where)).toEqual([{ code: 'DANGLING_CONNECTION', table: 'integracao', rowId: 19, column: 'conexao_integracao_id' }]);
  });

  it("reports a SET/GET/INFO without a connection unless its link is 'componente'", () => {
    const findings = lint(configuration((c) => (c.integracoes[0] = seedIntegracao({ conexao_integracao_id: null }))));
    expect(findings.map(where)).toEqual([{ code: 'MISSING_CONNECTION', table: 'integracao', rowId: 19, column: 'conexao_integracao_id' }]);
    const component = seedIntegracao({ conexao_integracao_id: null, link: 'componente' });
    expect(lint(configuration((c) => (c.integracoes[0] = component)))).toEqual([]);
  });

  it('warns, in either language, that a SET whose consulta returns no id cannot be kept from sending its records again', () => {
    // Only this finding (the campos of the seed name columns these consultas leave out).
    const withConsulta = (consulta: string) =>
      lint(configuration((c) => (c.integracoes[0] = seedIntegracao({ consulta: JSON.stringify({ consulta }) })))).filter(
        (f) => f.code === 'SET_CONSULTA_WITHOUT_ID',
      );
    const byPosition = withConsulta('SELECT c.nome, c.cnpj FROM contas c WHERE c.id = #contaId#');
    expect(byPosition.map(where)).toEqual([{ code: 'SET_CONSULTA_WITHOUT_ID', table: 'integracao', rowId: 19, column: 'consulta' }]);
    expect(byPosition[0]?.severity).toBe('warning');
    expect(byPosition[0]?.message['pt-BR']).toContain('o hub não consegue impedir que sejam reenviados');
    expect(byPosition[0]?.message.en).toContain('the hub cannot keep them from being sent again');
    // An id by any spelling the engine reads, or a * that may bring one: nothing to say.
    expect(withConsulta('SELECT c.conta_id AS id, c.nome FROM contas c WHERE c.id = #contaId#')).toEqual([]);
    expect(withConsulta('SELECT c.* FROM contas c WHERE c.id = #contaId#')).toEqual([]);
    // Only a SET is pushed record by record.
    const info = lint(
      configuration(
        (c) =>
          (c.integracoes[0] = seedIntegracao({
            tipo_servico: 'INFO',
            consulta: JSON.stringify({ consulta: 'SELECT c.nome FROM contas c WHERE c.id = #contaId#' }),
          })),
      ),
    );
    expect(info.map((f) => f.code)).not.toContain('SET_CONSULTA_WITHOUT_ID');
  });

  it('reports malformed JSON in consulta, and names typographic quotes specifically', () => {
    const malformed = lint(
      configuration((c) => (c.integracoes[0] = seedIntegracao({ consulta: '{"consulta": "SELECT c.id FROM contas c"' }))),
    );
    expect(malformed.filter((f) => f.column === 'consulta').map(where)).toEqual([
      { code: 'MALFORMED_JSON', table: 'integracao', rowId: 19, column: 'consulta' },
    ]);
    const typographic = SEED_CONSULTA.replace(/"/g, (_, offset: number) => (offset < 12 ? '\u201C' : '\u201D'));
    // As the manual prints it: read with straight quotes, a warning only.
    const findings = lint(configuration((c) => (c.integracoes[0] = seedIntegracao({ consulta: typographic }))));
    expect(findings.filter((f) => f.column === 'consulta').map((f) => ({ ...where(f), severity: f.severity }))).toEqual([
      { code: 'TYPOGRAPHIC_QUOTES', table: 'integracao', rowId: 19, column: 'consulta', severity: 'warning' },
    ]);
    expect(findings[0]?.message['pt-BR']).toMatch(
      /^o JSON tem aspas tipográficas \u201C na posição 1; o Integrador as lê como aspas retas "/,
    );
    // Broken beyond its quotes: an error naming them.
    const broken = lint(configuration((c) => (c.integracoes[0] = seedIntegracao({ consulta: typographic.slice(0, -1) }))));
    expect(broken.filter((f) => f.column === 'consulta').map((f) => ({ ...where(f), severity: f.severity }))).toEqual([
      { code: 'TYPOGRAPHIC_QUOTES', table: 'integracao', rowId: 19, column: 'consulta', severity: 'error' },
    ]);
    expect(broken[0]?.message['pt-BR']).toMatch(/^JSON inválido: tem aspas tipográficas \u201C na posição 1; use aspas retas "/);
    const notConsulta = lint(configuration((c) => (c.integracoes[0] = seedIntegracao({ consulta: '{"sql": "SELECT 1"}' }))));
    expect(notConsulta.filter((f) => f.column === 'consulta').map(where)).toEqual([
      { code: 'INVALID_CONSULTA', table: 'integracao', rowId: 19, column: 'consulta' },
    ]);
  });

  it('reports malformed JSON in campos_integracao.campo_crm and regras.parametros', () => {
    const findings = lint(
      configuration((c) => {
        c.campos.push(campo(2, '{"codCli": #id_erp#}'));
        c.regras.push(regra(8, { parametros: "{'tamanho': 40}" }));
      }),
    );
    expect(findings.map(where)).toEqual([
      { code: 'MALFORMED_JSON', table: 'campos_integracao', rowId: 2, column: 'campo_crm' },
      { code: 'MALFORMED_JSON', table: 'regras', rowId: 8, column: 'parametros' },
    ]);
    expect(findings[0]).toMatchObject({ integracaoId: 19, integracaoNome: 'SET-WS-CONTAS' });
  });

  it('reports a consulta #var# that neither parametros_obrigatorios nor dependencias provide', () => {
    const findings = lint(configuration((c) => (c.integracoes[0] = seedIntegracao({ parametros_obrigatorios: 'empresaId' }))));
    expect(findings.map(where)).toEqual([
      { code: 'UNPROVIDED_VARIABLE', table: 'integracao', rowId: 19, column: 'consulta' },
      { code: 'UNPROVIDED_VARIABLE', table: 'integracao', rowId: 19, column: 'sql_update' },
    ]);
    expect(findings[0]?.message.en).toBe(
      "variable #contaId# is not provided by anything; expected one of: parametros_obrigatorios (empresaId); values of the integrations before it in the flow (none); dependencias.variavel (none); the Integrador's values (empresa_id, empresa_filial_id)",
    );
    // L3 (trial): a variable that differs from a provided one only in case gets the nearest name, as a column does.
    const wrongCase = lint(configuration((c) => (c.integracoes[0] = seedIntegracao({ parametros_obrigatorios: 'contaid' }))));
    expect(wrongCase[0]?.message['pt-BR']).toMatch(/^a variável #contaId# não é fornecida por nada \(quis dizer #contaid#\?\); /);
    expect(wrongCase[0]?.message.en).toMatch(/^variable #contaId# is not provided by anything \(did you mean #contaid#\?\); /);
    const viaDependencia = configuration((c) => {
      c.integracoes[0] = seedIntegracao({ parametros_obrigatorios: null });
      c.dependencias.push(dependencia(4, { variavel: '#contaId#' }));
    });
    expect(lint(viaDependencia)).toEqual([]);
  });

  it('reports a sql_update #var# that is no consulta column, indice_valor_retorno key, parameter or dependency', () => {
    const findings = lint(
      configuration((c) => (c.integracoes[0] = seedIntegracao({ sql_update: 'UPDATE contas SET numero = #numPed# WHERE id = #id#' }))),
    );
    expect(findings.map(where)).toEqual([{ code: 'UNPROVIDED_VARIABLE', table: 'integracao', rowId: 19, column: 'sql_update' }]);
    expect(findings[0]?.message['pt-BR']).toMatch(
      /^a variável #numPed# não é fornecida por nada; esperado um de: colunas da consulta \(id_erp, fax/,
    );
    expect(findings[0]?.message['pt-BR']).toContain('indice_valor_retorno (codCli)');
  });

  it("checks a link's #vars# like campo_crm's and refuses a #var# that would choose the host", () => {
    // A REST connection: a SOAP link takes no #var# at all (SOAP_LINK_VARIABLES).
    const link = (value: string) =>
      lintConfiguration(
        configuration((c) => {
          c.conexoes[0] = { id: 3, tipo_conexao: 'API', nome_conexao: 'crm_api', empresa_id: null };
          c.integracoes[0] = seedIntegracao({ link: value });
        }),
        new Map([...CONNECTIONS, ['crm_api', { kind: 'api' }]]),
      );
    expect(link('PUT /api/clientes/#id_erp#?origem=crm&conta=#contaId#')).toEqual([]);
    const unprovided = link('PUT /api/clientes/#codigoErp#');
    expect(unprovided.map(where)).toEqual([{ code: 'UNPROVIDED_VARIABLE', table: 'integracao', rowId: 19, column: 'link' }]);
    expect(unprovided[0]?.message['pt-BR']).toMatch(/^a variável #codigoErp# não é fornecida por nada/);
    for (const host of ['PUT #id_erp#/api/clientes', 'https://#id_erp#.example.com/x'])
      expect(link(host).map(where)).toEqual([{ code: 'LINK_TEMPLATES_HOST', table: 'integracao', rowId: 19, column: 'link' }]);
  });

  it('reports a campo_crm #var# nothing provides, and accepts an integracao_origem return index', () => {
    const findings = lint(configuration((c) => c.campos.push(campo(2, '{"codRep": "#codigoRepresentante#"}'))));
    expect(findings.map(where)).toEqual([{ code: 'UNPROVIDED_VARIABLE', table: 'campos_integracao', rowId: 2, column: 'campo_crm' }]);
    const viaOrigin = configuration((c) => {
      c.integracoes.push(
        seedIntegracao({ id: 20, nome: 'SET-WS-REPRESENTANTES', indice_valor_retorno: 'codigoRepresentante', sql_update: null }),
      );
      c.campos.push(campo(2, '{"codRep": "#codigoRepresentante#"}'));
      c.dependencias.push(dependencia(5, { variavel: 'codRep', tipo: 'integracao', integracao_origem_id: 20 }));
    });
    expect(lint(viaOrigin)).toEqual([]);
  });

  it('counts the values upstream steps of the dependency flow hand down (a SET its indice_valor_retorno, a GET its counts)', () => {
    // The trial's flow: a REST SET returning codCli runs before (dependente) a database SET whose campo_crm uses #codCli#.
    const downstream = (fields: Partial<Integracao>) =>
      seedIntegracao({ id: 21, nome: 'SET-DB-PEDIDO', indice_valor_retorno: null, sql_update: null, ...fields });
    const flow = (upstream: Partial<Integracao>, down: Partial<Integracao> = {}) =>
      configuration((c) => {
        c.integracoes[0] = seedIntegracao({ indice_valor_retorno: 'codCli', ...upstream });
        c.integracoes.push(downstream({ dependente: 19, ...down }));
        c.campos = [campo(2, '{"cliente": "#nome# / #codCli#", "ref": "#integracao_19.codCli#"}', { integracao_id: 21 })];
        c.regras = [];
      });
    expect(lint(flow({}))).toEqual([]);
    // Declared the other way round (the upstream's depende_de), the same flow.
    expect(lint(flow({ depende_de: 21 }, { dependente: null }))).toEqual([]);
    // Without the dependency nothing hands codCli down: still reported, naming where it could come from.
    const alone = lint(flow({}, { dependente: null }));
    expect(alone.map((f) => [f.table, f.rowId, f.column, f.message['pt-BR'].slice(0, 45)])).toEqual([
      ['campos_integracao', 2, 'campo_crm', 'a variável #codCli# não é fornecida por nada;'],
      ['campos_integracao', 2, 'campo_crm', 'a variável #integracao_19.codCli# não é forne'],
    ]);
    expect(alone[0]?.message['pt-BR']).toContain('valores das integrações anteriores no fluxo (nenhum)');
    // An upstream GET hands down rowsWritten and cursor, not its columns.
    const afterGet = lint(
      flow(
        { tipo_servico: 'GET', consulta: null, sql_update: null },
        { sql_update: 'UPDATE contas SET x = #rowsWritten# WHERE id = #contaId#' },
      ),
    );
    expect(afterGet.filter((f) => f.rowId === 21 || f.integracaoId === 21).map((f) => f.message.en.slice(0, 30))).toEqual([
      'variable #codCli# is not provi',
      'variable #integracao_19.codCli',
    ]);
  });

  it('checks a GET: sql_consulta from parameters, sql_insert and sql_update also from the sql_consulta columns', () => {
    const get = seedIntegracao({
      id: 30,
      nome: 'GET-BD-CONTAS',
      tipo_servico: 'GET',
      conexao_integracao_id: 5,
      consulta: null,
      parametros_obrigatorios: 'empresa',
      indice_valor_retorno: null,
      sql_consulta: 'SELECT codcli AS id_erp, nomcli FROM e085cli WHERE codemp = #empresa#',
      sql_insert: 'INSERT INTO contas (empresa_id, id_erp, nome, cnpj) VALUES (#empresa_id#, #id_erp#, #nomcli#, #cgccpf#)',
      sql_update: 'UPDATE contas SET nome = #nomcli#, fantasia = #apelido# WHERE empresa_id = #empresa_id# AND id_erp = #id_erp#',
    });
    const findings = lint(
      configuration((c) => {
        c.conexoes.push({ id: 5, tipo_conexao: 'BD', nome_conexao: 'erp_bd', empresa_id: 1 });
        c.integracoes.push(get);
      }),
    );
    expect(findings.map((f) => [f.rowId, f.column, f.message.en.slice(0, 20)])).toEqual([
      [30, 'sql_insert', 'variable #cgccpf# is'],
      [30, 'sql_update', 'variable #apelido# i'],
    ]);
  });

  describe('GET rules', () => {
    const CRM_TABLES: CrmTableColumns = new Map([
      [
        'contas',
        {
          columns: new Set(['id', 'empresa_id', 'id_erp', 'nome', 'fantasia', 'cnpj', 'atualizado_em']),
          required: new Set(['empresa_id', 'nome']),
        },
      ],
    ]);
    const getRow = (fields: Partial<Integracao> = {}) =>
      seedIntegracao({
        id: 40,
        nome: 'GET-BD-CLIENTES',
        tipo_servico: 'GET',
        conexao_integracao_id: 5,
        link: null,
        porta_ws: null,
        consulta: null,
        indice_array_retorno: null,
        indice_valor_retorno: null,
        indice_erro_retorno: null,
        sql_update: null,
        tabela: 'contas',
        sql_consulta: 'SELECT CODCLI AS id_erp, NOMCLI AS nome, APECLI AS fantasia, DATALT FROM E085CLI',
        campo_cursor: 'DATALT',
        modo: 'incremental',
        cron: '*/15 * * * *',
        ...fields,
      });
    const lintGet = (fields: Partial<Integracao> = {}, crmTables: typeof CRM_TABLES | null = CRM_TABLES) =>
      lintConfiguration(
        {
          conexoes: [{ id: 5, tipo_conexao: 'BD', nome_conexao: 'erp_bd', empresa_id: 1 }],
          integracoes: [getRow(fields)],
          campos: [],
          dependencias: [],
          regras: [],
        },
        CONNECTIONS,
        crmTables ? { crmTables } : {},
      ).map((f) => [f.code, f.column, f.severity]);

    it('finds nothing wrong with a well-formed incremental pull of E085CLI into contas', () => {
      expect(lintGet()).toEqual([]);
    });

    it('reports a missing sql_consulta, a tabela a GET may not write, and an invalid cron', () => {
      expect(lintGet({ sql_consulta: ' ', tabela: 'usuarios', cron: '*/15 * * *  x' })).toEqual([
        ['INVALID_CRON', 'cron', 'error'],
        ['GET_MISSING_SQL_CONSULTA', 'sql_consulta', 'error'],
        ['GET_UNKNOWN_TABLE', 'tabela', 'error'],
      ]);
    });

    it('reports reconciliacao_horas and tamanho_lote values the run would refuse', () => {
      expect(lintGet({ reconciliacao_horas: -3, tamanho_lote: 100000 })).toEqual([
        ['GET_INVALID_RECONCILE_HOURS', 'reconciliacao_horas', 'error'],
        ['GET_INVALID_CHUNK_SIZE', 'tamanho_lote', 'error'],
      ]);
      expect(lintGet({ tamanho_lote: 0 })).toEqual([['GET_INVALID_CHUNK_SIZE', 'tamanho_lote', 'error']]);
      expect(lintGet({ reconciliacao_horas: 0, tamanho_lote: 50000 })).toEqual([]);
    });

    it('refuses exactly the numbers the run refuses (one rule, invalidGetNumbers)', () => {
      const runRefuses = (fields: Partial<Integracao>) => {
        try {
          parseGetSettings(getRow(fields));
          return [];
        } catch (err) {
          return [/\) (\w+): /.exec((err as Error).message)?.[1]];
        }
      };
      const cases: Partial<Integracao>[] = [
        { reconciliacao_horas: -1 },
        { reconciliacao_horas: Number.NaN },
        { reconciliacao_horas: 0.5 },
        { tamanho_lote: 1.5 },
        { tamanho_lote: 50001 },
        { tamanho_lote: 1 },
        { tamanho_lote: null },
      ];
      for (const fields of cases) {
        const refused = invalidGetNumbers({ reconciliacao_horas: null, tamanho_lote: null, ...fields });
        expect([fields, lintGet(fields).map(([, column]) => column)]).toEqual([fields, refused]);
        expect([fields, runRefuses(fields)]).toEqual([fields, refused]);
      }
    });

    it('reports a cron of 4 fields, or with a step wider than its field, which cron-parser would pad or let through', () => {
      for (const cron of ['*/61 * * *', '*/61 * * * *', '0 */25 * * *', '0 0 * */13 *', '*/5 * * * * * *'])
        expect([cron, lintGet({ cron })]).toEqual([cron, [['INVALID_CRON', 'cron', 'error']]]);
      for (const cron of [
        '*/15 * * * *',
        '*/30 * * * * *',
        '0 0 1 * 1',
        '0,30 8-18/2 * * 1-5',
        '*/60 * * * *',
        '@daily',
        '@hourly',
        '@weekly',
      ])
        expect([cron, lintGet({ cron })]).toEqual([cron, []]);
      const findings = lintConfiguration(
        configuration((c) => (c.integracoes[0] = seedIntegracao({ tipo_servico: 'GET', cron: '*/61 * * *' }))),
        CONNECTIONS,
      );
      // The reason worded in each language, not an English sentence inside the pt-BR message.
      expect(findings.find((f) => f.code === 'INVALID_CRON')?.message).toEqual({
        'pt-BR':
          'cron "*/61 * * *" inválido (esperados 5 campos (minuto hora dia mês dia-da-semana) ou 6 com os segundos primeiro, recebidos 4); esperado um padrão como "*/15 * * * *" (minuto hora dia mês dia-da-semana)',
        en: 'invalid cron "*/61 * * *" (expected 5 fields (minute hour day month weekday) or 6 with seconds first, got 4); expected a pattern such as "*/15 * * * *" (minute hour day month weekday)',
      });
    });

    it('reports a cursor column or key that sql_consulta does not select, and a bad modo or cursor name', () => {
      expect(lintGet({ sql_consulta: 'SELECT CODCLI AS codigo, NOMCLI AS nome FROM E085CLI' })).toEqual([
        ['GET_CURSOR_NOT_SELECTED', 'campo_cursor', 'error'],
        ['GET_KEY_NOT_SELECTED', 'chave', 'error'],
        ['GET_UNKNOWN_COLUMN', 'sql_consulta', 'error'],
      ]);
      expect(lintGet({ modo: 'diario', campo_cursor: 'DATALT;--' })).toEqual([
        ['GET_INVALID_CURSOR', 'campo_cursor', 'error'],
        ['GET_INVALID_MODE', 'modo', 'error'],
        // Without a valid campo_cursor, DATALT is just a column contas does not have.
        ['GET_UNKNOWN_COLUMN', 'sql_consulta', 'error'],
      ]);
      expect(lintGet({ campo_cursor: null })).toEqual([
        ['GET_MISSING_CURSOR', 'campo_cursor', 'error'],
        ['GET_UNKNOWN_COLUMN', 'sql_consulta', 'error'],
      ]);
    });

    it('reports a chave that is no list of column names, as the run refuses it (trial L2: lint said nothing, the run failed)', () => {
      // One problem, one finding: not also GET_KEY_NOT_SELECTED for the text no column is named by.
      expect(lintGet({ chave: 'id erp' })).toEqual([['GET_INVALID_KEY', 'chave', 'error']]);
      expect(lintGet({ chave: 'id_erp, tipo pessoa' })).toEqual([['GET_INVALID_KEY', 'chave', 'error']]);
      expect(lintGet({ chave: ' ID_ERP ' })).toEqual([]);
      // A tipo_servico read as runs read it (' get ' runs on the get queue): its GET settings are checked, its cron kept.
      expect(lintGet({ tipo_servico: ' get ', tabela: 'usuarios', cron: '0 3 * * *' })).toEqual([['GET_UNKNOWN_TABLE', 'tabela', 'error']]);
    });

    it('warns when sql_consulta compares with #cursor# without handling its NULL (a first run would read nothing, forever)', () => {
      const base = 'SELECT CODCLI AS id_erp, NOMCLI AS nome, DATALT FROM E085CLI';
      expect(lintGet({ sql_consulta: `${base} WHERE DATALT >= #cursor#` })).toEqual([
        ['GET_CURSOR_NULL_ON_FIRST_RUN', 'sql_consulta', 'warning'],
      ]);
      expect(lintGet({ sql_consulta: `${base} WHERE DATALT >= COALESCE(#cursor#, '1900-01-01')` })).toEqual([]);
      expect(lintGet({ sql_consulta: `${base} WHERE #cursor# IS NULL OR DATALT >= #cursor#` })).toEqual([]);
      // IS NOT NULL reads nothing on a first run as well.
      expect(lintGet({ sql_consulta: `${base} WHERE #cursor# IS NOT NULL AND DATALT >= #cursor#` })).toEqual([
        ['GET_CURSOR_NULL_ON_FIRST_RUN', 'sql_consulta', 'warning'],
      ]);
    });

    it('reports columns unknown to the CRM table or written by the engine, when the table columns are known', () => {
      const sql = 'SELECT CODCLI AS id_erp, NOMCLI AS nome_cliente, 1 AS empresa_id, DATALT FROM E085CLI';
      expect(lintGet({ sql_consulta: sql })).toEqual([
        ['GET_UNKNOWN_COLUMN', 'sql_consulta', 'error'],
        ['GET_ENGINE_COLUMN', 'sql_consulta', 'error'],
        // nome_cliente is not nome: contas.nome (NOT NULL, no default) is left out of every insert.
        ['GET_REQUIRED_COLUMN_MISSING', 'sql_consulta', 'warning'],
      ]);
      expect(lintGet({ sql_consulta: sql }, null)).toEqual([]);
    });

    it('warns about sql_insert/sql_update without #empresa_id# and refuses a reconcile with them', () => {
      expect(lintGet({ sql_insert: 'INSERT INTO contas (id_erp, nome) VALUES (#id_erp#, #nome#)', reconciliacao_horas: 24 })).toEqual([
        ['GET_RECONCILE_NEEDS_UPSERT', 'reconciliacao_horas', 'error'],
        ['GET_TEMPLATE_NOT_TENANT_SCOPED', 'sql_insert', 'warning'],
      ]);
    });

    it('knows the values the engine provides (#cursor#, #empresa_id#) in sql_consulta', () => {
      expect(
        lintGet({
          sql_consulta:
            'SELECT CODCLI AS id_erp, NOMCLI AS nome, DATALT FROM E085CLI WHERE CODEMP = #empresa_id# AND DATALT >= COALESCE(#cursor#, DATALT)',
        }),
      ).toEqual([]);
    });
  });

  it('reports every row of a dependente/depende_de cycle, naming the whole cycle', () => {
    const findings = lint(
      configuration((c) => {
        c.integracoes[0] = seedIntegracao({ dependente: 21 });
        c.integracoes.push(seedIntegracao({ id: 20, nome: 'SET-WS-CONTATOS', dependente: 19, depende_de: 21 }));
        c.integracoes.push(seedIntegracao({ id: 21, nome: 'SET-WS-OPORTUNIDADES' }));
      }),
    );
    expect(findings.map(where)).toEqual([
      { code: 'DEPENDENCY_CYCLE', table: 'integracao', rowId: 19, column: 'dependente' },
      { code: 'DEPENDENCY_CYCLE', table: 'integracao', rowId: 20, column: 'dependente' },
      { code: 'DEPENDENCY_CYCLE', table: 'integracao', rowId: 20, column: 'depende_de' },
    ]);
    expect(findings[0]?.message.en).toBe(
      'circular dependency between integracoes #19 (SET-WS-CONTAS) → #20 (SET-WS-CONTATOS) → #21 (SET-WS-OPORTUNIDADES) → #19 (SET-WS-CONTAS); ' +
        'expected dependente/depende_de to form an order without cycles',
    );
  });

  it("reports a dependente/depende_de naming a missing integracao or another empresa's", () => {
    const findings = lint(
      configuration((c) => {
        c.integracoes[0] = seedIntegracao({ dependente: 99, depende_de: 40 });
        c.integracoes.push(seedIntegracao({ id: 40, nome: 'SET-OUTRA-EMPRESA', empresa_id: 2, conexao_integracao_id: 3 }));
      }),
    );
    expect(findings.map(where)).toEqual([
      { code: 'DANGLING_DEPENDENCY', table: 'integracao', rowId: 19, column: 'dependente' },
      { code: 'DANGLING_DEPENDENCY', table: 'integracao', rowId: 19, column: 'depende_de' },
    ]);
    expect(findings[0]?.message['pt-BR']).toBe(
      'dependente aponta para a integracao #99, que não existe; esperado o id de uma integracao da mesma empresa',
    );
    expect(findings[1]?.message.en).toContain('which belongs to another empresa (2)');
  });

  it('reports a dependencias.integracao_origem_id naming no integracao', () => {
    const findings = lint(configuration((c) => c.dependencias.push(dependencia(6, { variavel: 'contaId', integracao_origem_id: 77 }))));
    expect(findings.map(where)).toEqual([{ code: 'DANGLING_ORIGIN', table: 'dependencias', rowId: 6, column: 'integracao_origem_id' }]);
  });

  it('reports a tipo_servico other than SET, GET or INFO', () => {
    const findings = lint(configuration((c) => (c.integracoes[0] = seedIntegracao({ tipo_servico: 'PUT' }))));
    expect(findings.map(where)).toEqual([{ code: 'UNKNOWN_SERVICE_TYPE', table: 'integracao', rowId: 19, column: 'tipo_servico' }]);
    expect(findings[0]?.message['pt-BR']).toBe('tipo_servico "PUT" desconhecido (esperado SET, GET ou INFO)');
  });

  it('reports spaces in indice_erro_retorno and indice_valor_retorno', () => {
    const findings = lint(
      configuration(
        (c) => (c.integracoes[0] = seedIntegracao({ indice_erro_retorno: 'erro, mensagemErro', indice_valor_retorno: 'codCli ' })),
      ),
    );
    expect(findings.map(where)).toEqual([
      { code: 'SPACE_IN_INDEX_LIST', table: 'integracao', rowId: 19, column: 'indice_erro_retorno' },
      { code: 'SPACE_IN_INDEX_LIST', table: 'integracao', rowId: 19, column: 'indice_valor_retorno' },
    ]);
    expect(findings[0]?.message.en).toContain('(e.g. erro,mensagemErro)');
  });

  it('reports campos_integracao, dependencias and regras rows whose integracao_id names nothing', () => {
    const findings = lint(
      configuration((c) => {
        c.campos.push(campo(2, '{}', { integracao_id: 404 }));
        c.dependencias.push(dependencia(3, { integracao_id: 404 }));
        c.regras.push(regra(4, { integracao_id: 404 }));
      }),
    );
    expect(findings.map(where)).toEqual([
      { code: 'ORPHAN_ROW', table: 'campos_integracao', rowId: 2, column: 'integracao_id' },
      { code: 'ORPHAN_ROW', table: 'dependencias', rowId: 3, column: 'integracao_id' },
      { code: 'ORPHAN_ROW', table: 'regras', rowId: 4, column: 'integracao_id' },
    ]);
    expect(findings[0]).toMatchObject({ integracaoId: null, integracaoNome: null });
  });

  it('reports a regra whose campos_integracao_id is not a field of its integracao', () => {
    const findings = lint(configuration((c) => c.regras.push(regra(9, { campos_integracao_id: 555 }))));
    expect(findings.map(where)).toEqual([{ code: 'DANGLING_FIELD', table: 'regras', rowId: 9, column: 'campos_integracao_id' }]);
  });

  it('reports a regra the rule engine would refuse at run time, naming its column', () => {
    const findings = lint(
      configuration((c) => {
        c.regras.push(regra(7, { tipo: 'mapa', parametros: '{"J": "J"}' }));
        c.regras.push(regra(8, { tipo: 'formato', parametros: null }));
      }),
    );
    expect(findings.map(where)).toEqual([
      { code: 'INVALID_RULE', table: 'regras', rowId: 7, column: 'parametros' },
      { code: 'INVALID_RULE', table: 'regras', rowId: 8, column: 'tipo' },
    ]);
    expect(findings[0]?.message.en).toContain('"valores" must be an object');
    // An unknown tipo in one language per message: no engine English inside the pt-BR text.
    expect(findings[1]?.message['pt-BR']).toMatch(/^tipo "formato" de regra desconhecido; esperado um de: /);
    expect(findings[1]?.message['pt-BR']).not.toMatch(/has an unknown|expected/);
  });

  it("words a regra's bad parametros or campo in each language, one language per message", () => {
    const findings = lint(
      configuration((c) => {
        c.regras.push(regra(7, { tipo: 'mapa', parametros: '{"J": "J"}' }));
        c.regras.push(regra(8, { tipo: 'cortar', parametros: '{"tamanho": "40"}' }));
        c.regras.push(regra(9, { tipo: 'data', parametros: '{"fuso": "Brasil/Blumenau"}' }));
        c.regras.push(regra(10, { tipo: 'padrao', parametros: '[1]' }));
        c.regras.push(regra(11, { campo: 'a..b', tipo: 'aparar', parametros: null }));
      }),
    );
    expect(findings.map((f) => [f.code, f.rowId, f.column])).toEqual([
      ['INVALID_RULE', 7, 'parametros'],
      ['INVALID_RULE', 8, 'parametros'],
      ['INVALID_RULE', 9, 'parametros'],
      ['INVALID_RULE', 10, 'parametros'],
      ['INVALID_RULE', 11, 'campo'],
    ]);
    expect(findings.map((f) => f.message['pt-BR'])).toEqual([
      'a regra não roda como está (parametros): parametros da regra #7 (mapa): "valores" deve ser um objeto de valor → substituto, veio nada',
      'a regra não roda como está (parametros): parametros da regra #8 (cortar): "tamanho" deve ser um inteiro de 0 a 9007199254740991, veio "40"',
      'a regra não roda como está (parametros): parametros da regra #9 (data): "fuso" deve ser um fuso horário IANA como "America/Sao_Paulo", veio "Brasil/Blumenau"',
      'a regra não roda como está (parametros): os parametros da regra #10 (padrao) são [1]; esperado um objeto JSON',
      'a regra não roda como está (campo): o campo "a..b" da regra #11 não é um caminho de campo; esperado chaves separadas por pontos, por exemplo dadosGeraisCliente.sitCli ou enderecos[].cep',
    ]);
    expect(findings.map((f) => f.message.en)).toEqual([
      'the regra cannot run as it is (parametros): regra #7 (mapa) parametros: "valores" must be an object of value → replacement, got nothing',
      'the regra cannot run as it is (parametros): regra #8 (cortar) parametros: "tamanho" must be an integer from 0 to 9007199254740991, got "40"',
      'the regra cannot run as it is (parametros): regra #9 (data) parametros: "fuso" must be an IANA time zone such as "America/Sao_Paulo", got "Brasil/Blumenau"',
      'the regra cannot run as it is (parametros): regra #10 (padrao) parametros is [1]; expected a JSON object',
      'the regra cannot run as it is (campo): regra #11 campo "a..b" is not a field path; expected keys separated by dots, e.g. dadosGeraisCliente.sitCli or enderecos[].cep',
    ]);
    for (const finding of findings) expect(finding.message['pt-BR']).not.toMatch(/\b(must|got|expected|is not)\b/);
  });

  it('shows a database receptor link that is no table name with its query values masked (a token stays out of the message)', () => {
    const receptorLink = (link: string) =>
      lint(
        configuration((c) => {
          c.conexoes[0] = { id: 3, tipo_conexao: 'BD', nome_conexao: 'erp_bd', empresa_id: null };
          c.integracoes[0] = seedIntegracao({ link, porta_ws: null });
        }),
      ).filter((f) => f.code === 'DATABASE_RECEPTOR_LINK');
    for (const [link, shown] of [
      ['POST /api/clientes?token=Zx9Segredo2024&modo=1', '"POST /api/clientes?token=***&modo=***"'],
      ['https://erp.example/api/clientes?chave=Zx9Segredo2024', '"https://erp.example/api/clientes?chave=***"'],
    ]) {
      const findings = receptorLink(link as string);
      expect(findings.map(where)).toEqual([{ code: 'DATABASE_RECEPTOR_LINK', table: 'integracao', rowId: 19, column: 'link' }]);
      for (const text of Object.values(findings[0]?.message ?? {})) {
        expect(text).toContain(shown);
        expect(text).not.toContain('Zx9Segredo2024');
      }
    }
  });

  it('reports a prerequisite no run can execute (a componente in depende_de), as the run planner refuses it', () => {
    const component = seedIntegracao({ id: 26, nome: 'ENTREGA', link: 'componente', conexao_integracao_id: null, depende_de: 19 });
    const findings = lint(configuration((c) => c.integracoes.push(component)));
    expect(findings.filter((f) => f.severity === 'error').map(where)).toEqual([
      { code: 'PREREQUISITE_NOT_RUNNABLE', table: 'integracao', rowId: 26, column: 'depende_de' },
    ]);
    expect(findings.find((f) => f.code === 'PREREQUISITE_NOT_RUNNABLE')?.message['pt-BR']).toBe(
      'a integracao #26 (ENTREGA) roda antes da #19 (SET-WS-CONTAS), mas não pode rodar: é um componente; um componente entra no campo_crm como "#componente:ENTREGA#", não em depende_de',
    );
  });

  it("only warns for a component's unprovided #var#, which its parent may provide", () => {
    const component = seedIntegracao({
      id: 25,
      nome: 'SET-WS-CONTAS-ENDERECO',
      link: 'componente',
      conexao_integracao_id: null,
      consulta: '{"consulta": "SELECT e.cep FROM enderecos e WHERE e.conta_id = #id# AND e.tipo = #tipoEndereco#"}',
      parametros_obrigatorios: null,
      sql_update: null,
    });
    const findings = lint(
      configuration((c) => {
        c.integracoes.push(component);
        c.campos.push(campo(7, '{"enderecos": "#componente:SET-WS-CONTAS-ENDERECO#"}'));
      }),
    );
    // #id# is a column of the consulta of SET-WS-CONTAS, whose campo_crm nests the component; #tipoEndereco# is nobody's.
    expect(findings.map((f) => [f.code, f.severity, f.rowId, f.column, f.message.en.slice(0, 24)])).toEqual([
      ['UNPROVIDED_VARIABLE', 'warning', 25, 'consulta', 'variable #tipoEndereco# '],
    ]);
  });
});

describe('formatFinding', () => {
  const findings = lint(
    configuration((c) => {
      c.integracoes[0] = seedIntegracao({ tipo_servico: 'PUT' });
      c.campos.push(campo(2, '{"x": "#nada#"}'));
    }),
  );

  it('writes one line naming the table, row, integracao and column, in Portuguese or English', () => {
    expect(findings.map((f) => formatFinding(f))).toEqual([
      'integracao #19 (SET-WS-CONTAS) coluna tipo_servico: tipo_servico "PUT" desconhecido (esperado SET, GET ou INFO) [UNKNOWN_SERVICE_TYPE]',
      expect.stringMatching(/^campos_integracao #2 \(integracao #19 SET-WS-CONTAS\) coluna campo_crm: a variável #nada# não é fornecida/),
    ]);
    expect(formatFinding(findings[0] as LintFinding, 'en')).toBe(
      'integracao #19 (SET-WS-CONTAS) column tipo_servico: unknown tipo_servico "PUT" (expected SET, GET or INFO) [UNKNOWN_SERVICE_TYPE]',
    );
  });
});
