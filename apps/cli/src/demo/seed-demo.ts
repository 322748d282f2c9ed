import { brasiliaDateTime, runnability } from '@integrador/integrador';
import { type CrmDatabase, createEmpresa, createFilial, type Database, listIntegracoes } from '@integrador/store';
import { GATILHOS, type Gatilho, isConcluida, type Operacao, type WebhookTable } from '@integrador/webhooks';
import type { Insertable, Kysely } from 'kysely';
import { findEmpresaIdByDocumento, firstFilialId } from '../empresas.queries';
import type { DemoIntegration, DemoSummary } from '../messages';
import {
  DEMO_ATIVIDADES,
  DEMO_CIDADES,
  DEMO_CONTAS,
  DEMO_CONTATOS,
  DEMO_DOCUMENTO,
  DEMO_EMPRESA,
  DEMO_EVENTOS,
  DEMO_FILIAL,
  DEMO_OPORTUNIDADES,
  DEMO_USUARIOS,
} from './demo-data';
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

/** The demo's usuários with a ramal (the extensions its CTI calls ring), by ramal. */
export async function listDemoRamais(db: Kysely<Database>, empresaId: number): Promise<{ ramal: string; nome: string }[]> {
  const rows = await db
    .selectFrom('usuarios')
    .select(['ramal', 'nome'])
    .where('empresa_id', '=', empresaId)
    .where('ramal', 'is not', null)
    .where('ativo', '=', 1)
    .orderBy('ramal')
    .execute();
  return rows.map((row) => ({ ramal: String(row.ramal), nome: row.nome }));
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

/** Inserts the demo contatos; returns their ids by nome. */
async function insertContatos(
  db: Kysely<Database>,
  empresaId: number,
  filialId: number,
  contas: Map<string, number>,
): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  for (const { conta, ...contato } of DEMO_CONTATOS) {
    const values = { ...contato, empresa_id: empresaId, empresa_filial_id: filialId, conta_id: contas.get(conta) ?? null };
    ids.set(contato.nome, await insertReturningId(db, 'contatos', values));
  }
  return ids;
}

/** Inserts the demo usuarios (with their ramais); returns their ids by nome. */
async function insertUsuarios(db: Kysely<Database>, empresaId: number, filialId: number): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  for (const usuario of DEMO_USUARIOS)
    ids.set(usuario.nome, await insertReturningId(db, 'usuarios', { ...usuario, empresa_id: empresaId, empresa_filial_id: filialId }));
  return ids;
}

/** The ids of the demo's contas, contatos and usuarios by nome, which its oportunidades, atividades and eventos name. */
interface DemoOwners {
  contas: Map<string, number>;
  contatos: Map<string, number>;
  usuarios: Map<string, number>;
}

/** Inserts what the webhook gatilhos watch besides contatos: oportunidades, atividades and eventos of the demo's records. */
async function insertWebhookRecords(
  db: Kysely<Database>,
  dialect: CrmDatabase['dialect'],
  empresaId: number,
  filialId: number | null,
  owners: DemoOwners,
): Promise<void> {
  const tenant = { empresa_id: empresaId, empresa_filial_id: filialId };
  const at = (wallClock: string) => brasiliaDateTime(wallClock, dialect);
  for (const { conta, usuario, dados, ...oportunidade } of DEMO_OPORTUNIDADES)
    await db
      .insertInto('oportunidades')
      .values({
        ...oportunidade,
        ...tenant,
        conta_id: owners.contas.get(conta) ?? null,
        usuario_id: owners.usuarios.get(usuario) ?? null,
        dados: JSON.stringify(dados),
      })
      .execute();
  for (const { conta, contato, usuario, inicio, fim, ...atividade } of DEMO_ATIVIDADES)
    await db
      .insertInto('atividades')
      .values({
        ...atividade,
        ...tenant,
        conta_id: owners.contas.get(conta) ?? null,
        contato_id: owners.contatos.get(contato) ?? null,
        usuario_id: owners.usuarios.get(usuario) ?? null,
        inicio: at(inicio),
        fim: at(fim),
      })
      .execute();
  for (const { conta, contato, data, dataVencimento, ...evento } of DEMO_EVENTOS)
    await db
      .insertInto('eventos')
      .values({
        ...evento,
        ...tenant,
        conta_id: owners.contas.get(conta) ?? null,
        contato_id: owners.contatos.get(contato) ?? null,
        cod_contato: DEMO_CONTATOS.find((c) => c.nome === contato)?.codigo ?? null,
        data: at(data),
        data_vencimento: at(dataVencimento),
      })
      .execute();
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
async function insertDemoTenant(db: Kysely<Database>, dialect: CrmDatabase['dialect']): Promise<DemoTenant> {
  const empresaId = await createEmpresa(db, DEMO_EMPRESA, DEMO_DOCUMENTO);
  const filialId = await createFilial(db, empresaId, DEMO_FILIAL);
  const cidades = await insertCidades(db, empresaId);
  const contas = await insertContas(db, empresaId, filialId, cidades);
  const contatos = await insertContatos(db, empresaId, filialId, contas);
  const usuarios = await insertUsuarios(db, empresaId, filialId);
  await insertWebhookRecords(db, dialect, empresaId, filialId, { contas, contatos, usuarios });
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
    oportunidades: DEMO_OPORTUNIDADES.length,
    atividades: DEMO_ATIVIDADES.length,
    eventos: DEMO_EVENTOS.length,
    integracoes: integracoes.size,
  };
  return { empresaId, filialId, created: true, counts };
}

/** The ids by nome of the empresa's rows of a table (a demo tenant seeded before, read back). */
async function idsByNome(db: Kysely<Database>, table: 'contas' | 'contatos' | 'usuarios', empresaId: number): Promise<Map<string, number>> {
  const rows = await db.selectFrom(table).select(['id', 'nome']).where('empresa_id', '=', empresaId).orderBy('id').execute();
  const ids = new Map<string, number>();
  for (const row of rows) if (!ids.has(row.nome)) ids.set(row.nome, Number(row.id));
  return ids;
}

/**
 * A demo tenant seeded before its oportunidades, atividades and eventos existed gets them on a run that finds none of
 * the three (so its webhook gatilhos can be tried too); one that has any keeps its data as it is. Returns whether it
 * added them. The check is made in the inserting transaction, after locking the empresa row (SQLite's transaction
 * holds the write lock from its BEGIN IMMEDIATE), so two runs at once add them once.
 */
async function addMissingWebhookRecords(database: CrmDatabase, empresaId: number, filialId: number | null): Promise<boolean> {
  return database.db.transaction().execute(async (trx) => {
    if (database.dialect !== 'sqlite')
      await trx.selectFrom('empresas').select('id').where('id', '=', empresaId).forUpdate().executeTakeFirst();
    for (const table of ['oportunidades', 'atividades', 'eventos'] as const) {
      const row = await trx.selectFrom(table).select('id').where('empresa_id', '=', empresaId).limit(1).executeTakeFirst();
      if (row) return false;
    }
    const owners = {
      contas: await idsByNome(trx, 'contas', empresaId),
      contatos: await idsByNome(trx, 'contatos', empresaId),
      usuarios: await idsByNome(trx, 'usuarios', empresaId),
    };
    await insertWebhookRecords(trx, database.dialect, empresaId, filialId, owners);
    return true;
  });
}

/**
 * Creates the demo tenant in one transaction, or finds the one created before (by its documento): running it again
 * adds nothing (but the oportunidades, atividades and eventos a tenant seeded before them lacks).
 */
export async function seedDemoTenant(database: CrmDatabase): Promise<DemoTenant> {
  const { db } = database;
  const existing = await findEmpresaIdByDocumento(db, DEMO_DOCUMENTO);
  if (existing !== null) {
    const filialId = await firstFilialId(db, existing);
    const added = await addMissingWebhookRecords(database, existing, filialId);
    const counts = {
      filiais: 0,
      cidades: 0,
      contas: 0,
      contatos: 0,
      usuarios: 0,
      oportunidades: added ? DEMO_OPORTUNIDADES.length : 0,
      atividades: added ? DEMO_ATIVIDADES.length : 0,
      eventos: added ? DEMO_EVENTOS.length : 0,
      integracoes: 0,
    };
    return { empresaId: existing, filialId, created: false, counts };
  }
  return db.transaction().execute((trx) => insertDemoTenant(trx, database.dialect));
}

/** One way to fire a gatilho with the demo's records: POST /v1/events/crm-change with this tabela, id and operacao. */
export interface DemoGatilhoExample {
  gatilho: Gatilho;
  tabela: WebhookTable;
  id: number;
  operacao: Operacao;
}

/** The empresa's first row of a table, or null. */
async function firstRowId(db: Kysely<Database>, table: WebhookTable, empresaId: number): Promise<number | null> {
  const row = await db.selectFrom(table).select('id').where('empresa_id', '=', empresaId).orderBy('id').executeTakeFirst();
  return row ? Number(row.id) : null;
}

/** The empresa's first atividade still open and its first concluded one (by the engine's rule), or null. */
async function firstAtividades(db: Kysely<Database>, empresaId: number): Promise<{ aberta: number | null; concluida: number | null }> {
  const rows = await db.selectFrom('atividades').select(['id', 'status']).where('empresa_id', '=', empresaId).orderBy('id').execute();
  const first = (concluded: boolean) => rows.find((row) => isConcluida(row.status) === concluded);
  const id = (row: { id: unknown } | undefined) => (row ? Number(row.id) : null);
  return { aberta: id(first(false)), concluida: id(first(true)) };
}

/**
 * A crm-change call per gatilho of seed 004 on the demo tenant's records, read back (a reused tenant's too): the
 * first contato, oportunidade and evento, the first atividade still open (criada) and the first concluded one
 * (concluida: its status_alterado fires it). A gatilho whose row is gone (deleted since) is left out.
 */
export async function demoGatilhoExamples(db: Kysely<Database>, empresaId: number): Promise<DemoGatilhoExample[]> {
  const contato = await firstRowId(db, 'contatos', empresaId);
  const oportunidade = await firstRowId(db, 'oportunidades', empresaId);
  const { aberta, concluida } = await firstAtividades(db, empresaId);
  const evento = await firstRowId(db, 'eventos', empresaId);
  const examples: Record<Gatilho, [WebhookTable, number | null, Operacao]> = {
    'contato.criado': ['contatos', contato, 'criado'],
    'contato.alterado': ['contatos', contato, 'alterado'],
    'oportunidade.criada': ['oportunidades', oportunidade, 'criado'],
    'oportunidade.status_alterado': ['oportunidades', oportunidade, 'status_alterado'],
    'atividade.criada': ['atividades', aberta, 'criado'],
    'atividade.concluida': ['atividades', concluida, 'status_alterado'],
    'evento.criado': ['eventos', evento, 'criado'],
  };
  return GATILHOS.flatMap((gatilho) => {
    const [tabela, id, operacao] = examples[gatilho];
    return id === null ? [] : [{ gatilho, tabela, id, operacao }];
  });
}
