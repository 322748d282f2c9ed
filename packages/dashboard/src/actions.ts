import type { ConnectionsRegistry } from '@integrador/connections';
import { enqueueIntegrationRun, NoScheduleError, pauseGetSchedule, pauseTenantWork } from '@integrador/integrador';
import {
  CLICK_TO_CALL_NO_RETRY,
  isQueueName,
  type TenantRef,
  WEBHOOK_DELIVERED_NO_RETRY,
  WEBHOOK_ENDPOINT_DELETED_NO_RETRY,
  WEBHOOK_ENDPOINT_DISABLED_NO_RETRY,
} from '@integrador/jobs';
import { type JobProducer, retryFailedJob, withRedisDeadline } from '@integrador/queue';
import {
  assertChangeableBy,
  type CrmDatabase,
  changeableBy,
  countJobRecords,
  type EstadoRegistroJob,
  findIntegracao,
  findJobRecord,
  type JobFilter,
  listJobKeys,
  markJobRecords,
  type RegistroJob,
  recordAudit,
  recordParameters,
} from '@integrador/store';
import { deliveryRetryRefusal, deliveryRetryRefusals } from '@integrador/webhooks';
import type { Redis } from 'ioredis';
import type { Viewer } from './access';

/** What the actions act on: the CRM database, the queues, and the Redis connection flows' bookkeeping uses. */
export interface ActionDeps {
  database: CrmDatabase;
  producer: JobProducer;
  redis: Redis;
  keyPrefix: string;
  /** SCHEDULE_TIMEZONE: with it, a resumed schedule is back at once; without, at worker-get's next sync. */
  scheduleTimezone?: string | undefined;
  /** The connections file: a run now of an integration (or a step of its plan) on a connection it restricts elsewhere is refused. */
  connections?: ConnectionsRegistry | undefined;
}

export interface JobRef {
  queue: string;
  id: string;
}

/**
 * Why an action left a job alone: a job no operator retry takes (a click-to-call; a webhook delivery job whose delivery
 * was delivered since, or whose endpoint is disabled or deleted), or one no longer failed (`not-failed`: retried or
 * completed meanwhile).
 */
export const SKIP_REASONS = [
  WEBHOOK_DELIVERED_NO_RETRY,
  WEBHOOK_ENDPOINT_DISABLED_NO_RETRY,
  WEBHOOK_ENDPOINT_DELETED_NO_RETRY,
  CLICK_TO_CALL_NO_RETRY,
  'not-failed',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** The skip reason of a refusal: its code when it is one of SKIP_REASONS, else the job was in another state. */
function skipReasonOf(refusal: string): SkipReason {
  return (SKIP_REASONS as readonly string[]).includes(refusal) ? (refusal as SkipReason) : 'not-failed';
}

/**
 * How a bulk action went: `done` jobs changed; `skipped` were left alone, counted by why in `skippedReasons` (a bulk
 * retry's jobs a retry would refuse, known before it runs, included); `notFound` were not found.
 */
export interface ActionResult {
  done: number;
  skipped: number;
  notFound: number;
  skippedReasons: Partial<Record<SkipReason, number>>;
}

/** Counts one skipped job under its reason. */
function countSkip(result: ActionResult, reason: SkipReason): void {
  result.skipped += 1;
  result.skippedReasons[reason] = (result.skippedReasons[reason] ?? 0) + 1;
}

/** How many jobs per reason a map of refused jobs holds, in SKIP_REASONS' order (a confirmation's note). */
export function refusedCounts(refused: ReadonlyMap<string, SkipReason>): Array<[SkipReason, number]> {
  const counts = new Map<SkipReason, number>();
  for (const reason of refused.values()) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  return SKIP_REASONS.flatMap((reason) => (counts.has(reason) ? [[reason, counts.get(reason) as number] as [SkipReason, number]] : []));
}

/** At most this many jobs per "retry all matching" (the confirmation shows the count; run it again for more). */
export const BULK_LIMIT = 5000;

/**
 * The job record an action may change (the filial rule of packages/store): undefined when the viewer cannot read it
 * (another tenant's, a sibling filial's); an empresa-wide job a filial viewer reads but may not change is refused
 * with FilialScopeError (403) when named (alone or in a selection), and left out when a filter found it.
 */
async function changeableRecord(deps: ActionDeps, viewer: Viewer, ref: JobRef, named: boolean): Promise<RegistroJob | undefined> {
  if (!isQueueName(ref.queue)) return undefined;
  const record = await findJobRecord(deps.database.db, viewer.scope, ref.queue, ref.id, viewer.filialId);
  if (!record) return undefined;
  const caller = { empresaId: record.empresa_id, filialId: viewer.filialId };
  if (named) assertChangeableBy(caller, record.empresa_filial_id, `job ${ref.queue}/${ref.id}`);
  return changeableBy(viewer, record.empresa_filial_id) ? record : undefined;
}

/** The job in Redis, only when it belongs to the record's tenant (a record never opens another tenant's job). */
async function liveJob(deps: ActionDeps, record: RegistroJob) {
  const job = await deps.producer.getJob(record.fila as 'set', record.job_id);
  const owner = (job?.data as { tenant?: TenantRef } | undefined)?.tenant;
  return job && owner?.empresaId === record.empresa_id ? job : undefined;
}

/** One audit row per tenant touched, so an operador sees the entries of their own tenants. */
async function audit(deps: ActionDeps, viewer: Viewer, acao: string, perTenant: Map<number, string[]>, detalhe: Record<string, unknown>) {
  for (const [empresaId, jobs] of perTenant) {
    await recordAudit(deps.database.db, {
      autor: viewer.autor,
      operadorId: viewer.operadorId,
      empresaId,
      acao,
      alvo: jobs.slice(0, 50).join(' ') + (jobs.length > 50 ? ' …' : ''),
      quantidade: jobs.length,
      detalhe,
    });
  }
}

/** One audit row for an action on one tenant's target (who, when, what, how many). */
export async function auditAction(
  deps: Pick<ActionDeps, 'database'>,
  viewer: Viewer,
  entry: { empresaId: number; acao: string; alvo: string; quantidade: number; detalhe?: Record<string, unknown> | null },
): Promise<void> {
  await recordAudit(deps.database.db, { autor: viewer.autor, operadorId: viewer.operadorId, detalhe: null, ...entry });
}

export type JobAction = 'retry' | 'discard';

/**
 * The recorded states each job action applies to (one owner of the rule): a job BullMQ holds as failed — falhou, or
 * bloqueado (a flow step that failed on its prerequisite). A running, waiting or completed one is never touched.
 */
const FAILED: readonly EstadoRegistroJob[] = ['falhou', 'bloqueado'];
const ACTION_ESTADOS: Readonly<Record<JobAction, readonly EstadoRegistroJob[]>> = { retry: FAILED, discard: FAILED };

/** The actions a job in this recorded state allows (the detail page offers only these). */
export function jobActionsFor(estado: EstadoRegistroJob): JobAction[] {
  return (Object.keys(ACTION_ESTADOS) as JobAction[]).filter((action) => ACTION_ESTADOS[action].includes(estado));
}

/**
 * One named job is not in a state the action applies to (a stale page: it completed meanwhile): 409, and the form
 * goes back with the reason. `estado` is the recorded state, or BullMQ's when Redis disagrees with the record.
 */
export class JobStateError extends Error {
  override name = 'JobStateError';
  readonly statusCode = 409;
  /**
   * JOB_NOT_RETRYABLE for a kind that takes no operator retry (a click-to-call) or a webhook delivery job whose delivery
   * was delivered since or whose endpoint is still disabled or was deleted, as the /v1 API and the CLI refuse them.
   */
  readonly code: 'JOB_NOT_FAILED' | 'JOB_NOT_RETRYABLE';
  constructor(
    readonly action: JobAction,
    readonly job: string,
    readonly estado: string,
  ) {
    super(`job ${job} is ${estado}: ${action} applies to a failed job only`);
    this.code = action === 'retry' && skipReasonOf(estado) !== 'not-failed' ? 'JOB_NOT_RETRYABLE' : 'JOB_NOT_FAILED';
  }
}

// BullMQ states of a job that will run (again) without anyone's help.
const PENDING_STATES = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

async function applyToJobs(
  deps: ActionDeps,
  viewer: Viewer,
  refs: readonly JobRef[],
  action: JobAction,
  detalhe: Record<string, unknown>,
  // Jobs named by the caller (not found by a filter): one that cannot be changed is refused with a 409.
  single = true,
  // Failed jobs found for the action and left out of `refs` because it would refuse them: counted skipped, by why.
  refused: ReadonlyMap<string, SkipReason> = new Map(),
) {
  const result: ActionResult = { done: 0, skipped: 0, notFound: 0, skippedReasons: {} };
  const perTenant = new Map<number, string[]>();
  // The state that kept the last job from being changed (for the one-job refusal below).
  let refusedAs: string | undefined;
  // Every record read before any job is touched: a selection naming a job the viewer reads but may not change (an
  // empresa-wide one for a filial viewer, which the list offers no box for, so only a crafted request names it) is
  // refused whole with the filial rule's 403, as that job named alone is, and nothing of it is retried or discarded.
  const records: (RegistroJob | undefined)[] = [];
  for (const ref of refs) records.push(await changeableRecord(deps, viewer, ref, single));
  for (const record of records) {
    const job = record ? await liveJob(deps, record) : undefined;
    if (!record || !job) {
      // A record not in a failed state and no job in Redis to say otherwise: refused by the record.
      if (record && !ACTION_ESTADOS[action].includes(record.estado)) {
        countSkip(result, 'not-failed');
        refusedAs = record.estado;
      } else result.notFound++;
      continue;
    }
    // Redis has the last word, either way: the record may lag behind BullMQ (a retry from the raw queue view, a bulk
    // retry relabelling after its loop, a lost recorder write), so a job the record calls not failed is still asked.
    let state: string | undefined;
    if (action === 'retry') {
      // A record in a failed state is relabelled BEFORE the retry: once retried, the job may run and fail again within
      // milliseconds, and the worker's new falhou must be the last write (a relabel after the retry would overwrite it
      // and hide the failure). The label goes back when the retry is refused or throws; `onlyFrom` keeps whatever the
      // worker wrote meanwhile. A record in another state (ativo, adiado… asked by the API or a selection of every
      // state) is never relabelled: its job, if Redis holds it failed, is retried and the worker's next write says so.
      const db = deps.database.db;
      const relabel = FAILED.includes(record.estado);
      if (relabel) await markJobRecords(db, [record.id], 'aguardando_retentativa', record.estado);
      const restore = () => (relabel ? markJobRecords(db, [record.id], record.estado, 'aguardando_retentativa') : Promise.resolve());
      let outcome: Awaited<ReturnType<typeof retryFailedJob>>;
      try {
        outcome = await retryFailedJob(job, deps.redis, deps.keyPrefix, undefined, deliveryRetryRefusal(db));
      } catch (error) {
        await restore().catch(() => undefined);
        throw error;
      }
      if (!outcome.retried) {
        // A failed record whose job is already on its way again (another request retried it first): the
        // aguardando_retentativa label is right, and putting falhou back would show it failed while it waits in Redis.
        if (!(relabel && PENDING_STATES.has(outcome.state))) await restore();
        // A kind that takes no operator retry (a click-to-call), or a webhook delivery delivered since or whose
        // endpoint is still disabled, is refused as such, not as "in another state".
        state = outcome.notRetryable ?? outcome.state;
      }
    } else {
      // Only a failed job is discarded: removing a waiting or running one would lose work silently.
      const current = await withRedisDeadline(job.getState(), 2000, 'read job state');
      if (current === 'failed') await withRedisDeadline(job.remove(), 2000, 'remove job');
      else state = current;
    }
    if (state !== undefined) {
      countSkip(result, skipReasonOf(state));
      refusedAs = state;
      continue;
    }
    // Relabelled per job, not after the loop (a retry of a failed record was relabelled above, before it ran).
    if (action === 'discard') await markJobRecords(deps.database.db, [record.id], 'descartado');
    result.done++;
    perTenant.set(record.empresa_id, [...(perTenant.get(record.empresa_id) ?? []), `${record.fila}/${record.job_id}`]);
  }
  // One job named and not changeable: refused with its state (a selection answers its counts instead).
  const [only] = refs;
  if (single && refs.length === 1 && only && result.skipped === 1 && refusedAs !== undefined)
    throw new JobStateError(action, `${only.queue}/${only.id}`, refusedAs);
  for (const reason of refused.values()) countSkip(result, reason);
  // The audit keeps the counts (its fields are words and numbers; the reasons are in the answer).
  const { skippedReasons: _reasons, ...counts } = result;
  if (perTenant.size === 0) {
    await recordAudit(deps.database.db, {
      autor: viewer.autor,
      operadorId: viewer.operadorId,
      empresaId: viewer.scope === 'all' ? null : (viewer.scope[0] ?? null),
      acao: action,
      alvo: refs
        .map((r) => `${r.queue}/${r.id}`)
        .slice(0, 50)
        .join(' '),
      quantidade: 0,
      detalhe: { ...detalhe, ...counts },
    });
  } else await audit(deps, viewer, action, perTenant, { ...detalhe, ...counts });
  return result;
}

/**
 * Retries the given failed jobs of the viewer's tenants (one job or a selection). `refused`: the jobs of the selected
 * groups the retry refuses, left out of `refs` (matchingFailedHeld), reported as skipped by why.
 */
export function retryJobs(
  deps: ActionDeps,
  viewer: Viewer,
  refs: readonly JobRef[],
  refused: ReadonlyMap<string, SkipReason> = new Map(),
): Promise<ActionResult> {
  return applyToJobs(deps, viewer, refs, 'retry', { modo: refs.length === 1 ? 'um' : 'selecao' }, true, refused);
}

/** Discards (removes from the queue) the given failed jobs; their records stay, marked descartado. */
export function discardJobs(deps: ActionDeps, viewer: Viewer, refs: readonly JobRef[]): Promise<ActionResult> {
  return applyToJobs(deps, viewer, refs, 'discard', { modo: refs.length === 1 ? 'um' : 'selecao' });
}

/**
 * The failed jobs a filter's bulk retry acts on, within the viewer's tenants (at most BULK_LIMIT): the jobs the filter
 * lists that are falhou (the failures page's default), bloqueado when the filter shows the blocked ones (or all
 * states); for a filial viewer, its own filial's only (not the empresa-wide ones it reads but may not change); never
 * one the retry would refuse (`refused`, "fila/job_id" → why: refusedDeliveryJobs, a webhook delivery delivered since
 * or whose endpoint is disabled or deleted), which the confirmation and the result name apart. Its count is what the
 * confirmation shows. `held`: which of those very jobs failed holding back a SET record (SET_RECORD_HELD): retried,
 * each sends its held record again (an operator's retry, in bulk or not, releases the hold); counted among the jobs
 * retried, never past them (the filter may find more than BULK_LIMIT).
 */
export async function matchingFailedHeld(
  deps: ActionDeps,
  viewer: Viewer,
  filter: Omit<JobFilter, 'scope'>,
): Promise<{ refs: JobRef[]; held: Set<string>; refused: Map<string, SkipReason> }> {
  const failed = failedFilter(viewer, filter);
  if (!failed) return { refs: [], held: new Set(), refused: new Map() };
  const refusedJobs = await refusedDeliveryJobs(deps, failed);
  const keys = (await listJobKeys(deps.database.db, failed, BULK_LIMIT + refusedJobs.size))
    .filter((k) => !refusedJobs.has(`${k.fila}/${k.job_id}`))
    .slice(0, BULK_LIMIT);
  const held = new Set(keys.filter((k) => k.fila === 'set' && k.erro_codigo === 'SET_RECORD_HELD').map((k) => `${k.fila}/${k.job_id}`));
  return { refs: keys.map((k) => ({ queue: k.fila, id: k.job_id })), held, refused: refusedJobs };
}

/**
 * The failed webhook delivery jobs of a filter that an operator's retry would refuse (deliveryRetryRefusals: delivered
 * since, endpoint disabled or deleted), by "fila/job_id" with why: the failures page counts, confirms and retries only
 * the others, so "retry 3" retries 3. Each delivery is read within its record's empresa; at most BULK_LIMIT records.
 */
async function refusedDeliveryJobs(deps: ActionDeps, failed: JobFilter): Promise<Map<string, SkipReason>> {
  if (failed.fila !== undefined && failed.fila !== 'webhook') return new Map();
  const keys = (await listJobKeys(deps.database.db, { ...failed, fila: 'webhook' }, BULK_LIMIT)).filter(
    (k) => k.nome_job === 'webhook.deliver',
  );
  const deliveries = keys.flatMap((k) => {
    const entregaId = Number(recordParameters(k.parametros).key.entregaId);
    return Number.isSafeInteger(entregaId) && entregaId > 0 ? [{ key: `${k.fila}/${k.job_id}`, empresaId: k.empresa_id, entregaId }] : [];
  });
  const refusals = await deliveryRetryRefusals(deps.database.db, deliveries);
  const refused = new Map<string, SkipReason>();
  for (const d of deliveries) {
    const refusal = refusals.get(`${d.empresaId}/${d.entregaId}`);
    if (refusal) refused.set(d.key, skipReasonOf(refusal));
  }
  return refused;
}

/**
 * How many jobs matchingFailedHeld would act on, counted (not fetched): the number, or `${BULK_LIMIT}+` past the limit,
 * as the failures page's total reads; the ones the retry would refuse (refusedDeliveryJobs) are not counted.
 */
export async function countMatchingFailed(deps: ActionDeps, viewer: Viewer, filter: Omit<JobFilter, 'scope'>): Promise<number | string> {
  const failed = failedFilter(viewer, filter);
  if (!failed) return 0;
  const refused = await refusedDeliveryJobs(deps, failed);
  const count = (await countJobRecords(deps.database.db, failed, BULK_LIMIT + refused.size)) - refused.size;
  return count > BULK_LIMIT ? `${BULK_LIMIT}+` : count;
}

/** matchingFailedHeld's filter: the failed states the filter shows, the viewer's tenants and changeable filial rows; null when it shows none. */
function failedFilter(viewer: Viewer, filter: Omit<JobFilter, 'scope'>): JobFilter | null {
  const estados = FAILED.filter((e) => !filter.estados || filter.estados.includes(e));
  return estados.length ? { ...filter, scope: viewer.scope, filialId: viewer.filialId, changeable: true, estados } : null;
}

/** A confirmed bulk retry whose filter no longer finds the count the operator confirmed: nothing is retried (409). */
export class BulkCountChangedError extends Error {
  override name = 'BulkCountChangedError';
  readonly statusCode = 409;
  readonly code = 'BULK_COUNT_CHANGED';
  constructor(
    readonly expected: number,
    readonly found: number,
  ) {
    super(`the filter now finds ${found} failed jobs, not the ${expected} confirmed: nothing was retried`);
  }
}

/**
 * Retries every failed job matching a filter (matchingFailedHeld). With `expected` (the count the operator confirmed),
 * a filter that now finds another count retries nothing (BulkCountChangedError), so it never acts on more than was
 * shown. Always answers its counts, even when one job matched; the jobs the retry refuses are counted skipped.
 */
export async function retryMatching(
  deps: ActionDeps,
  viewer: Viewer,
  filter: Omit<JobFilter, 'scope'>,
  expected?: number,
): Promise<ActionResult> {
  const { refs, refused } = await matchingFailedHeld(deps, viewer, filter);
  if (expected !== undefined && refs.length !== expected) throw new BulkCountChangedError(expected, refs.length);
  const described = Object.fromEntries(
    Object.entries({ ...filter, estados: filter.estados?.join(',') })
      .map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v])
      .filter(([, v]) => v !== undefined),
  );
  // The jobs the filter finds that the retry refuses (left out of the count confirmed) are reported as skipped, by why.
  return applyToJobs(deps, viewer, refs, 'retry', { modo: 'filtro', filtro: described }, false, refused);
}

/** Enqueues a run of one of the viewer's integrations now (schedules' "run now"); undefined when not visible. */
export async function runNow(
  deps: ActionDeps,
  viewer: Viewer,
  empresaId: number,
  integracaoId: number,
  parametros: Record<string, string | number> = {},
) {
  if (viewer.scope !== 'all' && !viewer.scope.includes(empresaId)) return undefined;
  const tenant = { empresaId, filialId: viewer.filialId };
  const integracao = await findIntegracao(deps.database.db, { ...tenant, nome: '' }, integracaoId);
  if (!integracao) return undefined;
  const run = await enqueueIntegrationRun(deps.database, deps.producer, {
    tenant,
    integracaoId,
    parametros,
    trigger: 'api',
    ...(deps.connections ? { connections: deps.connections } : {}),
  });
  await auditAction(deps, viewer, {
    empresaId,
    acao: 'run-now',
    alvo: `integracao/${integracaoId} → ${run.queue}/${run.jobId}`,
    quantidade: 1,
  });
  return run;
}

/** A pause asked of a GET the engine keeps no schedule for (the engine's rule, pauseGetSchedule): 409, worded by the routes. */
export { NoScheduleError };

/** Pauses or resumes one of the viewer's GET schedules (the engine's pauseGetSchedule); false when the integration is not the viewer's. */
export async function pauseSchedule(
  deps: ActionDeps,
  viewer: Viewer,
  empresaId: number,
  integracaoId: number,
  paused: boolean,
): Promise<boolean> {
  if (viewer.scope !== 'all' && !viewer.scope.includes(empresaId)) return false;
  // Only a scheduled GET can be paused (the engine's NoScheduleError). A filial key reads the empresa-wide integracoes
  // but pauses only its own filial's schedules (403 FILIAL_SCOPE).
  return pauseGetSchedule(pauseDeps(deps), { empresaId, filialId: viewer.filialId }, viewer, integracaoId, paused);
}

/**
 * Pauses or resumes a whole tenant of the viewer (the engine's pauseTenantWork): its GET schedules keep no job
 * scheduler and the workers hold its queued jobs (delayed, no attempt used) until the resume, which promotes them at
 * once. Intake goes on. False when the tenant is not the viewer's; FilialScopeError for a filial API key.
 */
export async function pauseTenant(deps: ActionDeps, viewer: Viewer, empresaId: number, paused: boolean): Promise<boolean> {
  if (viewer.scope !== 'all' && !viewer.scope.includes(empresaId)) return false;
  const done = await pauseTenantWork(
    { ...pauseDeps(deps), keyPrefix: deps.keyPrefix },
    { empresaId, filialId: viewer.filialId },
    viewer,
    paused,
  );
  return done !== undefined;
}

function pauseDeps(deps: ActionDeps) {
  return { db: deps.database.db, producer: deps.producer, scheduleTimezone: deps.scheduleTimezone };
}

/** At most this many jobs a selection of groups names (a discard's confirmation posts each one back). */
export const GROUP_SELECTION_LIMIT = 1000;

/**
 * The failed jobs of the selected groups of repeated failures, within the page's filter and the viewer's tenants (as
 * matchingFailedHeld finds them: only the ones the viewer may change), each once, at most GROUP_SELECTION_LIMIT; `capped`
 * when the groups held more. A group outside the page's filter (another empresa or integração) names nothing.
 */
export async function groupMembers(
  deps: ActionDeps,
  viewer: Viewer,
  filter: Omit<JobFilter, 'scope'>,
  groups: ReadonlyArray<{ empresaId: number; integracaoId: number | null; codigo: string | null }>,
): Promise<{ refs: JobRef[]; capped: boolean; held: Set<string>; refused: Map<string, SkipReason> }> {
  const refs = new Map<string, JobRef>();
  const held = new Set<string>();
  const refused = new Map<string, SkipReason>();
  for (const group of groups) {
    if (filter.empresaId !== undefined && filter.empresaId !== group.empresaId) continue;
    if (filter.integracaoId !== undefined && filter.integracaoId !== group.integracaoId) continue;
    if (filter.codigo !== undefined && filter.codigo !== group.codigo) continue;
    const members = await matchingFailedHeld(deps, viewer, { ...filter, ...group });
    for (const ref of members.refs) refs.set(`${ref.queue}/${ref.id}`, ref);
    for (const key of members.held) held.add(key);
    for (const [key, reason] of members.refused) refused.set(key, reason);
  }
  const all = [...refs.values()];
  return { refs: all.slice(0, GROUP_SELECTION_LIMIT), capped: all.length > GROUP_SELECTION_LIMIT, held, refused };
}
