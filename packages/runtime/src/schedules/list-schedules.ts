import type { TenantRef } from '@integrador/jobs';
import { getScheduler, isSkippedRun, type JobProducer, type SchedulerState } from '@integrador/queue';
import { type Database, type Integracao, listIntegracoes, type Tenant } from '@integrador/store';
import type { Kysely } from 'kysely';
import { scheduledCron } from './reconcile-schedules';
import { schedulerIdOf } from './schedule-ids';

type Job = NonNullable<Awaited<ReturnType<JobProducer['getJob']>>>;

/**
 * scheduled: a scheduler exists in Redis; pending: it should, but worker-get has not reconciled yet (or its cron
 * is invalid — `integrador schedules sync` names the reason); not_scheduled: inactive, a componente or no cron.
 */
export type ScheduleStatus = 'scheduled' | 'pending' | 'not_scheduled';

/** The last run of one integration (a job of the get queue, whatever triggered it). */
export interface LastRun {
  jobId: string;
  trigger: string | null;
  state: string;
  startedAt: string | null;
  finishedAt: string | null;
  rowsRead: number | null;
  rowsWritten: number | null;
  failedReason: string | null;
}

/** One GET integration's schedule as the API and the CLI show it. */
export interface ScheduleEntry {
  integracaoId: number;
  empresaId: number;
  nome: string;
  cron: string | null;
  tz: string | null;
  status: ScheduleStatus;
  nextRunAt: string | null;
  lastRun: LastRun | null;
}

/** How many of the newest finished jobs of the get queue are searched for each integration's last run. */
const RECENT_JOBS = 500;

const iso = (ms: number | undefined | null) => (ms ? new Date(ms).toISOString() : null);

function count(value: unknown, key: string): number | null {
  const n = (value as Record<string, unknown> | null | undefined)?.[key];
  return typeof n === 'number' ? n : null;
}

function lastRunOf(job: Job, state: string): LastRun {
  // A running job shows its live counts; a finished one its result.
  const counts = state === 'completed' ? job.returnvalue : job.progress;
  return {
    jobId: String(job.id),
    trigger: (job.data as { trigger?: string }).trigger ?? null,
    state,
    startedAt: iso(job.processedOn),
    finishedAt: iso(job.finishedOn),
    rowsRead: count(counts, 'rowsRead'),
    rowsWritten: count(counts, 'rowsWritten'),
    failedReason: job.failedReason || null,
  };
}

/**
 * The newest active or finished integration.run job of each of the given integrations of one empresa, from BullMQ
 * (the jobs of the last day / week that retention keeps).
 */
async function lastRuns(producer: JobProducer, empresaId: number, ids: Set<number>): Promise<Map<number, LastRun>> {
  const queue = producer.queue('get');
  const [active, finished] = await Promise.all([
    queue.getJobs(['active'], 0, RECENT_JOBS - 1, false),
    queue.getJobs(['completed', 'failed'], 0, RECENT_JOBS - 1, false),
  ]);
  const found = new Map<number, LastRun>();
  const take = (job: Job | undefined, state: (job: Job) => string) => {
    if (job?.name !== 'integration.run' || isSkippedRun(job.returnvalue)) return;
    const data = job.data as { tenant?: TenantRef; integracaoId?: number };
    if (data.tenant?.empresaId !== empresaId) return;
    const id = data.integracaoId;
    if (id === undefined || !ids.has(id) || found.has(id)) return;
    found.set(id, lastRunOf(job, state(job)));
  };
  for (const job of active) take(job, () => 'active');
  const newestFirst = finished.filter(Boolean).sort((a, b) => (b.finishedOn ?? 0) - (a.finishedOn ?? 0));
  for (const job of newestFirst) take(job, (j) => (j.failedReason && !j.returnvalue ? 'failed' : 'completed'));
  return found;
}

function entryOf(row: Integracao, empresaId: number, scheduler: SchedulerState | undefined, lastRun: LastRun | undefined): ScheduleEntry {
  const cron = scheduledCron(row);
  return {
    integracaoId: row.id,
    empresaId,
    nome: row.nome,
    cron: row.cron,
    tz: scheduler?.tz ?? null,
    status: cron === null ? 'not_scheduled' : scheduler ? 'scheduled' : 'pending',
    nextRunAt: iso(scheduler?.next),
    lastRun: lastRun ?? null,
  };
}

/** The schedules of one tenant's GET integrations (a filial key sees its filial's and the empresa-wide ones). */
export async function listSchedules(db: Kysely<Database>, producer: JobProducer, tenant: Tenant): Promise<ScheduleEntry[]> {
  const rows = (await listIntegracoes(db, tenant)).filter((row) => row.tipo_servico === 'GET');
  if (rows.length === 0) return [];
  const queue = producer.queue('get');
  const [schedulers, runs] = await producer.read('list schedules', () =>
    Promise.all([
      Promise.all(rows.map((row) => getScheduler(queue, schedulerIdOf(tenant.empresaId, row.id)))),
      lastRuns(producer, tenant.empresaId, new Set(rows.map((row) => row.id))),
    ]),
  );
  return rows.map((row, i) => entryOf(row, tenant.empresaId, schedulers[i], runs.get(row.id)));
}
