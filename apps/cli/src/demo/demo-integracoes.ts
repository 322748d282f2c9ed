import type { DependenciasTable, IntegracaoTable, RegrasTable } from '@integrador/store';
import type { Insertable } from 'kysely';

// The demo tenant's Integrador configuration (seed 001's tables). SET-WS-CONTAS is the manual's example row,
// column for column; the field names of campo_crm are the ERP's (shared/reference/senior-g5.md, GravarClientes), inside
// the dadosGeraisCliente element its input requires (the manual lists them flat; a G5 service reads nothing outside it).

/** conexao_integracao rows; nome_conexao names the entries of examples/connections.demo.yaml. */
export const DEMO_CONEXOES = {
  senior_g5: { tipo_conexao: 'WS', nome_conexao: 'senior_g5' },
  erp_db: { tipo_conexao: 'BD', nome_conexao: 'erp_db' },
} as const;

export type DemoConexao = keyof typeof DEMO_CONEXOES;

type IntegracaoColumns = Omit<Insertable<IntegracaoTable>, 'empresa_id'>;
type DependenciaColumns = Omit<Insertable<DependenciasTable>, 'integracao_id' | 'campos_integracao_id'>;
type RegraColumns = Omit<Insertable<RegrasTable>, 'integracao_id' | 'campos_integracao_id'>;

/** One integracao with its single campos_integracao row and the dependencias and regras of that field. */
export interface DemoIntegracao {
  integracao: IntegracaoColumns;
  /** The conexao_integracao it uses; none for a component. */
  conexao: DemoConexao | null;
  campoCrm?: Record<string, unknown>;
  dependencias?: DependenciaColumns[];
  regras?: RegraColumns[];
}

export const SET_WS_CONTAS = 'SET-WS-CONTAS';
export const SET_WS_CONTAS_ENTREGA = 'SET-WS-CONTAS-ENTREGA';
export const GET_BD_CLIENTES = 'GET-BD-CLIENTES';

/** Seed 001's example SET, exactly as the manual writes it (with straight quotes). */
const setWsContas: DemoIntegracao = {
  conexao: 'senior_g5',
  integracao: {
    nome: SET_WS_CONTAS,
    tipo_servico: 'SET',
    link: '/g5-senior-services/sapiens_Synccom_senior_g5_co_ger_cad_clientes?wsdl',
    tabela: 'contas',
    consulta:
      '{"consulta":"SELECT c.id_erp, c.fax, c.email_geral, c.email_financeiro, c.cadastro_timestamp, c.cliente_desde, c.status, c.representante_id, c.id, c.tipo_conta, c.tipo_pessoa, c.cidade_id, c.celular, c.telefone, c.telefone2, c.telefone3, c.nome, c.fantasia, c.cnpj, c.cpf, c.ramo_atividade_id, c.inscricao, c.inscricao_municipal, c.endereco, c.complemento, c.numero, c.cep, c.bairro FROM contas AS c WHERE c.id = #contaId#"}',
    porta_ws: 'GravarClientes',
    indice_array_retorno: 'retornosClientes',
    indice_valor_retorno: 'codCli',
    indice_erro_retorno: 'erro,mensagemErro,erroExecucao',
    sql_update: 'UPDATE contas SET id_erp = #codCli# WHERE id = #contaId#',
    parametros_obrigatorios: 'contaId',
    ordem: 20,
  },
  campoCrm: {
    dadosGeraisCliente: {
      codCli: '#id_erp#',
      nomCli: '#nome#',
      apeCli: '#fantasia#',
      tipCli: '#tipo_pessoa#',
      tipMer: 'I',
      cliCon: 'S',
      cgcCpf: '#cgc_cpf#',
      insEst: '#inscricao#',
      insMun: '#inscricao_municipal#',
      cepCli: '#cep#',
      endCli: '#endereco#',
      nenCli: '#numero#',
      cplEnd: '#complemento#',
      baiCli: '#bairro#',
      cidCli: '#cidade_nome#',
      sigUfs: '#cidade_uf#',
      fonCli: '#telefone#',
      fonCl2: '#telefone2#',
      fonCl3: '#telefone3#',
      fonCl4: '#celular#',
      fonCl5: '#fax#',
      intNet: '#email_geral#',
      sitCli: '#status#',
      ideExt: '#id#',
      enderecosEntrega: '#componente:SET-WS-CONTAS-ENTREGA#',
    },
  },
  dependencias: [
    // The ERP wants the city by name and state, and one document field for both kinds of person.
    {
      variavel: 'cidade_nome',
      tipo: 'consulta',
      consulta: 'SELECT nome, uf FROM cidades WHERE id = #cidade_id#',
      indice_valor: 'nome',
      descricao: 'nome da cidade da conta',
    },
    {
      variavel: 'cidade_uf',
      tipo: 'consulta',
      consulta: 'SELECT nome, uf FROM cidades WHERE id = #cidade_id#',
      indice_valor: 'uf',
      descricao: 'UF da cidade da conta',
    },
    {
      variavel: 'cgc_cpf',
      tipo: 'consulta',
      consulta: 'SELECT COALESCE(cnpj, cpf) AS cgc_cpf FROM contas WHERE id = #id#',
      indice_valor: 'cgc_cpf',
      descricao: 'CNPJ da pessoa jurídica ou CPF da pessoa física',
    },
  ],
  regras: [
    {
      campo: 'dadosGeraisCliente.tipCli',
      tipo: 'mapa',
      parametros: '{"valores":{"J":"J","F":"F"}}',
      ordem: 1,
      descricao: 'tipo de pessoa do CRM para o ERP',
    },
    {
      campo: 'dadosGeraisCliente.sitCli',
      tipo: 'mapa',
      parametros: '{"valores":{"A":"A","I":"I"}}',
      ordem: 2,
      descricao: 'situação ativa/inativa',
    },
    { campo: 'dadosGeraisCliente.cgcCpf', tipo: 'somente_digitos', parametros: null, ordem: 3, descricao: 'o ERP recebe só os dígitos' },
  ],
};

/** A component (link 'componente'): the delivery address, nested in SET-WS-CONTAS's request by its campo_crm. */
const setWsContasEntrega: DemoIntegracao = {
  conexao: null,
  integracao: {
    nome: SET_WS_CONTAS_ENTREGA,
    tipo_servico: 'SET',
    link: 'componente',
    tabela: 'contas',
    consulta: '{"consulta":"SELECT c.endereco, c.numero, c.complemento, c.bairro, c.cep, c.cidade_id FROM contas AS c WHERE c.id = #id#"}',
    ordem: 10,
  },
  campoCrm: { endEnt: '#endereco#', nenEnt: '#numero#', cplEnt: '#complemento#', baiEnt: '#bairro#', cepEnt: '#cep#' },
};

/** A scheduled GET (seed 000): the ERP's customers (Senior E085CLI) upserted into contas by id_erp, incrementally by DATALT. */
const getBdClientes: DemoIntegracao = {
  conexao: 'erp_db',
  integracao: {
    nome: GET_BD_CLIENTES,
    tipo_servico: 'GET',
    tabela: 'contas',
    // Aliases are contas' columns; DATALT is the cursor only. Every row gets the empresa_id of the integracao.
    sql_consulta:
      'SELECT CODCLI AS id_erp, NOMCLI AS nome, APECLI AS fantasia, CGCCPF AS cnpj, TIPCLI AS tipo_pessoa, SITCLI AS status, DATALT FROM E085CLI',
    chave: 'id_erp',
    campo_cursor: 'DATALT',
    modo: 'incremental',
    reconciliacao_horas: 24,
    cron: '*/15 * * * *',
    ordem: 30,
  },
};

/** The demo integrations, in the order they are inserted. */
export function demoIntegracoes(): DemoIntegracao[] {
  return [setWsContas, setWsContasEntrega, getBdClientes];
}
