import { runnability } from '@integrador/integrador';
import { createEmpresa, createFilial, type Database, listIntegracoes } from '@integrador/store';
import type { Insertable, Kysely } from 'kysely';
import { findEmpresaIdByDocumento, firstFilialId } from '../empresas.queries';
import type { DemoIntegration, DemoSummary } from '../messages';
import { DEMO_CIDADES, DEMO_CONTAS, DEMO_CONTATOS, DEMO_DOCUMENTO, DEMO_EMPRESA, DEMO_FILIAL, DEMO_USUARIOS } from './demo-data';
import { DEMO_CONEXOES, type DemoConexao, type DemoIntegracao, demoIntegracoes } from './demo-integracoes';

export interface DemoTenant extends DemoSummary {
  filialId: number | null;
}

/** The empresa's integrations by id (what preview/run take), for seed-demo's listing. */
export async function listDemoIntegrations(db: Kysely<Database>, empresaId: number): Promise<DemoIntegration[]> {
  // The whole empresa (no filial), as the demo's key sees it.
  const rows = await listIntegracoes(db, { empresaId, filialId: null, nome: DEMO_EMPRESA });
  return rows
    .map((row) => {
      const { active, componente } = runnability(row);
      return { id: Number(row.id), nome: row.nome, tipoServico: row.tipo_servico, componente, ativa: active };
    })
    .sort((a, b) => a.id - b.id);
}

/** The empresa's first conta (the demo's try-it line pushes it), or null when it has none. */
export async function firstContaId(db: Kysely<Database>, empresaId: number): Promise<number | null> {
  const row = await db.selectFrom('contas').select('id').where('empresa_id', '=', empresaId).orderBy('id').executeTakeFirst();
  return row ? Number(row.id) : null;
}

/** INSERT returning the new id on every dialect: RETURNING where the adapter has it, insertId on MySQL. */
async function insertReturningId<T extends keyof Database>(
  db: Kysely<Database>,
  table: T,
  values: Insertable<Database[T]>,
): Promise<number> {
  const query = db.insertInto(table).values(values as never);
  if (db.getExecutor().adapter.supportsReturning) {
    const row = await query.returning('id' as never).executeTakeFirstOrThrow();
    return Number((row as { id: unknown }).id);
  }
  const result = await query.executeTakeFirstOrThrow();
  return Number(result.insertId);
}

/** Inserts the demo cidades; returns their ids by nome. */
async function insertCidades(db: Kysely<Database>, empresaId: number): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  for (const cidade of DEMO_CIDADES) ids.set(cidade.nome, await insertReturningId(db, 'cidades', { ...cidade, empresa_id: empresaId }));
  return ids;
}

/** Inserts the demo contas (active customers); returns their ids by nome. */
async function insertContas(
  db: Kysely<Database>,
  empresaId: number,
  filialId: number,
  cidades: Map<string, number>,
): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  for (const { cidade, ...conta } of DEMO_CONTAS) {
    const values = { ...conta, empresa_id: empresaId, empresa_filial_id: filialId, cidade_id: cidades.get(cidade) ?? null };
    ids.set(conta.nome, await insertReturningId(db, 'contas', { ...values, tipo_conta: 'cliente', status: 'A' }));
  }
  return ids;
}

async function insertContatos(db: Kysely<Database>, empresaId: number, filialId: number, contas: Map<string, number>): Promise<void> {
  for (const { conta, ...contato } of DEMO_CONTATOS)
    await db
      .insertInto('contatos')
      .values({ ...contato, empresa_id: empresaId, empresa_filial_id: filialId, conta_id: contas.get(conta) ?? null })
      .execute();
}

async function insertUsuarios(db: Kysely<Database>, empresaId: number, filialId: number): Promise<void> {
  const rows = DEMO_USUARIOS.map((usuario) => ({ ...usuario, empresa_id: empresaId, empresa_filial_id: filialId }));
  await db.insertInto('usuarios').values(rows).execute();
}

/** Inserts the demo's conexao_integracao rows (owned by the demo empresa); returns their ids. */
async function insertConexoes(db: Kysely<Database>, empresaId: number): Promise<Record<DemoConexao, number>> {
  return {
    senior_g5: await insertReturningId(db, 'conexao_integracao', { ...DEMO_CONEXOES.senior_g5, empresa_id: empresaId }),
    erp_db: await insertReturningId(db, 'conexao_integracao', { ...DEMO_CONEXOES.erp_db, empresa_id: empresaId }),
  };
}

/** Inserts one integracao with its campos_integracao row, dependencias and regras; returns its id. */
async function insertIntegracao(
  db: Kysely<Database>,
  empresaId: number,
  demo: DemoIntegracao,
  ids: { conexoes: Record<DemoConexao, number>; integracoes: Map<string, number> },
): Promise<number> {
  const integracaoId = await insertReturningId(db, 'integracao', {
    ...demo.integracao,
    empresa_id: empresaId,
    conexao_integracao_id: demo.conexao === null ? null : ids.conexoes[demo.conexao],
  });
  const campoId = demo.campoCrm
    ? await insertReturningId(db, 'campos_integracao', { integracao_id: integracaoId, campo_crm: JSON.stringify(demo.campoCrm) })
    : null;
  const owner = { integracao_id: integracaoId, campos_integracao_id: campoId };
  for (const dependencia of demo.dependencias ?? [])
    await db
      .insertInto('dependencias')
      .values({ ...dependencia, ...owner })
      .execute();
  for (const regra of demo.regras ?? [])
    await db
      .insertInto('regras')
      .values({ ...regra, ...owner })
      .execute();
  return integracaoId;
}

/** Inserts the whole demo tenant: empresa, filial, CRM records and Integrador configuration. */
async function insertDemoTenant(db: Kysely<Database>): Promise<DemoTenant> {
  const empresaId = await createEmpresa(db, DEMO_EMPRESA, DEMO_DOCUMENTO);
  const filialId = await createFilial(db, empresaId, DEMO_FILIAL);
  const cidades = await insertCidades(db, empresaId);
  const contas = await insertContas(db, empresaId, filialId, cidades);
  await insertContatos(db, empresaId, filialId, contas);
  await insertUsuarios(db, empresaId, filialId);
  const conexoes = await insertConexoes(db, empresaId);
  const integracoes = new Map<string, number>();
  for (const demo of demoIntegracoes())
    integracoes.set(demo.integracao.nome, await insertIntegracao(db, empresaId, demo, { conexoes, integracoes }));
  const counts = {
    filiais: 1,
    cidades: cidades.size,
    contas: contas.size,
    contatos: DEMO_CONTATOS.length,
    usuarios: DEMO_USUARIOS.length,
    integracoes: integracoes.size,
  };
  return { empresaId, filialId, created: true, counts };
}

/**
 * Creates the demo tenant in one transaction, or finds the one created before (by its documento):
 * running it again adds nothing.
 */
export async function seedDemoTenant(db: Kysely<Database>): Promise<DemoTenant> {
  const existing = await findEmpresaIdByDocumento(db, DEMO_DOCUMENTO);
  if (existing !== null) {
    const counts = { filiais: 0, cidades: 0, contas: 0, contatos: 0, usuarios: 0, integracoes: 0 };
    return { empresaId: existing, filialId: await firstFilialId(db, existing), created: false, counts };
  }
  return db.transaction().execute((trx) => insertDemoTenant(trx));
}
