import type { ColumnType, Generated } from 'kysely';

/** Timestamps come back as Date (PostgreSQL, MySQL) or ISO text (SQLite); write Date or ISO text. */
export type Timestamp = ColumnType<Date | string, Date | string | undefined, Date | string>;
type Id = Generated<number>;
/**
 * The largest id a row can have: the CRM's ids are 32-bit integers on PostgreSQL and MySQL (SQLite's are wider). A
 * larger one in a request names no row and is refused at the boundary, not by the database ("out of range", a 500).
 */
export const MAX_ROW_ID = 2_147_483_647;
type Nullable<T> = T | null;
/** 0/1 flags: one integer type behaves the same on the three dialects. */
type Flag = ColumnType<number, number | undefined, number>;

/**
 * Outbox of SET pushes: status enviando (call under way, or interrupted with its outcome unknown) → enviado (receptor
 * answered, values kept) → concluido (written back) | falhou; pendente after a failure that never reached the receptor.
 */
export interface IntegracaoExecucoesTable {
  id: Id;
  empresa_id: number;
  integracao_id: number;
  chave: string;
  job_id: Nullable<string>;
  status: 'pendente' | 'enviando' | 'enviado' | 'concluido' | 'falhou';
  valores: Nullable<string>;
  mensagem: Nullable<string>;
  tentativas: Flag;
  /** The record's key (runSet's `id<id>`), kept when the receptor accepted it and nothing was written back. */
  registro: Nullable<string>;
  /** The indice_valor_retorno keys sql_update uses that the receptor's answer lacked (comma-separated). */
  retorno_ausente: Nullable<string>;
  /** 1 while a new push of `registro` is held back (nothing written back: it would duplicate it in the receptor). */
  retido: Flag;
  criado_em: Timestamp;
  atualizado_em: Timestamp;
}

/** One row per attempt of a SET push: the raw request and response (secrets redacted). */
export interface IntegracaoTentativasTable {
  id: Id;
  execucao_id: number;
  tentativa: number;
  url: Nullable<string>;
  requisicao: Nullable<string>;
  resposta: Nullable<string>;
  status_http: Nullable<number>;
  duracao_ms: Nullable<number>;
  erro: Nullable<string>;
  criado_em: Timestamp;
}

/** GET pulls: the sync state of one integracao for one empresa (cursor, lease against concurrent runs, last run). */
export interface IntegracaoSincronizacaoTable {
  id: Id;
  empresa_id: number;
  integracao_id: number;
  /** The last committed cursor value as text (ISO for dates). */
  cursor_valor: Nullable<string>;
  cursor_tipo: Nullable<'date' | 'number' | 'text'>;
  /** Reconcile generation: rows last seen in an older one are gone from the source once a reconcile completes. */
  geracao: Flag;
  /** 1 while a reconcile pass is under way (it survives a crash and the resumed run finishes it). */
  reconciliando: Flag;
  ultima_reconciliacao_em: Nullable<Timestamp>;
  /** Lease: who runs the integration now, and until when unless renewed (a fencing token checked by every commit). */
  execucao_dono: Nullable<string>;
  execucao_expira_em: Nullable<Timestamp>;
  status: Nullable<'executando' | 'concluido' | 'falhou'>;
  linhas_lidas: Flag;
  linhas_gravadas: Flag;
  linhas_ignoradas: Flag;
  linhas_removidas: Flag;
  iniciado_em: Nullable<Timestamp>;
  concluido_em: Nullable<Timestamp>;
  erro: Nullable<string>;
  atualizado_em: Timestamp;
}

/** GET pulls: the keys committed at exactly the saved cursor value, with a signature of each row (dedupe of >= reads). */
export interface IntegracaoSincronizacaoChavesTable {
  id: Id;
  empresa_id: number;
  integracao_id: number;
  chave: string;
  assinatura: string;
}

/** GET pulls: one row per run (a job resumed after a crash continues its row). */
export interface IntegracaoSincronizacaoExecucoesTable {
  id: Id;
  empresa_id: number;
  integracao_id: number;
  job_id: Nullable<string>;
  gatilho: Nullable<string>;
  modo: 'full' | 'incremental';
  reconciliacao: Flag;
  status: 'executando' | 'concluido' | 'falhou';
  linhas_lidas: Flag;
  linhas_gravadas: Flag;
  linhas_ignoradas: Flag;
  linhas_removidas: Flag;
  lotes: Flag;
  cursor_inicial: Nullable<string>;
  cursor_final: Nullable<string>;
  erro: Nullable<string>;
  iniciado_em: Timestamp;
  concluido_em: Nullable<Timestamp>;
  duracao_ms: Nullable<number>;
}

export interface EmpresasTable {
  id: Id;
  nome: string;
  documento: Nullable<string>;
  ativo: Flag;
  criado_em: Timestamp;
  /** Seed 003: how many JSON endpoint services the empresa's contract allows (default 5). */
  limite_servicos_endpoint: Flag;
}

export interface EmpresaFiliaisTable {
  id: Id;
  empresa_id: number;
  nome: string;
  criado_em: Timestamp;
}

/** API keys: only a SHA-256 of the secret part is stored; the prefix finds the row. */
export interface ApiKeysTable {
  id: Id;
  empresa_id: number;
  empresa_filial_id: Nullable<number>;
  name: string;
  key_prefix: string;
  key_hash: string;
  created_at: Timestamp;
  last_used_at: Nullable<Timestamp>;
  revoked_at: Nullable<Timestamp>;
}

/** Seed 001: CONEXAO_INTEGRACAO. nome_conexao names an entry of the connections file. */
export interface ConexaoIntegracaoTable {
  id: Id;
  tipo_conexao: string;
  nome_conexao: string;
  empresa_id: Nullable<number>;
}

/** Seed 001: INTEGRACAO, with the seed's columns plus ordem, cron, ativo and timeout_ms. */
export interface IntegracaoTable {
  id: Id;
  nome: string;
  tipo_servico: string;
  empresa_id: Nullable<number>;
  empresa_filial_id: Nullable<number>;
  link: Nullable<string>;
  tabela: Nullable<string>;
  consulta: Nullable<string>;
  conexao_integracao_id: Nullable<number>;
  porta_ws: Nullable<string>;
  indice_array_retorno: Nullable<string>;
  indice_valor_retorno: Nullable<string>;
  indice_erro_retorno: Nullable<string>;
  sql_consulta: Nullable<string>;
  sql_insert: Nullable<string>;
  sql_update: Nullable<string>;
  dependente: Nullable<number>;
  depende_de: Nullable<number>;
  parametros_obrigatorios: Nullable<string>;
  ordem: Generated<number>;
  cron: Nullable<string>;
  ativo: Flag;
  timeout_ms: Nullable<number>;
  criado_em: Timestamp;
  atualizado_em: Timestamp;
  /** SET micro-batching (migration 013): pushes of this integration and tenant sent per receptor call; null/0/1 = one. */
  lote_maximo: Generated<Nullable<number>>;
  /** GET: the CRM key column(s) of the upsert, comma separated (null = id_erp); always scoped by empresa_id. */
  chave: Generated<Nullable<string>>;
  /** GET: the sql_consulta column whose value only grows (e.g. DATALT); null = no incremental sync. */
  campo_cursor: Generated<Nullable<string>>;
  /** GET: 'completo' (full refresh) or 'incremental'; null = incremental when campo_cursor is set. */
  modo: Generated<Nullable<string>>;
  /** GET: hours between full reconciles that mark rows gone from the source (null = never, 0 = every run). */
  reconciliacao_horas: Generated<Nullable<number>>;
  /** GET: rows per chunk (one CRM transaction each); null = the engine's default. */
  tamanho_lote: Generated<Nullable<number>>;
}

/** Seed 001: CAMPOS_INTEGRACAO. campo_crm is a JSON structure keyed by the receptor's field names. */
export interface CamposIntegracaoTable {
  id: Id;
  integracao_id: number;
  campo_crm: string;
  ordem: Generated<number>;
  descricao: Nullable<string>;
}

/** Seed 001: DEPENDENCIAS. Provides the #variavel# of a field from a lookup query or another integration. */
export interface DependenciasTable {
  id: Id;
  integracao_id: number;
  campos_integracao_id: Nullable<number>;
  variavel: string;
  tipo: string;
  consulta: Nullable<string>;
  integracao_origem_id: Nullable<number>;
  indice_valor: Nullable<string>;
  obrigatoria: Flag;
  descricao: Nullable<string>;
}

/** Seed 001: REGRAS. Transforms one field's value (value map, default, required, format, cut). */
export interface RegrasTable {
  id: Id;
  integracao_id: number;
  campos_integracao_id: Nullable<number>;
  campo: string;
  tipo: string;
  parametros: Nullable<string>;
  ordem: Generated<number>;
  descricao: Nullable<string>;
}

interface TenantOwned {
  id: Id;
  empresa_id: number;
  empresa_filial_id: Generated<Nullable<number>>;
}

/** Where a row written by a GET pull came from: its integracao, the reconcile generation that last saw it, and when it left the source. */
interface SyncedFromSource {
  origem_integracao_id: Generated<Nullable<number>>;
  origem_geracao: Generated<Nullable<number>>;
  removido_origem_em: Generated<Nullable<Timestamp>>;
}

export interface CidadesTable extends SyncedFromSource {
  id: Id;
  empresa_id: number;
  nome: string;
  uf: Nullable<string>;
  codigo_ibge: Nullable<string>;
  id_erp: Nullable<string>;
}

/** CRM accounts: every column seed 001's example consulta selects, plus the phone columns. */
export interface ContasTable extends TenantOwned, SyncedFromSource {
  id_erp: Nullable<string>;
  fax: Nullable<string>;
  email_geral: Nullable<string>;
  email_financeiro: Nullable<string>;
  cadastro_timestamp: Timestamp;
  cliente_desde: Nullable<ColumnType<Date | string, Date | string | undefined, Date | string>>;
  status: Nullable<string>;
  representante_id: Nullable<number>;
  tipo_conta: Nullable<string>;
  tipo_pessoa: Nullable<string>;
  cidade_id: Nullable<number>;
  celular: Nullable<string>;
  telefone: Nullable<string>;
  telefone2: Nullable<string>;
  telefone3: Nullable<string>;
  nome: string;
  fantasia: Nullable<string>;
  cnpj: Nullable<string>;
  cpf: Nullable<string>;
  ramo_atividade_id: Nullable<number>;
  inscricao: Nullable<string>;
  inscricao_municipal: Nullable<string>;
  endereco: Nullable<string>;
  complemento: Nullable<string>;
  numero: Nullable<string>;
  cep: Nullable<string>;
  bairro: Nullable<string>;
  atualizado_em: Timestamp;
}

/**
 * Seed 003: "origem … Caso não especificado, a origem padrão será o CRM". The seed gives no number for the CRM's own
 * origin: a contato sent without one is stored with this marker in `dados.origem` (an endpoint's own is an integer);
 * the endpoint syncs write it, the webhook payloads read it back as the origem named "CRM".
 */
export const ORIGEM_CRM = 'crm';

export interface ContatosTable extends TenantOwned, SyncedFromSource {
  conta_id: Nullable<number>;
  codigo: Nullable<string>;
  nome: string;
  cargo: Nullable<string>;
  email: Nullable<string>;
  telefone: Nullable<string>;
  celular: Nullable<string>;
  data_nascimento: Nullable<ColumnType<Date | string, Date | string | undefined, Date | string>>;
  id_erp: Nullable<string>;
  atualizado_em: Timestamp;
  cpf: Generated<Nullable<string>>;
  /** Seed 003: the contato attributes without a column of their own, as JSON. */
  dados: Generated<Nullable<string>>;
  /** Seed 003: camposPersonalizados, as JSON. */
  campos_personalizados: Generated<Nullable<string>>;
}

export interface OportunidadesTable extends TenantOwned, SyncedFromSource {
  conta_id: Nullable<number>;
  usuario_id: Nullable<number>;
  titulo: string;
  valor: Nullable<ColumnType<string | number, string | number | undefined, string | number>>;
  status: Nullable<string>;
  etapa: Nullable<string>;
  numero_pedido: Nullable<string>;
  data_fechamento: Nullable<ColumnType<Date | string, Date | string | undefined, Date | string>>;
  id_erp: Nullable<string>;
  atualizado_em: Timestamp;
  /** Seed 004: the registro de processo's attributes without a column of their own, as JSON (migration 009). */
  dados: Generated<Nullable<string>>;
  /** Seed 004: camposPersonalizados, as JSON (migration 009). */
  campos_personalizados: Generated<Nullable<string>>;
}

export interface AtividadesTable extends TenantOwned {
  conta_id: Nullable<number>;
  contato_id: Nullable<number>;
  usuario_id: Nullable<number>;
  tipo: string;
  assunto: Nullable<string>;
  descricao: Nullable<string>;
  inicio: Nullable<Timestamp>;
  fim: Nullable<Timestamp>;
  status: Nullable<string>;
  atualizado_em: Timestamp;
  /** Seed 004: the atividade's attributes without a column of their own, as JSON (migration 009). */
  dados: Generated<Nullable<string>>;
  campos_personalizados: Generated<Nullable<string>>;
}

export interface EventosTable extends TenantOwned {
  conta_id: Nullable<number>;
  contato_id: Nullable<number>;
  cod_contato: Nullable<string>;
  tipo: string;
  descricao: Nullable<string>;
  data: Nullable<Timestamp>;
  origem: Nullable<string>;
  dados: Nullable<string>;
  atualizado_em: Timestamp;
  /** Idempotency key per empresa: "reg:<codRegistro>" or "sha256:<hash of the payload>" (seed 003). */
  chave: Generated<Nullable<string>>;
  cod_registro: Generated<Nullable<string>>;
  data_vencimento: ColumnType<Date | string | null, Date | string | null | undefined, Date | string | null>;
  servico_endpoint_id: Generated<Nullable<number>>;
}

/** Seed 003: a JSON endpoint service of a tenant. segredo_ref is a ${NOME} reference, never the secret. */
export interface ServicosEndpointTable {
  id: Id;
  empresa_id: number;
  /** The filial whose key created the service (migration 012); null = the whole empresa. */
  empresa_filial_id: Generated<Nullable<number>>;
  nome: string;
  url_base: string;
  autenticacao: string;
  usuario: Nullable<string>;
  segredo_ref: Nullable<string>;
  permitir_rede_privada: Flag;
  ativo: Flag;
  status: ColumnType<string, string | undefined, string>;
  /** JSON {code, params} of the last failure (or of the last run's warnings); rendered per locale. */
  status_motivo: Nullable<string>;
  ultima_execucao_em: Nullable<Timestamp>;
  criado_em: Timestamp;
  atualizado_em: Timestamp;
  /** When worker-get syncs the service on its own: a cron in SCHEDULE_TIMEZONE; null = only on demand (migration 011). */
  cron: Generated<Nullable<string>>;
}

/** Seed 003: one event type (contato or evento) of a service, with its fixed URL and last run report. */
export interface ServicosEndpointEventosTable {
  id: Id;
  servico_id: number;
  empresa_id: number;
  tipo: string;
  url: string;
  status: ColumnType<string, string | undefined, string>;
  ultimo_relatorio: Nullable<string>;
  ultima_execucao_em: Nullable<Timestamp>;
}

export interface UsuariosTable extends TenantOwned {
  nome: string;
  email: Nullable<string>;
  /** PBX extension (seed 002). */
  ramal: Nullable<string>;
  ativo: Flag;
}

/** Call log (seed 002): one row per call seen by the PBX listeners. */
export interface LigacoesTable extends TenantOwned {
  usuario_id: Nullable<number>;
  conta_id: Nullable<number>;
  ramal: string;
  telefone: string;
  direcao: string;
  inicio: Timestamp;
  fim: Nullable<Timestamp>;
  duracao_segundos: Nullable<number>;
  url_audio: Nullable<string>;
  status: Nullable<string>;
  criado_em: Timestamp;
  // CTI call-log columns (migration 008).
  contato_id: Generated<Nullable<number>>;
  telefone_normalizado: Generated<Nullable<string>>;
  chave_telefone: Generated<Nullable<string>>;
  atendido_em: Generated<Nullable<Timestamp>>;
  evento_id: Generated<Nullable<string>>;
  evento_fim_id: Generated<Nullable<string>>;
  sem_inicio: Flag;
  erro: Generated<Nullable<string>>;
}

/** Per-tenant limits; 0 = no limit. nome_conexao null = the tenant's jobs, else its calls through that connection. */
export interface LimitesTenantTable {
  id: Id;
  empresa_id: number;
  empresa_filial_id: Nullable<number>;
  nome_conexao: Nullable<string>;
  taxa_por_segundo: number;
  rajada: number;
  concorrencia_maxima: number;
  criado_em: Timestamp;
  atualizado_em: Timestamp;
}

// --- CTI (migration 008) ---

/** A tenant's CTI settings: how its PBX reaches the listeners, and how the hub reaches its PBX (click-to-call). */
export interface CtiConfiguracoesTable {
  id: Id;
  empresa_id: number;
  rotulo_host: Nullable<string>;
  token_hash: Nullable<string>;
  /** JSON array of addresses / CIDR ranges; null or [] = any. */
  enderecos_permitidos: Nullable<string>;
  pbx_metodo: ColumnType<string, string | undefined, string>;
  pbx_url_modelo: Nullable<string>;
  pbx_autenticacao: ColumnType<string, string | undefined, string>;
  pbx_usuario: Nullable<string>;
  pbx_segredo_ref: Nullable<string>;
  pbx_nome_parametro: Nullable<string>;
  prefixo_discagem: ColumnType<string, string | undefined, string>;
  tamanho_ramal: Flag;
  permitir_rede_privada: Flag;
  criado_em: Timestamp;
  atualizado_em: Timestamp;
}

// --- Outbound webhooks (seed 004; migration 009) ---

/** A nullable timestamp with a default (null): optional on insert. */
type OptionalTimestamp = ColumnType<Date | string | null, Date | string | null | undefined, Date | string | null>;

/** A tenant's webhook endpoint. segredo/segredo_anterior are sealed (see packages/webhooks secret-box.ts), never plain text in logs. */
export interface WebhookEndpointsTable {
  id: Id;
  empresa_id: number;
  nome: string;
  url: string;
  gatilhos: string;
  ativo: Generated<number>;
  segredo: string;
  segredo_anterior: Generated<Nullable<string>>;
  segredo_anterior_expira_em: OptionalTimestamp;
  cabecalhos: Generated<Nullable<string>>;
  limite_por_segundo: Generated<Nullable<number>>;
  primeira_falha_em: OptionalTimestamp;
  desativado_motivo: Generated<Nullable<string>>;
  criado_em: Timestamp;
  atualizado_em: Timestamp;
}

/** The CTI phone index: one row per (record, phone column) holding a number. */
export interface CtiTelefonesTable {
  id: Id;
  empresa_id: number;
  tabela: 'contas' | 'contatos';
  registro_id: number;
  campo: string;
  chave_ddd: Nullable<string>;
  chave8: string;
}

/** Rows of contas / contatos written since the index last looked (filled by triggers). */
export interface CtiTelefonesPendentesTable {
  id: Id;
  empresa_id: number;
  tabela: 'contas' | 'contatos';
  registro_id: number;
}

/** One CRM change's payload, built once and stored; every delivery of the change sends these bytes. */
export interface WebhookMensagensTable {
  id: Id;
  empresa_id: number;
  chave: string;
  gatilho: string;
  tabela: string;
  registro_id: string;
  webhook_id: string;
  payload: string;
  criado_em: Timestamp;
}

/**
 * What the hub keeps of a CRM record past the retention of its messages (migration 026): an oportunidade's `criacao`,
 * as its first body with one sent it (`YYYY-MM-DD hh:mm`).
 */
export interface WebhookRegistrosTable {
  id: Id;
  empresa_id: number;
  tabela: string;
  registro_id: string;
  criacao: string;
  criado_em: Timestamp;
}

/** One (change, endpoint) delivery: pendente → entregue | falhou | cancelada. */
export interface WebhookEntregasTable {
  id: Id;
  empresa_id: number;
  endpoint_id: number;
  mensagem_id: number;
  status: Generated<string>;
  tentativas: Generated<number>;
  ciclo_inicio: Generated<number>;
  /** The recover whose job owns the row while it is pending again (its id); null when never recovered. */
  recuperacao: Generated<Nullable<string>>;
  proxima_tentativa_em: OptionalTimestamp;
  ultimo_status_http: Generated<Nullable<number>>;
  ultimo_erro: Generated<Nullable<string>>;
  entregue_em: OptionalTimestamp;
  criado_em: Timestamp;
  atualizado_em: Timestamp;
}

/** One HTTP attempt of a delivery (headers with secrets masked, body truncated). */
export interface WebhookTentativasTable {
  id: Id;
  empresa_id: number;
  entrega_id: number;
  numero: number;
  origem: string;
  cabecalhos: string;
  status_http: Nullable<number>;
  resposta: Nullable<string>;
  duracao_ms: number;
  classe_erro: Nullable<string>;
  erro: Nullable<string>;
  criado_em: Timestamp;
}

/** A change event received (route or capture), by idempotency key: a repeat is answered from `resultado`. */
export interface CrmMudancasTable {
  id: Id;
  empresa_id: number;
  chave: string;
  tabela: string;
  registro_id: Nullable<string>;
  operacao: string;
  resultado: Generated<Nullable<string>>;
  criado_em: Timestamp;
  /** The key scope the chave belongs to: the filial of a filial key, 0 for a key of the whole empresa (migration 019). */
  filial_escopo: Generated<number>;
  /** The fingerprint of the body the chave came with; null for a claim written before migration 019. */
  impressao: Nullable<string>;
}

/** Rows the capture triggers write for every insert/update of contatos, oportunidades, atividades, eventos. */
export interface WebhookOutboxTable {
  id: Id;
  empresa_id: number;
  tabela: string;
  registro_id: number;
  operacao: string;
  /** The status the change set, as text ('' for none); null when not captured (a row written before migration 018). */
  status: Generated<Nullable<string>>;
  criado_em: Timestamp;
}

// --- Operators' dashboard (migration 010) ---

/** The state of a job as the hub recorded it (the failures list and counts read these, never Redis). */
export const ESTADOS_REGISTRO_JOB = [
  'ativo',
  'concluido',
  'falhou',
  'aguardando_retentativa',
  'adiado',
  'bloqueado',
  'descartado',
] as const;
export type EstadoRegistroJob = (typeof ESTADOS_REGISTRO_JOB)[number];

/** One row per job (queue + job id): written by the worker runner on each start, delay, retry, completion and failure. */
export interface RegistroJobsTable {
  id: Id;
  empresa_id: number;
  empresa_filial_id: Nullable<number>;
  fila: string;
  job_id: string;
  nome_job: string;
  integracao_id: Nullable<number>;
  /** The job's key parameters as JSON (contaId, telefone…), never secrets. */
  parametros: Nullable<string>;
  estado: EstadoRegistroJob;
  tentativas: Flag;
  max_tentativas: Flag;
  erro_classe: Nullable<string>;
  erro_codigo: Nullable<string>;
  /** The failure's own text (the ERP's message, the SOAP fault, the HTTP answer). */
  erro_mensagem: Nullable<string>;
  /** Lower-case text the free-text search reads: job name, id, parameters and error, bounded. */
  busca: ColumnType<string, string | undefined, string>;
  criado_em: Timestamp;
  iniciado_em: Nullable<Timestamp>;
  finalizado_em: Nullable<Timestamp>;
  atualizado_em: Timestamp;
}

export type PapelOperador = 'admin' | 'operador' | 'leitor';

/** A person who logs in to the dashboard: admin (every tenant), operador (their tenants), leitor (read-only). */
export interface OperadoresTable {
  id: Id;
  login: string;
  nome: string;
  /** scrypt$N$r$p$salt$hash (node:crypto). */
  senha_hash: string;
  papel: PapelOperador;
  fuso_horario: ColumnType<string, string | undefined, string>;
  idioma: ColumnType<string, string | undefined, string>;
  ativo: Flag;
  criado_em: Timestamp;
}

/** The tenants an operador or leitor may see (admins see every tenant). */
export interface OperadoresEmpresasTable {
  operador_id: number;
  empresa_id: number;
}

/** A login: only a SHA-256 of the cookie's token is stored; the CSRF token travels in forms and a header. */
export interface SessoesOperadorTable {
  id: Id;
  operador_id: number;
  token_hash: string;
  csrf_token: string;
  expira_em: Timestamp;
  criado_em: Timestamp;
}

/** A GET schedule paused by an operator (no job scheduler is kept for it until it is resumed). */
export interface AgendamentosPausadosTable {
  empresa_id: number;
  integracao_id: number;
  pausado_por: string;
  pausado_em: Timestamp;
}

/** A tenant an operator paused: no schedules, queued jobs not taken, until resumed (migration 014). */
export interface EmpresasPausadasTable {
  empresa_id: number;
  pausado_por: string;
  pausado_em: Timestamp;
}

/** Who did what, when, to how many jobs (operators in the UI and scripts with a tenant API key). */
export interface AuditoriaAcoesTable {
  id: Id;
  autor: string;
  operador_id: Nullable<number>;
  empresa_id: Nullable<number>;
  acao: string;
  alvo: Nullable<string>;
  quantidade: Flag;
  detalhe: Nullable<string>;
  criado_em: Timestamp;
}

export interface Database {
  empresas: EmpresasTable;
  empresa_filiais: EmpresaFiliaisTable;
  api_keys: ApiKeysTable;
  conexao_integracao: ConexaoIntegracaoTable;
  integracao: IntegracaoTable;
  campos_integracao: CamposIntegracaoTable;
  dependencias: DependenciasTable;
  regras: RegrasTable;
  cidades: CidadesTable;
  contas: ContasTable;
  contatos: ContatosTable;
  oportunidades: OportunidadesTable;
  atividades: AtividadesTable;
  eventos: EventosTable;
  usuarios: UsuariosTable;
  ligacoes: LigacoesTable;
  integracao_execucoes: IntegracaoExecucoesTable;
  integracao_tentativas: IntegracaoTentativasTable;
  servicos_endpoint: ServicosEndpointTable;
  servicos_endpoint_eventos: ServicosEndpointEventosTable;
  integracao_sincronizacao: IntegracaoSincronizacaoTable;
  integracao_sincronizacao_chaves: IntegracaoSincronizacaoChavesTable;
  integracao_sincronizacao_execucoes: IntegracaoSincronizacaoExecucoesTable;
  limites_tenant: LimitesTenantTable;
  cti_configuracoes: CtiConfiguracoesTable;
  cti_telefones: CtiTelefonesTable;
  cti_telefones_pendentes: CtiTelefonesPendentesTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_mensagens: WebhookMensagensTable;
  webhook_registros: WebhookRegistrosTable;
  webhook_entregas: WebhookEntregasTable;
  webhook_tentativas: WebhookTentativasTable;
  crm_mudancas: CrmMudancasTable;
  webhook_outbox: WebhookOutboxTable;
  registro_jobs: RegistroJobsTable;
  operadores: OperadoresTable;
  operadores_empresas: OperadoresEmpresasTable;
  sessoes_operador: SessoesOperadorTable;
  auditoria_acoes: AuditoriaAcoesTable;
  agendamentos_pausados: AgendamentosPausadosTable;
  empresas_pausadas: EmpresasPausadasTable;
}
