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

/** One integracao of the tenant, or undefined when it does not exist or belongs to someone else. */
export async function findIntegracao(db: Kysely<Database>, tenant: Tenant, id: number): Promise<Integracao | undefined> {
  return tenantIntegracoes(db, tenant).where('id', '=', id).executeTakeFirst();
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
 * The conexao_integracao rows an empresa's configuration may see: its own, and the shared ones (empresa_id NULL) its
 * integracoes use. Another empresa's rows, and shared rows only other tenants use, are never read.
 */
function tenantConexoes(db: Kysely<Database>, empresaId: number) {
  return db
    .selectFrom('conexao_integracao as c')
    .selectAll('c')
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
    )
    .orderBy('c.id')
    .execute();
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
    empresaId === null ? db.selectFrom('conexao_integracao').selectAll().orderBy('id').execute() : tenantConexoes(db, empresaId);
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
