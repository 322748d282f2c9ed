import { type Kysely, sql, type Transaction } from 'kysely';
import type { CrmDatabase } from './create-database';
import { assertChangeableBy, type FilialCaller, whereReadableBy } from './filial-scope';
import type { Database } from './schema';

/** Seed 003's authentication choices. */
export type AutenticacaoEndpoint = 'basic' | 'bearer' | 'nenhuma';
/** Seed 003's event types: a contato structure or an evento of an existing contato. */
export type TipoEventoEndpoint = 'contato' | 'evento';
/** A service's (and an event type's) state: never run, last run fine, last run failed. */
export type StatusEndpoint = 'nunca_executado' | 'ok' | 'falha';

/** Why a service is in its status: a message code and its parameters, rendered in the reader's language. */
export interface StatusMotivo {
  code: string;
  params: Record<string, string | number>;
}

export interface ServicoEndpointEvento {
  id: number;
  tipo: TipoEventoEndpoint;
  url: string;
  status: StatusEndpoint;
  /** The report of the last run of this event type (counts and the first errors). */
  ultimoRelatorio: unknown;
  ultimaExecucaoEm: string | null;
}

export interface ServicoEndpoint {
  id: number;
  empresaId: number;
  /** The filial whose key created it; null = the whole empresa (see filial-scope.ts for who may change it). */
  filialId: number | null;
  nome: string;
  urlBase: string;
  autenticacao: AutenticacaoEndpoint;
  usuario: string | null;
  /** A ${NOME} reference; the worker resolves it (never the secret itself). */
  segredoRef: string | null;
  permitirRedePrivada: boolean;
  ativo: boolean;
  /** When worker-get syncs it on its own (a cron in SCHEDULE_TIMEZONE); null = only on demand. */
  cron: string | null;
  status: StatusEndpoint;
  statusMotivo: StatusMotivo | null;
  ultimaExecucaoEm: string | null;
  criadoEm: string;
  atualizadoEm: string;
  eventos: ServicoEndpointEvento[];
}

/** What a tenant sets on a service (create and full update). */
export interface ServicoEndpointInput {
  nome: string;
  urlBase: string;
  autenticacao: AutenticacaoEndpoint;
  usuario: string | null;
  segredoRef: string | null;
  ativo: boolean;
  /** Absent on create = none; absent on update = unchanged. */
  cron?: string | null;
  eventos: { tipo: TipoEventoEndpoint; url: string }[];
}

/** The empresa already has as many services as its contract allows. */
export class ServiceQuotaExceededError extends Error {
  override name = 'ServiceQuotaExceededError';
  constructor(
    readonly empresaId: number,
    readonly limit: number,
  ) {
    super(`empresa #${empresaId} already has ${limit} JSON endpoint services, the limit of its contract`);
  }
}

/** Another service of the empresa has this name. */
export class ServiceNameTakenError extends Error {
  override name = 'ServiceNameTakenError';
  constructor(readonly nome: string) {
    super(`a JSON endpoint service named "${nome}" already exists`);
  }
}

type Db = Kysely<Database> | Transaction<Database>;

const iso = (value: Date | string | null | undefined): string | null => {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  // SQLite keeps CURRENT_TIMESTAMP as "YYYY-MM-DD hh:mm:ss" (UTC).
  return /^\d{4}-\d{2}-\d{2} \d/.test(value) ? `${value.replace(' ', 'T')}Z` : value;
};

function parseJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** The services a caller reads (its empresa's; a filial caller: its filial's and the empresa-wide ones) with their event types, by id. */
export async function listServicosEndpoint(db: Db, caller: FilialCaller, id?: number): Promise<ServicoEndpoint[]> {
  const { empresaId } = caller;
  let query = db.selectFrom('servicos_endpoint').selectAll().where('empresa_id', '=', empresaId).where(whereReadableBy(caller));
  if (id !== undefined) query = query.where('id', '=', id);
  const rows = await query.orderBy('id').execute();
  if (!rows.length) return [];
  const eventos = await db
    .selectFrom('servicos_endpoint_eventos')
    .selectAll()
    .where('empresa_id', '=', empresaId)
    .where(
      'servico_id',
      'in',
      rows.map((r) => r.id),
    )
    .orderBy('tipo')
    .execute();
  return rows.map((row) => ({
    id: Number(row.id),
    empresaId: Number(row.empresa_id),
    filialId: row.empresa_filial_id === null ? null : Number(row.empresa_filial_id),
    nome: row.nome,
    urlBase: row.url_base,
    autenticacao: row.autenticacao as AutenticacaoEndpoint,
    usuario: row.usuario,
    segredoRef: row.segredo_ref,
    permitirRedePrivada: Number(row.permitir_rede_privada) === 1,
    ativo: Number(row.ativo) === 1,
    cron: row.cron ?? null,
    status: row.status as StatusEndpoint,
    statusMotivo: parseJson(row.status_motivo) as StatusMotivo | null,
    ultimaExecucaoEm: iso(row.ultima_execucao_em),
    criadoEm: iso(row.criado_em) ?? '',
    atualizadoEm: iso(row.atualizado_em) ?? '',
    eventos: eventos
      .filter((e) => Number(e.servico_id) === Number(row.id))
      .map((e) => ({
        id: Number(e.id),
        tipo: e.tipo as TipoEventoEndpoint,
        url: e.url,
        status: e.status as StatusEndpoint,
        ultimoRelatorio: parseJson(e.ultimo_relatorio),
        ultimaExecucaoEm: iso(e.ultima_execucao_em),
      })),
  }));
}

/** One service the caller reads, or undefined (another empresa's, or another filial's, is not found either). */
export async function findServicoEndpoint(db: Db, caller: FilialCaller, id: number): Promise<ServicoEndpoint | undefined> {
  return (await listServicosEndpoint(db, caller, id))[0];
}

/** The empresa's contract limit of services (undefined when the empresa does not exist). */
export async function serviceLimitOf(db: Db, empresaId: number): Promise<number | undefined> {
  const row = await db.selectFrom('empresas').select('limite_servicos_endpoint').where('id', '=', empresaId).executeTakeFirst();
  return row ? Number(row.limite_servicos_endpoint) : undefined;
}

/** Sets the empresa's contract limit of services; false when the empresa does not exist. */
export async function setServiceLimit(db: Db, empresaId: number, limit: number): Promise<boolean> {
  const result = await db.updateTable('empresas').set({ limite_servicos_endpoint: limit }).where('id', '=', empresaId).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/**
 * Creates a service within the empresa's contract limit (the limit and the names are the empresa's, whatever the
 * filial), owned by the caller's filial (null for an empresa-wide caller). The empresa row is locked (PostgreSQL,
 * MySQL) so two concurrent creates cannot both take the last place; SQLite serialises writers anyway.
 */
export async function createServicoEndpoint(
  { db, dialect }: Pick<CrmDatabase, 'db' | 'dialect'>,
  caller: FilialCaller,
  input: ServicoEndpointInput,
): Promise<ServicoEndpoint> {
  const { empresaId } = caller;
  const id = await db.transaction().execute(async (trx) => {
    let limitQuery = trx.selectFrom('empresas').select('limite_servicos_endpoint').where('id', '=', empresaId);
    if (dialect !== 'sqlite') limitQuery = limitQuery.forUpdate();
    const limitRow = await limitQuery.executeTakeFirst();
    const limit = Number(limitRow?.limite_servicos_endpoint ?? 0);
    const { count } = await trx
      .selectFrom('servicos_endpoint')
      .select((eb) => eb.fn.countAll<number | string>().as('count'))
      .where('empresa_id', '=', empresaId)
      .executeTakeFirstOrThrow();
    if (Number(count) >= limit) throw new ServiceQuotaExceededError(empresaId, limit);
    await assertNameFree(trx, empresaId, input.nome, null);
    const values = { empresa_id: empresaId, empresa_filial_id: caller.filialId, ...serviceColumns(input) };
    const query = trx.insertInto('servicos_endpoint').values(values);
    const created = trx.getExecutor().adapter.supportsReturning
      ? Number((await query.returning('id').executeTakeFirstOrThrow()).id)
      : Number((await query.executeTakeFirstOrThrow()).insertId);
    await replaceEventos(trx, empresaId, created, input.eventos);
    return created;
  });
  return (await findServicoEndpoint(db, caller, id)) as ServicoEndpoint;
}

/**
 * Replaces a service's settings and event types; an event type whose URL changed starts over as nunca_executado.
 * Undefined when the caller cannot read the service; FilialScopeError when it reads but may not change it.
 */
export async function updateServicoEndpoint(
  db: Kysely<Database>,
  caller: FilialCaller,
  id: number,
  input: ServicoEndpointInput,
): Promise<ServicoEndpoint | undefined> {
  const { empresaId } = caller;
  const found = await db.transaction().execute(async (trx) => {
    const existing = await changeableService(trx, caller, id);
    if (!existing) return false;
    await assertNameFree(trx, empresaId, input.nome, id);
    const eventos = await trx.selectFrom('servicos_endpoint_eventos').select(['tipo', 'url']).where('servico_id', '=', id).execute();
    // An operator allowed private addresses for the URLs they saw: any other URL needs their decision again.
    const moved = urlsOf(existing.url_base, eventos) !== urlsOf(input.urlBase, input.eventos);
    await trx
      .updateTable('servicos_endpoint')
      .set({
        ...serviceColumns(input),
        ...(moved ? { permitir_rede_privada: 0 } : {}),
        atualizado_em: sql<string>`CURRENT_TIMESTAMP`,
      })
      .where('id', '=', id)
      .execute();
    await replaceEventos(trx, empresaId, id, input.eventos);
    return true;
  });
  return found ? findServicoEndpoint(db, caller, id) : undefined;
}

/** Deletes a service and its event types; false when the caller cannot read it, FilialScopeError when it may not change it. */
export async function deleteServicoEndpoint(db: Kysely<Database>, caller: FilialCaller, id: number): Promise<boolean> {
  const { empresaId } = caller;
  return db.transaction().execute(async (trx) => {
    if (!(await changeableService(trx, caller, id))) return false;
    const result = await trx.deleteFrom('servicos_endpoint').where('empresa_id', '=', empresaId).where('id', '=', id).executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) return false;
    await trx.deleteFrom('servicos_endpoint_eventos').where('empresa_id', '=', empresaId).where('servico_id', '=', id).execute();
    return true;
  });
}

/** Lets (or stops) a service reach loopback / private addresses: an operator's decision, never the tenant's. */
export async function setPermitirRedePrivada(db: Db, empresaId: number, id: number, allowed: boolean): Promise<boolean> {
  const result = await db
    .updateTable('servicos_endpoint')
    .set({ permitir_rede_privada: allowed ? 1 : 0 })
    .where('empresa_id', '=', empresaId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Records the outcome of a run: the service's status and reason, and each event type's status and report. */
export async function recordServicoRun(
  db: Kysely<Database>,
  empresaId: number,
  id: number,
  outcome: {
    status: StatusEndpoint;
    motivo: StatusMotivo | null;
    eventos: { tipo: TipoEventoEndpoint; status: StatusEndpoint; relatorio: unknown }[];
  },
): Promise<void> {
  const at = sql<string>`CURRENT_TIMESTAMP`;
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('servicos_endpoint')
      .set({ status: outcome.status, status_motivo: outcome.motivo ? JSON.stringify(outcome.motivo) : null, ultima_execucao_em: at })
      .where('empresa_id', '=', empresaId)
      .where('id', '=', id)
      .execute();
    for (const evento of outcome.eventos) {
      await trx
        .updateTable('servicos_endpoint_eventos')
        .set({ status: evento.status, ultimo_relatorio: JSON.stringify(evento.relatorio), ultima_execucao_em: at })
        .where('empresa_id', '=', empresaId)
        .where('servico_id', '=', id)
        .where('tipo', '=', evento.tipo)
        .execute();
    }
  });
}

/** The service row the caller may change; undefined when it cannot read it, FilialScopeError when it only reads it. */
async function changeableService(trx: Db, caller: FilialCaller, id: number) {
  const existing = await trx
    .selectFrom('servicos_endpoint')
    .select(['id', 'url_base', 'empresa_filial_id'])
    .where('empresa_id', '=', caller.empresaId)
    .where('id', '=', id)
    .where(whereReadableBy(caller))
    .executeTakeFirst();
  if (existing) assertChangeableBy(caller, existing.empresa_filial_id, `JSON endpoint service #${id}`);
  return existing;
}

/** Every URL a service may call, in a comparable form. */
function urlsOf(urlBase: string, eventos: readonly { tipo: string; url: string }[]): string {
  return JSON.stringify([urlBase, ...eventos.map((e) => `${e.tipo} ${e.url}`).sort()]);
}

function serviceColumns(input: ServicoEndpointInput) {
  return {
    nome: input.nome,
    url_base: input.urlBase,
    autenticacao: input.autenticacao,
    usuario: input.usuario,
    segredo_ref: input.segredoRef,
    ativo: input.ativo ? 1 : 0,
    ...(input.cron !== undefined ? { cron: input.cron } : {}),
  };
}

/** A service the schedule reconciler keeps a scheduler for: active, with a cron. */
export interface ScheduledServico {
  id: number;
  empresaId: number;
  nome: string;
  cron: string;
}

/** Every active service with a non-blank cron, of every empresa (worker-get's schedule reconciler). */
export async function listScheduledServicos(db: Db): Promise<ScheduledServico[]> {
  const rows = await db
    .selectFrom('servicos_endpoint')
    .select(['id', 'empresa_id', 'nome', 'cron'])
    .where('ativo', '=', 1)
    .where('cron', 'is not', null)
    .orderBy('empresa_id')
    .orderBy('id')
    .execute();
  return rows
    .map((r) => ({ id: Number(r.id), empresaId: Number(r.empresa_id), nome: r.nome, cron: (r.cron ?? '').trim().replace(/\s+/g, ' ') }))
    .filter((r) => r.cron !== '');
}

async function assertNameFree(trx: Db, empresaId: number, nome: string, exceptId: number | null): Promise<void> {
  let query = trx.selectFrom('servicos_endpoint').select('id').where('empresa_id', '=', empresaId).where('nome', '=', nome);
  if (exceptId !== null) query = query.where('id', '<>', exceptId);
  if (await query.executeTakeFirst()) throw new ServiceNameTakenError(nome);
}

async function replaceEventos(trx: Db, empresaId: number, servicoId: number, eventos: ServicoEndpointInput['eventos']): Promise<void> {
  const existing = await trx
    .selectFrom('servicos_endpoint_eventos')
    .select(['id', 'tipo', 'url'])
    .where('servico_id', '=', servicoId)
    .execute();
  const wanted = new Map(eventos.map((e) => [e.tipo, e.url]));
  for (const row of existing) {
    const url = wanted.get(row.tipo as TipoEventoEndpoint);
    if (url === undefined) await trx.deleteFrom('servicos_endpoint_eventos').where('id', '=', row.id).execute();
    else if (url !== row.url) {
      await trx
        .updateTable('servicos_endpoint_eventos')
        .set({ url, status: 'nunca_executado', ultimo_relatorio: null, ultima_execucao_em: null })
        .where('id', '=', row.id)
        .execute();
    }
  }
  const known = new Set(existing.map((row) => row.tipo));
  const added = eventos
    .filter((e) => !known.has(e.tipo))
    .map((e) => ({ servico_id: servicoId, empresa_id: empresaId, tipo: e.tipo, url: e.url }));
  if (added.length) await trx.insertInto('servicos_endpoint_eventos').values(added).execute();
}
