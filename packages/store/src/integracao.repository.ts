import type { Kysely, Selectable } from 'kysely';
import { type FilialCaller, whereReadableBy } from './filial-scope';
import type { CamposIntegracaoTable, ConexaoIntegracaoTable, Database, DependenciasTable, IntegracaoTable, RegrasTable } from './schema';
import type { Tenant } from './tenants.repository';

export type Integracao = Selectable<IntegracaoTable>;
export type CampoIntegracao = Selectable<CamposIntegracaoTable>;
export type Dependencia = Selectable<DependenciasTable>;
export type Regra = Selectable<RegrasTable>;
export type ConexaoIntegracao = Selectable<ConexaoIntegracaoTable>;

/** integracao rows a tenant may see: its empresa's, and for a filial key only its filial's and the empresa-wide ones. */
function tenantIntegracoes(db: Kysely<Database>, tenant: FilialCaller) {
  return db.selectFrom('integracao').selectAll().where('empresa_id', '=', tenant.empresaId).where(whereReadableBy(tenant));
}

/** A tenant's integracao rows in execution order (ordem, then id). */
export async function listIntegracoes(db: Kysely<Database>, tenant: Tenant): Promise<Integracao[]> {
  return tenantIntegracoes(db, tenant).orderBy('ordem').orderBy('id').execute();
}

/**
 * An integracao row with what pauses its GET schedule: the schedule itself (`agendamentoPausado`) and its whole empresa
 * (`empresaPausada`); it is paused when either is.
 */
export type IntegracaoWithPause = Integracao & { agendamentoPausado: boolean; empresaPausada: boolean };

/**
 * listIntegracoes with each row's pause state read in the same statement: agendamentos_pausados holding its schedule,
 * empresas_pausadas its empresa, both bound to the tenant's empresa (another empresa's pause is not this one's).
 */
export async function listIntegracoesWithPause(db: Kysely<Database>, tenant: Tenant): Promise<IntegracaoWithPause[]> {
  const rows = await tenantIntegracoes(db, tenant)
    .select((eb) => [
      eb
        .exists(
          eb
            .selectFrom('agendamentos_pausados')
            .select('agendamentos_pausados.integracao_id')
            .where('agendamentos_pausados.empresa_id', '=', tenant.empresaId)
            .whereRef('agendamentos_pausados.integracao_id', '=', 'integracao.id'),
        )
        .as('agendamento_pausado'),
      eb
        .exists(
          eb
            .selectFrom('empresas_pausadas')
            .select('empresas_pausadas.empresa_id')
            .where('empresas_pausadas.empresa_id', '=', tenant.empresaId),
        )
        .as('empresa_pausada'),
    ])
    .orderBy('ordem')
    .orderBy('id')
    .execute();
  // PostgreSQL answers a boolean, MySQL/MariaDB and SQLite 0 or 1.
  return rows.map(({ agendamento_pausado, empresa_pausada, ...row }) => ({
    ...row,
    agendamentoPausado: Boolean(Number(agendamento_pausado)),
    empresaPausada: Boolean(Number(empresa_pausada)),
  }));
}

/** One integracao of the tenant, or undefined when it does not exist or belongs to someone else. */
export async function findIntegracao(db: Kysely<Database>, tenant: Tenant, id: number): Promise<Integracao | undefined> {
  return tenantIntegracoes(db, tenant).where('id', '=', id).executeTakeFirst();
}

/** One integracao with what decides its runs: its campos, dependencias and regras, and its connection's name. */
export interface IntegracaoDetail extends Integracao {
  campos: CampoIntegracao[];
  dependencias: Dependencia[];
  regras: Regra[];
  /** The conexao_integracao row it names (the connections file's secrets are never here); null when none or not the tenant's. */
  conexao: Pick<ConexaoIntegracao, 'id' | 'nome_conexao' | 'tipo_conexao'> | null;
}

/** findIntegracao with its child rows; every read bound to the integracao found for the tenant. */
export async function findIntegracaoDetail(db: Kysely<Database>, tenant: Tenant, id: number): Promise<IntegracaoDetail | undefined> {
  const integracao = await findIntegracao(db, tenant, id);
  if (!integracao) return undefined;
  const [campos, dependencias, regras, conexao] = await Promise.all([
    db.selectFrom('campos_integracao').selectAll().where('integracao_id', '=', integracao.id).orderBy('ordem').orderBy('id').execute(),
    db.selectFrom('dependencias').selectAll().where('integracao_id', '=', integracao.id).orderBy('id').execute(),
    db.selectFrom('regras').selectAll().where('integracao_id', '=', integracao.id).orderBy('ordem').orderBy('id').execute(),
    integracao.conexao_integracao_id === null
      ? undefined
      : db
          .selectFrom('conexao_integracao')
          .select(['id', 'nome_conexao', 'tipo_conexao'])
          .where('id', '=', integracao.conexao_integracao_id)
          // Another empresa's row is not this tenant's (null empresa_id = shared by every empresa).
          .where((eb) => eb.or([eb('empresa_id', 'is', null), eb('empresa_id', '=', tenant.empresaId)]))
          .executeTakeFirst(),
  ]);
  return { ...integracao, campos, dependencias, regras, conexao: conexao ?? null };
}

/** Every row of the Integrador configuration tables, for one empresa or (null) all of them. */
export interface IntegradorConfiguration {
  integracoes: Integracao[];
  campos: CampoIntegracao[];
  dependencias: Dependencia[];
  regras: Regra[];
  conexoes: ConexaoIntegracao[];
}

/**
 * The conexao_integracao rows (as `c`) an empresa's configuration may see: its own, and the shared ones (empresa_id
 * NULL) its integracoes use. Another empresa's rows, and shared rows only other tenants use, are never read. The
 * query without its selection, for the callers that ask one thing of it (a connection's use: integrador's
 * connection-use).
 */
export function tenantConexoesQuery(db: Kysely<Database>, empresaId: number) {
  return db
    .selectFrom('conexao_integracao as c')
    .where((eb) =>
      eb.or([
        eb('c.empresa_id', '=', empresaId),
        eb.and([
          eb('c.empresa_id', 'is', null),
          eb.exists(
            eb
              .selectFrom('integracao as i')
              .select('i.id')
              .where('i.empresa_id', '=', empresaId)
              .whereRef('i.conexao_integracao_id', '=', 'c.id'),
          ),
        ]),
      ]),
    );
}

/** The conexao_integracao rows an empresa's configuration may see (tenantConexoesQuery), by id. */
export function listTenantConexoes(db: Kysely<Database>, empresaId: number): Promise<ConexaoIntegracao[]> {
  return tenantConexoesQuery(db, empresaId).selectAll('c').orderBy('c.id').execute();
}

/** Each empresa's connections (tenantConexoesQuery's rule) and the integrações it reads, as the Conexões page lists them. */
export interface EmpresaConexoes {
  conexoes: ConexaoIntegracao[];
  integracoes: Integracao[];
}

/**
 * listTenantConexoes and listIntegracoes of several empresas (a dashboard viewer's), in two statements whatever their
 * number instead of two per empresa: each connection row is paired with the empresa whose configuration may see it
 * (its own, or a shared one an integracao of that empresa names), each integracao with its own empresa; `filialId`
 * reads the integrações as whereReadableBy does. Only the empresas asked for are read; one with no connection is absent.
 */
export async function listConexoesOfEmpresas(
  db: Kysely<Database>,
  empresaIds: readonly number[],
  filialId: number | null,
): Promise<Map<number, EmpresaConexoes>> {
  const byEmpresa = new Map<number, EmpresaConexoes>();
  if (empresaIds.length === 0) return byEmpresa;
  const ids = [...empresaIds];
  const [conexoes, integracoes] = await Promise.all([
    db
      .selectFrom(['empresas as e', 'conexao_integracao as c'])
      .where('e.id', 'in', ids)
      .where((eb) =>
        eb.or([
          eb('c.empresa_id', '=', eb.ref('e.id')),
          eb.and([
            eb('c.empresa_id', 'is', null),
            eb.exists(
              eb
                .selectFrom('integracao as i')
                .select('i.id')
                .whereRef('i.empresa_id', '=', 'e.id')
                .whereRef('i.conexao_integracao_id', '=', 'c.id'),
            ),
          ]),
        ]),
      )
      .selectAll('c')
      .select('e.id as para_empresa_id')
      .orderBy('e.id')
      .orderBy('c.id')
      .execute(),
    db
      .selectFrom('integracao')
      .selectAll()
      .where('empresa_id', 'in', ids)
      .where(whereReadableBy({ filialId }))
      .orderBy('empresa_id')
      .orderBy('ordem')
      .orderBy('id')
      .execute(),
  ]);
  for (const { para_empresa_id, ...conexao } of conexoes) {
    const empresaId = Number(para_empresa_id);
    const entry = byEmpresa.get(empresaId) ?? { conexoes: [], integracoes: [] };
    entry.conexoes.push(conexao);
    byEmpresa.set(empresaId, entry);
  }
  for (const integracao of integracoes) byEmpresa.get(Number(integracao.empresa_id))?.integracoes.push(integracao);
  return byEmpresa;
}

/** One conexao_integracao row by id, when the empresa's configuration may see it (tenantConexoesQuery); else undefined. */
export function findTenantConexao(db: Kysely<Database>, empresaId: number, id: number): Promise<ConexaoIntegracao | undefined> {
  return tenantConexoesQuery(db, empresaId).selectAll('c').where('c.id', '=', id).executeTakeFirst();
}

/**
 * Loads the configuration tables (integrations, fields, dependencies, rules, connections) of one empresa — bound to
 * it: its rows only, and of conexao_integracao its own and the shared ones it uses — or, with null, of every empresa.
 */
export async function loadConfiguration(db: Kysely<Database>, empresaId: number | null): Promise<IntegradorConfiguration> {
  let integracoesQuery = db.selectFrom('integracao').selectAll().orderBy('ordem').orderBy('id');
  if (empresaId !== null) integracoesQuery = integracoesQuery.where('empresa_id', '=', empresaId);
  const integracoes = await integracoesQuery.execute();
  const conexoes = () =>
    empresaId === null ? db.selectFrom('conexao_integracao').selectAll().orderBy('id').execute() : listTenantConexoes(db, empresaId);
  const ids = integracoes.map((row) => row.id);
  if (ids.length === 0) return { integracoes, campos: [], dependencias: [], regras: [], conexoes: await conexoes() };
  const [campos, dependencias, regras, conexaoRows] = await Promise.all([
    db.selectFrom('campos_integracao').selectAll().where('integracao_id', 'in', ids).orderBy('ordem').orderBy('id').execute(),
    db.selectFrom('dependencias').selectAll().where('integracao_id', 'in', ids).orderBy('id').execute(),
    db.selectFrom('regras').selectAll().where('integracao_id', 'in', ids).orderBy('ordem').orderBy('id').execute(),
    conexoes(),
  ]);
  return { integracoes, campos, dependencias, regras, conexoes: conexaoRows };
}
