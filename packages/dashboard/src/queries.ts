import { controlCharacterParameter } from '@integrador/integrador';
import { isQueueName, type QueueName, type TenantRef } from '@integrador/jobs';
import { failureCodesMatching, type JobProducer, notWrittenBackNote } from '@integrador/queue';
import {
  type CrmDatabase,
  changeableBy,
  countByHour,
  countByState,
  type EstadoRegistroJob,
  findIntegracao,
  findJobRecord,
  type JobFilter,
  listExecucoesOfJob,
  listFiliais,
  listIntegracoes,
  listTentativas,
  MAX_ROW_ID,
  type RegistroJob,
  recordParameters,
  returnKeysOf,
  sendAttemptsOfJobs,
  whereReadableBy,
} from '@integrador/store';
import type { Job } from 'bullmq';
import { seesTenant, type Viewer } from './access';
import { jobActionsFor } from './actions';
import { type FieldExpectation, type FieldRefusalCode, FieldRefusedError } from './field-refusal';
import { messages } from './i18n';
import { FAILURE_CODE_PATTERN, FILTER_ESTADOS, FILTER_TEXT_MAX_LENGTH, filterDate } from './job-filter';
import { maskMessage, maskRecord, maskUrl, maskUrlsIn } from './mask';
import { hourChart, type JobDetail, type OverviewData, type Tally } from './views/pages';

const HOUR = 3600_000;
const emptyTally = (): Tally => ({ runs: 0, concluido: 0, falhou: 0, aguardando_retentativa: 0, adiado: 0, bloqueado: 0, ativo: 0 });

function add(tally: Tally, estado: string, n: number): void {
  tally.runs += n;
  if (estado in tally) tally[estado as keyof Tally] += n;
}

/** Counts over the last hour for the viewer's tenants (the overview's cards and the live endpoint). */
export async function lastHourCounts(database: CrmDatabase, viewer: Viewer): Promise<Tally> {
  const tally = emptyTally();
  for (const row of await countByState(database.db, viewer.scope, new Date(Date.now() - HOUR), viewer.filialId))
    add(tally, row.estado, row.n);
  return tally;
}

/** Everything the overview shows: totals, per tenant (with a 24-hour chart), per integration. */
export async function overviewData(database: CrmDatabase, viewer: Viewer): Promise<OverviewData> {
  const now = Date.now();
  const dayRows = await countByState(database.db, viewer.scope, new Date(now - 24 * HOUR), viewer.filialId);
  const hour = await lastHourCounts(database, viewer);
  const day = emptyTally();
  const perTenant = new Map<number, Tally>();
  const perIntegration = new Map<string, { empresaId: number; integracaoId: number | null; day: Tally }>();
  for (const row of dayRows) {
    add(day, row.estado, row.n);
    const t = perTenant.get(row.empresaId) ?? emptyTally();
    add(t, row.estado, row.n);
    perTenant.set(row.empresaId, t);
    const key = `${row.empresaId}/${row.integracaoId ?? '-'}`;
    const i = perIntegration.get(key) ?? { empresaId: row.empresaId, integracaoId: row.integracaoId, day: emptyTally() };
    add(i.day, row.estado, row.n);
    perIntegration.set(key, i);
  }
  const ids = [...perTenant.keys()];
  const empresas = ids.length ? await database.db.selectFrom('empresas').select(['id', 'nome']).where('id', 'in', ids).execute() : [];
  const integracaoIds = [...perIntegration.values()].map((i) => i.integracaoId).filter((id): id is number => id !== null);
  // A record names an integration by id only: its name is shown when the integration is the record's tenant's.
  const integracoes =
    integracaoIds.length && ids.length
      ? await database.db
          .selectFrom('integracao')
          .select(['id', 'nome', 'empresa_id'])
          .where('id', 'in', integracaoIds)
          .where('empresa_id', 'in', ids)
          .execute()
      : [];
  const tenants = [];
  for (const [empresaId, tally] of perTenant) {
    const hours = await countByHour(database.db, viewer.scope, new Date(now - 24 * HOUR), empresaId, viewer.filialId);
    const buckets = Array.from({ length: 24 }, (_, i) => {
      // countByHour's hours are UTC 'YYYY-MM-DDTHH': matched as such, shown (hourChart) in the viewer's zone.
      const label = new Date(now - (23 - i) * HOUR).toISOString().slice(0, 13);
      const inHour = hours.filter((h) => h.hora.replace(' ', 'T').slice(0, 13) === label);
      return {
        at: new Date(`${label}:00:00Z`),
        ok: inHour.filter((h) => h.estado === 'concluido').reduce((s, h) => s + h.n, 0),
        failed: inHour.filter((h) => h.estado === 'falhou').reduce((s, h) => s + h.n, 0),
      };
    });
    tenants.push({
      empresaId,
      nome: empresas.find((e) => e.id === empresaId)?.nome ?? '?',
      hour: emptyTally(),
      day: tally,
      chart: hourChart(viewer, buckets),
    });
  }
  const integrations = [...perIntegration.values()].map((i) => ({
    ...i,
    nome:
      i.integracaoId === null
        ? `(${messages(viewer.locale).system})`
        : `${integracoes.find((x) => x.id === i.integracaoId && x.empresa_id === i.empresaId)?.nome ?? '?'} (#${i.integracaoId})`,
  }));
  // Most failures first (the morning check reads the top rows); ties by name.
  tenants.sort((a, b) => b.day.falhou - a.day.falhou || a.nome.localeCompare(b.nome));
  integrations.sort((a, b) => b.day.falhou - a.day.falhou || a.nome.localeCompare(b.nome));
  return { hour, day, tenants, integrations };
}

/**
 * The filter of the failures list from its query string, bound to the viewer's tenants. A non-empty value it cannot
 * apply throws FieldRefusedError naming `${where}<field>` (400): the bulk retry must never lose its filter.
 */
export function filterOf(viewer: Viewer, query: Record<string, string | undefined>, where = 'querystring.'): JobFilter {
  const refuse = (key: string, expected: FieldExpectation, code?: FieldRefusalCode): never => {
    throw new FieldRefusedError(`${where}${key}`, expected, code);
  };
  const num = (key: string) => {
    const v = query[key];
    if (!v) return undefined;
    // Ids are 32-bit columns: a larger number is refused here, not left to the database (a 500 on PostgreSQL).
    return /^\d{1,10}$/.test(v) && Number(v) <= MAX_ROW_ID ? Number(v) : refuse(key, 'integer');
  };
  const date = (key: string) => {
    const v = query[key];
    if (!v) return undefined;
    return filterDate(v, viewer.timeZone) ?? refuse(key, 'date');
  };
  // The engine's rule for a text a database is handed (a NUL is PostgreSQL's 22021, a 500), as /v1 refuses it.
  const text = (key: string) => {
    const v = query[key];
    if (!v) return undefined;
    if (controlCharacterParameter({ [key]: v }) !== undefined) refuse(key, 'searchText', 'CONTROL_CHARACTER');
    // Counted in characters (code points), as /v1's JSON Schema maxLength counts them: an emoji is one, not two.
    return [...v].length <= FILTER_TEXT_MAX_LENGTH ? v : refuse(key, 'searchText');
  };
  // Empty (as the form sends it) means the default: the failed ones.
  const estado = query.estado || 'falhou';
  if (!(FILTER_ESTADOS as readonly string[]).includes(estado)) refuse('estado', 'estado');
  const fila = query.fila || undefined;
  if (fila !== undefined && !isQueueName(fila)) refuse('fila', 'queue');
  const texto = text('q');
  // A group of repeated failures opened (groupedFailures): '-' stands for "none" (no integration, no code).
  const codigo = query.codigo || undefined;
  if (codigo !== undefined && !new RegExp(FAILURE_CODE_PATTERN).test(codigo)) refuse('codigo', 'code');
  return {
    scope: viewer.scope,
    filialId: viewer.filialId,
    empresaId: num('empresa'),
    empresaFilialId: num('filial'),
    integracaoId: query.integracao === '-' ? null : num('integracao'),
    codigo: codigo === '-' ? null : codigo,
    fila: fila as QueueName | undefined,
    estados: estado === 'todos' ? undefined : [estado as EstadoRegistroJob],
    desde: date('desde'),
    ate: date('ate'),
    texto,
    codigos: texto ? failureCodesMatching(viewer.locale, texto) : undefined,
  };
}

/**
 * The filter of a search or a bulk retry (filterOf), or undefined when it names an empresa the viewer does not see:
 * not found (404), as the calls and webhooks APIs answer it — never an empty list, nor a retry that did nothing (200).
 */
export function visibleFilterOf(viewer: Viewer, query: Record<string, string | undefined>, where?: string): JobFilter | undefined {
  const filter = filterOf(viewer, query, where);
  return filter.empresaId !== undefined && !seesTenant(viewer, filter.empresaId) ? undefined : filter;
}

/** How many rows a page of the failures list shows. */
export const PAGE_SIZE = 50;

/** The failures list's page (`offset`, a multiple of nothing in particular): 0 when absent; a non-number is refused (400). */
export function pageOffset(query: Record<string, string | undefined>): number {
  const v = query.offset;
  if (!v) return 0;
  if (!/^\d{1,9}$/.test(v)) throw new FieldRefusedError('querystring.offset', 'integer');
  return Number(v);
}

/**
 * The names a failures list shows beside its rows' ids: `empresa` by id, `integracao`, `contas` and `contatos` by
 * "empresa/id"; `entregas` holds the current status of the webhook deliveries the rows name ("empresa/entregaId"), so
 * a delivery recovered since its job failed shows as delivered; `filiais` the rows' filiais by "empresa/filialId".
 */
export interface RowNames {
  empresas: ReadonlyMap<number, string>;
  filiais?: ReadonlyMap<string, string>;
  integracoes: ReadonlyMap<string, string>;
  contas?: ReadonlyMap<string, string>;
  contatos?: ReadonlyMap<string, string>;
  entregas?: ReadonlyMap<string, string>;
  /** The SET rows' sends across their runs by "empresa/jobId" (attemptsText). */
  envios?: ReadonlyMap<string, number>;
}

/** The listed SET jobs' sends across their runs by "empresa/jobId", each tenant's read under its own empresa id. */
async function sendCounts(database: CrmDatabase, rows: readonly RegistroJob[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const set = rows.filter((r) => r.fila === 'set');
  for (const empresaId of new Set(set.map((r) => r.empresa_id))) {
    const jobIds = set.filter((r) => r.empresa_id === empresaId).map((r) => r.job_id);
    for (const [jobId, envios] of await sendAttemptsOfJobs(database.db, empresaId, jobIds)) counts.set(`${empresaId}/${jobId}`, envios);
  }
  return counts;
}

/** A key parameter's positive integer id (a payload's contaId may be a number or its text), else undefined. */
function idParameter(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : NaN;
  return Number.isInteger(n) && n > 0 && n <= MAX_ROW_ID ? n : undefined;
}

/** The (empresa, id) pairs of one key parameter over some rows, each once. */
export function idPairs(rows: ReadonlyArray<{ empresaId: number; params: Record<string, unknown> }>, field: string) {
  const pairs = new Map<string, { empresaId: number; id: number }>();
  for (const row of rows) {
    const id = idParameter(row.params[field]);
    if (id !== undefined) pairs.set(`${row.empresaId}/${id}`, { empresaId: row.empresaId, id });
  }
  return [...pairs.values()];
}

/**
 * The names of contas (or contatos) by "empresa/id", in one query for a whole page: each id read only within the
 * empresa its row belongs to (an id of another tenant's conta finds nothing) and, for a filial viewer, by the engine's
 * filial rule (whereReadableBy, as a run's tenant binding reads them): a sibling filial's conta stays an id.
 */
export async function customerNames(
  database: CrmDatabase,
  table: 'contas' | 'contatos',
  pairs: ReadonlyArray<{ empresaId: number; id: number }>,
  filialId: number | null,
): Promise<Map<string, string>> {
  if (!pairs.length) return new Map();
  const rows = await database.db
    .selectFrom(table)
    .select(['empresa_id', 'id', 'nome'])
    .where((eb) => eb.or(pairs.map((p) => eb.and([eb('empresa_id', '=', p.empresaId), eb('id', '=', p.id)]))))
    // The empresa is bound per pair above; whereReadableBy adds the filial half only.
    .where(whereReadableBy({ empresaId: 0, filialId }))
    .execute();
  return new Map(rows.map((r) => [`${r.empresa_id}/${r.id}`, r.nome]));
}

/** The names of usuarios by "empresa/id" (the agents of a page of calls), in one query, each bound to its row's empresa. */
export async function usuarioNames(
  database: CrmDatabase,
  pairs: ReadonlyArray<{ empresaId: number; id: number }>,
): Promise<Map<string, string>> {
  if (!pairs.length) return new Map();
  const rows = await database.db
    .selectFrom('usuarios')
    .select(['empresa_id', 'id', 'nome'])
    .where((eb) => eb.or(pairs.map((p) => eb.and([eb('empresa_id', '=', p.empresaId), eb('id', '=', p.id)]))))
    .execute();
  return new Map(rows.map((r) => [`${r.empresa_id}/${r.id}`, r.nome]));
}

/** The current status of webhook deliveries by "empresa/id", in one query, each bound to its row's empresa. */
async function deliveryStatuses(database: CrmDatabase, pairs: ReadonlyArray<{ empresaId: number; id: number }>) {
  if (!pairs.length) return new Map<string, string>();
  const rows = await database.db
    .selectFrom('webhook_entregas')
    .select(['empresa_id', 'id', 'status'])
    .where((eb) => eb.or(pairs.map((p) => eb.and([eb('empresa_id', '=', p.empresaId), eb('id', '=', p.id)]))))
    .execute();
  return new Map(rows.map((r) => [`${r.empresa_id}/${r.id}`, r.status]));
}

/**
 * The empresa and integration names of listed records, through the engine's tenant-bound lookup (listIntegracoes, as
 * the job detail's findIntegracao): an integration is named only when it is the record's own tenant's (for a filial
 * key, its filial's or the empresa-wide one); an id naming another tenant's integration stays an id.
 */
export async function rowNames(database: CrmDatabase, viewer: Viewer, rows: readonly RegistroJob[]): Promise<RowNames> {
  const empresaIds = [...new Set(rows.map((r) => r.empresa_id))];
  if (!empresaIds.length) return { empresas: new Map(), integracoes: new Map() };
  const empresas = await database.db.selectFrom('empresas').select(['id', 'nome']).where('id', 'in', empresaIds).execute();
  const integracoes = new Map<string, string>();
  for (const empresa of empresas) {
    if (!rows.some((r) => r.empresa_id === empresa.id && r.integracao_id !== null)) continue;
    for (const i of await listIntegracoes(database.db, { empresaId: empresa.id, filialId: viewer.filialId, nome: empresa.nome }))
      integracoes.set(`${empresa.id}/${i.id}`, i.nome);
  }
  const keyed = rows.map((r) => ({ empresaId: r.empresa_id, params: recordParameters(r.parametros).key }));
  const [contas, contatos, entregas, filiais, envios] = await Promise.all([
    customerNames(database, 'contas', idPairs(keyed, 'contaId'), viewer.filialId),
    customerNames(database, 'contatos', idPairs(keyed, 'contatoId'), viewer.filialId),
    deliveryStatuses(
      database,
      idPairs(
        keyed.filter((_, i) => rows[i]?.fila === 'webhook'),
        'entregaId',
      ),
    ),
    filialNames(database, viewer, rows),
    sendCounts(database, rows),
  ]);
  return { empresas: new Map(empresas.map((e) => [e.id, e.nome])), filiais, integracoes, contas, contatos, entregas, envios };
}

/**
 * The names of the listed records' filiais by "empresa/filialId": a filial is named only under its own empresa, and
 * only when the viewer may see it (listFiliais: a filial viewer its own one).
 */
async function filialNames(database: CrmDatabase, viewer: Viewer, rows: readonly RegistroJob[]): Promise<Map<string, string>> {
  const ids = [...new Set(rows.flatMap((r) => (r.empresa_filial_id === null ? [] : [r.empresa_filial_id])))];
  if (!ids.length) return new Map();
  const empresaIds = [...new Set(rows.map((r) => r.empresa_id))];
  const found = await listFiliais(database.db, { empresaIds, filialId: viewer.filialId }, ids);
  return new Map(found.map((f) => [`${f.empresaId}/${f.id}`, f.nome]));
}

/**
 * The records of some listed jobs (the bulk retry's confirmation), in one query bound to the viewer's tenants (and
 * filial): a ref of another tenant's job finds nothing.
 */
export async function recordsOf(
  database: CrmDatabase,
  viewer: Viewer,
  refs: ReadonlyArray<{ queue: string; id: string }>,
): Promise<RegistroJob[]> {
  if (!refs.length || (viewer.scope !== 'all' && !viewer.scope.length)) return [];
  let query = database.db
    .selectFrom('registro_jobs')
    .selectAll()
    .where((eb) => eb.or(refs.map((r) => eb.and([eb('fila', '=', r.queue), eb('job_id', '=', r.id)]))));
  if (viewer.scope !== 'all') query = query.where('empresa_id', 'in', [...viewer.scope]);
  query = query.where(whereReadableBy(viewer));
  return (await query.execute()) as RegistroJob[];
}

/** Records by id (a grouped list's newest runs), in one query bound to the viewer's tenants and filial. */
export async function recordsById(database: CrmDatabase, viewer: Viewer, ids: readonly number[]): Promise<Map<number, RegistroJob>> {
  if (!ids.length || (viewer.scope !== 'all' && !viewer.scope.length)) return new Map();
  let query = database.db
    .selectFrom('registro_jobs')
    .selectAll()
    .where('id', 'in', [...ids]);
  if (viewer.scope !== 'all') query = query.where('empresa_id', 'in', [...viewer.scope]);
  const rows = (await query.where(whereReadableBy(viewer)).execute()) as RegistroJob[];
  return new Map(rows.map((r) => [Number(r.id), r]));
}

function ownedBy(job: Job | undefined, record: RegistroJob): job is Job {
  return (job?.data as { tenant?: TenantRef } | undefined)?.tenant?.empresaId === record.empresa_id;
}

async function readJob(producer: JobProducer, queue: string, id: string): Promise<Job | undefined> {
  if (!isQueueName(queue)) return undefined;
  return producer.getJob(queue, id).catch(() => undefined);
}

/** A flow's steps around a job: its prerequisites (walking down) and the steps waiting on it (walking up). */
async function dependencyChain(producer: JobProducer, job: Job, record: RegistroJob, database: CrmDatabase, viewer: Viewer) {
  const chain: JobDetail['dependencies'] = [];
  let current: Job | undefined = job;
  for (let i = 0; i < 10 && current; i++) {
    const prereq = (current.data as { flow?: { prerequisite?: { queue: string; jobId: string; integracaoId: number } } }).flow
      ?.prerequisite;
    if (!prereq) break;
    const rec = await findJobRecord(database.db, viewer.scope, prereq.queue, prereq.jobId, viewer.filialId);
    chain.unshift({ queue: prereq.queue, jobId: prereq.jobId, integracaoId: prereq.integracaoId, estado: rec?.estado ?? null });
    current = await readJob(producer, prereq.queue, prereq.jobId);
    if (current && !ownedBy(current, record)) break;
  }
  chain.push({ queue: record.fila, jobId: record.job_id, integracaoId: record.integracao_id, estado: record.estado });
  current = job;
  for (let i = 0; i < 10 && current?.parent?.id; i++) {
    const parentId: string = current.parent.id;
    const queue = current.parent.queueKey.split(':').at(-1) ?? '';
    const parent = await readJob(producer, queue, parentId);
    if (!parent || !ownedBy(parent, record)) break;
    const rec = await findJobRecord(database.db, viewer.scope, queue, parentId, viewer.filialId);
    chain.push({ queue, jobId: parentId, integracaoId: rec?.integracao_id ?? null, estado: rec?.estado ?? null });
    current = parent;
  }
  return chain.length > 1 ? chain : [];
}

/**
 * A preview that failed: its message (English, for support) and, when the engine coded it (PermanentError's NO_RECORDS
 * for a record deleted since the push, a configuration's code), the code and values the page words it with.
 */
function previewFailure(err: Error): NonNullable<JobDetail['preview']> {
  const { code, params } = err as { code?: unknown; params?: unknown };
  return {
    error: err.message,
    ...(typeof code === 'string' ? { code } : {}),
    ...(params !== null && typeof params === 'object' ? { params: params as Readonly<Record<string, string | number>> } : {}),
  };
}

/** A job's detail for the viewer, or undefined when it is not one of the viewer's tenants' jobs. */
export async function jobDetail(
  database: CrmDatabase,
  producer: JobProducer,
  viewer: Viewer,
  queue: string,
  id: string,
  preview?: (record: RegistroJob, viewer: Viewer) => Promise<JobDetail['preview']>,
): Promise<JobDetail | undefined> {
  // No job id or queue holds NUL (PostgreSQL's text cannot: 22021 would be a 500): such a job does not exist.
  if (queue.includes('\u0000') || id.includes('\u0000')) return undefined;
  const found = await findJobRecord(database.db, viewer.scope, queue, id, viewer.filialId);
  if (!found) return undefined;
  // URLs in what was stored before the engine showed them masked (attempt rows, messages, log lines) are masked here,
  // once, for the page and the JSON alike. BullMQ's copy of the failure and the job's log lines hold the same text
  // as the record's message (a receptor's refusal may quote a password), so they get the same full masking.
  const record = maskRecord(found);
  const job = await readJob(producer, queue, id);
  const live: JobDetail['live'] = ownedBy(job, record)
    ? {
        state: await job.getState().catch(() => 'unknown'),
        failedReason: maskMessage(job.failedReason ?? null),
        logs: (
          await producer
            .queue(queue as 'set')
            .getJobLogs(id, 0, 100)
            .catch(() => ({ logs: [] as string[] }))
        ).logs.map((line) => maskMessage(line)),
        flow: (job.data as { flow?: unknown }).flow ?? null,
        // A retake after a stall uses no attempt: without this the resend it may have caused is invisible.
        stalledCounter: job.stalledCounter ?? 0,
      }
    : null;
  // A job waiting (its next attempt, a limit's wait): when it runs next, so the operator need not guess. A paused
  // empresa's held job has no such time: it is delayed again every PAUSED_RECHECK_MS until the empresa is resumed.
  if (live?.state === 'delayed' && record.erro_codigo !== 'TENANT_PAUSED')
    live.nextRunAt = (await producer.nextRunAt(queue as 'set', id).catch(() => undefined)) ?? null;
  const execucoes = [];
  for (const e of await listExecucoesOfJob(database.db, record.empresa_id, id)) {
    const tentativas = (await listTentativas(database.db, e.id)).map((a) => ({
      ...a,
      url: maskUrl(a.url),
      erro: maskUrlsIn(a.erro),
      requisicao: maskUrlsIn(a.requisicao),
    }));
    // A push accepted with nothing written back: its note worded in the viewer's language from the keys the row keeps
    // (the receptor's own answer stays `mensagem`, in its words).
    const nota = e.retorno_ausente
      ? notWrittenBackNote(viewer.locale, e.registro ?? '', returnKeysOf(e.retorno_ausente), e.retido === 1)
      : null;
    execucoes.push({ chave: e.chave, status: e.status, mensagem: maskUrlsIn(e.mensagem), nota, tentativas });
  }
  const empresa = await database.db.selectFrom('empresas').select('nome').where('id', '=', record.empresa_id).executeTakeFirst();
  // The integration through the engine's tenant-bound lookup: an id of another tenant's integration shows no name.
  const integracao =
    record.integracao_id === null
      ? undefined
      : await findIntegracao(
          database.db,
          { empresaId: record.empresa_id, filialId: viewer.filialId, nome: empresa?.nome ?? '' },
          record.integracao_id,
        );
  return {
    record,
    empresaNome: empresa?.nome ?? null,
    integracaoNome: integracao?.nome ?? null,
    // The record can lag behind BullMQ (a bulk retry relabels after its loop, a lost recorder write): a job BullMQ
    // holds as failed offers its actions whatever the record says. A filial viewer reads the empresa-wide jobs but may
    // not change them (the filial rule): no actions offered on those.
    actions: !changeableBy(viewer, record.empresa_filial_id)
      ? []
      : live?.state === 'failed'
        ? jobActionsFor('falhou')
        : jobActionsFor(record.estado),
    live,
    execucoes,
    preview: preview ? await preview(record, viewer).catch(previewFailure) : null,
    dependencies: live && job ? await dependencyChain(producer, job, record, database, viewer) : [],
    names: await rowNames(database, viewer, [found]),
  };
}
