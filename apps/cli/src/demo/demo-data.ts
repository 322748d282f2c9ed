import type { ContasTable, ContatosTable, UsuariosTable } from '@integrador/store';
import type { Insertable } from 'kysely';

// The demo tenant's CRM records. Names, documents and addresses are made up but shaped like real Brazilian data:
// CNPJ/CPF with valid check digits, IBGE city codes, and phones written in the many ways people type them,
// so phone normalisation (CTI caller lookup) and field mapping meet realistic input.

/** The demo empresa is found again by this documento, which makes `seed-demo` idempotent. */
export const DEMO_DOCUMENTO = '00.000.000/0001-91';
export const DEMO_EMPRESA = 'Empresa Demo';
export const DEMO_FILIAL = 'Matriz São Paulo';
export const DEMO_KEY_NAME = 'demo';

export const DEMO_CIDADES = [
  { nome: 'São Paulo', uf: 'SP', codigo_ibge: '3550308' },
  { nome: 'Rio de Janeiro', uf: 'RJ', codigo_ibge: '3304557' },
  { nome: 'Belo Horizonte', uf: 'MG', codigo_ibge: '3106200' },
  { nome: 'Curitiba', uf: 'PR', codigo_ibge: '4106902' },
  { nome: 'Porto Alegre', uf: 'RS', codigo_ibge: '4314902' },
] as const;

export type DemoCidadeNome = (typeof DEMO_CIDADES)[number]['nome'];

type ContaColumns = Omit<Insertable<ContasTable>, 'empresa_id' | 'empresa_filial_id' | 'cidade_id' | 'status' | 'tipo_conta'>;

/** A conta and the name of its cidade (resolved to cidade_id when inserted). */
export interface DemoConta extends ContaColumns {
  cidade: DemoCidadeNome;
}

export const DEMO_CONTAS: readonly DemoConta[] = [
  {
    nome: 'Metalúrgica Paulista Indústria e Comércio Ltda',
    fantasia: 'Metalpa',
    tipo_pessoa: 'J',
    cnpj: '11.222.333/0001-81',
    inscricao: '110.042.490.114',
    inscricao_municipal: '3.456.789-0',
    telefone: '(11) 3456-7890',
    telefone2: '11 2345-6789',
    celular: '(11) 98765-4321',
    fax: '(11) 3456-7899',
    email_geral: 'contato@metalpa.com.br',
    email_financeiro: 'financeiro@metalpa.com.br',
    endereco: 'Rua Voluntários da Pátria',
    numero: '1520',
    bairro: 'Santana',
    cep: '02011-200',
    cidade: 'São Paulo',
    cliente_desde: '2015-03-10',
  },
  {
    nome: 'Distribuidora Carioca de Alimentos S.A.',
    fantasia: 'DiCarioca',
    tipo_pessoa: 'J',
    cnpj: '45.678.901/0001-75',
    inscricao: '86.123.456',
    telefone: '+55 21 2233-4455',
    telefone2: '0800 725 3344',
    celular: '21987654321',
    email_geral: 'vendas@dicarioca.com.br',
    endereco: 'Avenida Brasil',
    numero: '8500',
    bairro: 'Penha',
    cep: '21012-351',
    cidade: 'Rio de Janeiro',
    cliente_desde: '2018-07-02',
  },
  {
    nome: 'Construtora Horizonte Mineiro Ltda',
    fantasia: 'Horizonte',
    tipo_pessoa: 'J',
    cnpj: '98.765.432/0001-98',
    inscricao: '062.307.904.0081',
    telefone: '31 3222-1100',
    telefone3: '(31) 3222-1101',
    celular: '+55 (31) 99876-5432',
    fax: '3132221199',
    email_geral: 'obras@horizontemineiro.com.br',
    endereco: 'Avenida Afonso Pena',
    numero: '3000',
    complemento: '12º andar',
    bairro: 'Funcionários',
    cep: '30130009',
    cidade: 'Belo Horizonte',
  },
  {
    nome: 'Paraná Agro Insumos Eireli',
    fantasia: 'PR Agro',
    tipo_pessoa: 'J',
    cnpj: '24.681.357/0001-40',
    inscricao: '90312345-67',
    telefone: '041 3333-4444',
    celular: '41 9 9988-7766',
    email_geral: 'atendimento@pragro.com.br',
    endereco: 'Rua XV de Novembro',
    numero: '700',
    bairro: 'Centro',
    cep: '80020-310',
    cidade: 'Curitiba',
    cliente_desde: '2020-11-23',
  },
  {
    nome: 'Gaúcha Tecnologia em Software Ltda',
    fantasia: 'GaúchaSoft',
    tipo_pessoa: 'J',
    cnpj: '13.579.246/0001-01',
    inscricao: '096/3456789',
    inscricao_municipal: '51234567',
    telefone: '(51) 3030-4040',
    telefone2: '(51)3030-4041',
    email_geral: 'comercial@gauchasoft.com.br',
    email_financeiro: 'nf@gauchasoft.com.br',
    endereco: 'Avenida Ipiranga',
    numero: '6681',
    complemento: 'Prédio 99, sala 1204',
    bairro: 'Partenon',
    cep: '90619-900',
    cidade: 'Porto Alegre',
  },
  {
    nome: 'Farmácia Vida Saudável Ltda - ME',
    fantasia: 'Farmácia Vida',
    tipo_pessoa: 'J',
    cnpj: '19.283.746/0001-88',
    telefone: '1140028922',
    celular: '11 91234-5678',
    email_geral: 'farmaciavida@uol.com.br',
    endereco: 'Rua Augusta',
    numero: '2345',
    bairro: 'Cerqueira César',
    cep: '01413-000',
    cidade: 'São Paulo',
    cliente_desde: '2022-01-15',
  },
  {
    nome: 'Transportes Rápido Sul Ltda',
    fantasia: 'Rápido Sul',
    tipo_pessoa: 'J',
    cnpj: '56.473.829/0001-66',
    inscricao: '10123456-89',
    telefone: '(41) 3015-2020',
    celular: '(41) 99191-2020',
    fax: '(41) 3015-2021',
    email_geral: 'logistica@rapidosul.com.br',
    endereco: 'Rua João Bettega',
    numero: '3500',
    bairro: 'Portão',
    cep: '81070-001',
    cidade: 'Curitiba',
  },
  {
    nome: 'João Carlos da Silva',
    fantasia: 'João Silva',
    tipo_pessoa: 'F',
    cpf: '123.456.789-09',
    telefone: '21 2555-0101',
    celular: '(21) 99999-1234',
    email_geral: 'joao.silva@gmail.com',
    endereco: 'Rua das Laranjeiras',
    numero: '120',
    complemento: 'apto 302',
    bairro: 'Laranjeiras',
    cep: '22240-003',
    cidade: 'Rio de Janeiro',
  },
  {
    nome: 'Maria Aparecida Oliveira',
    fantasia: 'Maria Oliveira',
    tipo_pessoa: 'F',
    cpf: '987.654.321-00',
    celular: '31988887777',
    email_geral: 'maria.aparecida@hotmail.com',
    endereco: 'Rua da Bahia',
    numero: '1148',
    complemento: 'sala 5',
    bairro: 'Centro',
    cep: '30160-011',
    cidade: 'Belo Horizonte',
    cliente_desde: '2023-05-08',
  },
  {
    nome: 'Ana Paula Ferreira Costa',
    fantasia: 'Ana Costa',
    tipo_pessoa: 'F',
    cpf: '314.159.265-90',
    telefone: '(51) 3222-3344',
    celular: '+5551998765432',
    email_geral: 'anapaula.costa@yahoo.com.br',
    endereco: 'Rua Padre Chagas',
    numero: '79',
    bairro: 'Moinhos de Vento',
    cep: '90570-080',
    cidade: 'Porto Alegre',
  },
];

type ContatoColumns = Omit<Insertable<ContatosTable>, 'empresa_id' | 'empresa_filial_id' | 'conta_id'>;

/** A contato and the nome of its conta. */
export interface DemoContato extends ContatoColumns {
  conta: string;
}

export const DEMO_CONTATOS: readonly DemoContato[] = [
  {
    conta: 'Metalúrgica Paulista Indústria e Comércio Ltda',
    codigo: 'CT-0001',
    nome: 'Roberto Almeida',
    cargo: 'Gerente de Compras',
    email: 'roberto.almeida@metalpa.com.br',
    telefone: '(11) 3456-7891',
    celular: '(11) 97654-3210',
    data_nascimento: '1978-09-14',
  },
  {
    conta: 'Distribuidora Carioca de Alimentos S.A.',
    codigo: 'CT-0002',
    nome: 'Fernanda Ribeiro',
    cargo: 'Diretora Financeira',
    email: 'fernanda.ribeiro@dicarioca.com.br',
    telefone: '21 2233-4460',
    celular: '21 98888-7766',
  },
];

export const DEMO_USUARIOS: readonly Omit<Insertable<UsuariosTable>, 'empresa_id' | 'empresa_filial_id'>[] = [
  { nome: 'Ana Beatriz Souza', email: 'ana.souza@empresademo.com.br', ramal: '201' },
  { nome: 'Bruno Henrique Lima', email: 'bruno.lima@empresademo.com.br', ramal: '202' },
  { nome: 'Carla Mendes Rocha', email: 'carla.rocha@empresademo.com.br', ramal: '203' },
];

// What seed 004's webhook gatilhos watch besides contatos: a few oportunidades ("registros de processo"), atividades
// and eventos of the contas and contatos above, owned by the usuarios above, so every gatilho can be fired on the demo
// (README, Webhooks: one crm-change call per gatilho). Times are Brasília wall clocks, as the CRM writes them (seed
// 003's form), stored by the rule the endpoint syncs follow (brasiliaDateTime), so the payloads print them unchanged.

/** An oportunidade, by the nomes of its conta and usuario (resolved to ids when inserted). */
export interface DemoOportunidade {
  conta: string;
  usuario: string;
  titulo: string;
  valor: string;
  status: string;
  etapa: string;
  data_fechamento: string | null;
  /** Seed 004's registro de processo attributes without a column (the payload reads them from `dados`). */
  dados: Record<string, unknown>;
}

export const DEMO_OPORTUNIDADES: readonly DemoOportunidade[] = [
  {
    conta: 'Metalúrgica Paulista Indústria e Comércio Ltda',
    usuario: 'Ana Beatriz Souza',
    titulo: 'Renovação do contrato de fornecimento 2027',
    valor: '125000.00',
    status: 'aberta',
    etapa: 'Proposta',
    data_fechamento: null,
    dados: { processo: { id: '1', nome: 'Vendas B2B' }, origem: { id: '2', nome: 'Indicação' } },
  },
  {
    conta: 'Distribuidora Carioca de Alimentos S.A.',
    usuario: 'Bruno Henrique Lima',
    titulo: 'Expansão para o centro de distribuição de Niterói',
    valor: '48900.50',
    status: 'aberta',
    etapa: 'Negociação',
    data_fechamento: null,
    dados: { processo: { id: '1', nome: 'Vendas B2B' }, origem: { id: '1', nome: 'Site' } },
  },
  {
    conta: 'Farmácia Vida Saudável Ltda - ME',
    usuario: 'Carla Mendes Rocha',
    titulo: 'Sistema de controle de estoque',
    valor: '18750.00',
    status: 'ganha',
    etapa: 'Fechamento',
    data_fechamento: '2026-11-28',
    dados: { processo: { id: '1', nome: 'Vendas B2B' }, origem: { id: '3', nome: 'Telefone' } },
  },
];

/** An atividade, by the nomes of its conta, contato and usuario. `status: 'concluida'` is one already concluded. */
export interface DemoAtividade {
  conta: string;
  contato: string;
  usuario: string;
  tipo: string;
  assunto: string;
  descricao: string;
  inicio: string;
  fim: string;
  status: string;
}

export const DEMO_ATIVIDADES: readonly DemoAtividade[] = [
  {
    conta: 'Metalúrgica Paulista Indústria e Comércio Ltda',
    contato: 'Roberto Almeida',
    usuario: 'Ana Beatriz Souza',
    tipo: 'ligacao',
    assunto: 'Retornar sobre a proposta de renovação',
    descricao: 'Confirmar volumes de 2027 e prazo de entrega.',
    inicio: '2026-12-10 09:00:00',
    fim: '2026-12-10 09:30:00',
    status: 'pendente',
  },
  {
    conta: 'Distribuidora Carioca de Alimentos S.A.',
    contato: 'Fernanda Ribeiro',
    usuario: 'Bruno Henrique Lima',
    tipo: 'reuniao',
    assunto: 'Reunião de negociação — CD Niterói',
    descricao: 'Apresentar condições de pagamento.',
    inicio: '2026-12-11 14:00:00',
    fim: '2026-12-11 15:00:00',
    status: 'pendente',
  },
  {
    conta: 'Metalúrgica Paulista Indústria e Comércio Ltda',
    contato: 'Roberto Almeida',
    usuario: 'Ana Beatriz Souza',
    tipo: 'email',
    assunto: 'Enviar tabela de preços atualizada',
    descricao: 'Tabela enviada em PDF.',
    inicio: '2026-12-01 10:00:00',
    fim: '2026-12-01 10:15:00',
    status: 'concluida',
  },
];

/** An evento, by the nomes of its conta and contato (cod_contato is the contato's codigo). */
export interface DemoEvento {
  conta: string;
  contato: string;
  tipo: string;
  descricao: string;
  data: string;
  dataVencimento: string;
  origem: string;
}

export const DEMO_EVENTOS: readonly DemoEvento[] = [
  {
    conta: 'Metalúrgica Paulista Indústria e Comércio Ltda',
    contato: 'Roberto Almeida',
    tipo: 'Visita',
    descricao: 'Visita técnica à fábrica de Santana',
    data: '2026-12-02 15:00:00',
    dataVencimento: '2026-12-15 09:00:00',
    origem: 'CRM',
  },
  {
    conta: 'Distribuidora Carioca de Alimentos S.A.',
    contato: 'Fernanda Ribeiro',
    tipo: 'Feira',
    descricao: 'Encontro no estande da APAS Show',
    data: '2026-12-03 11:00:00',
    dataVencimento: '2026-12-18 10:00:00',
    origem: 'CRM',
  },
];
