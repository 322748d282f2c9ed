import type { Locale } from '@integrador/i18n';
import { getScheduler, type JobProducer, type SchedulerState } from '@integrador/queue';
import {
  type Database,
  type FilialCaller,
  type Integracao,
  type IntegracaoWithPause,
  lastSyncRun,
  listIntegracoesWithPause,
  listPausedTenants,
  listServicosEndpoint,
  recordParameters,
  type StatusEndpoint,
  type Tenant,
  timestampMs,
  withoutConnectionsFileDetail,
} from '@integrador/store';
import type { Kysely } from 'kysely';
import { failureReason, failureText } from '../failure-reason';
import { configuredGetMode } from '../get/get-settings';
import { queueForTipo } from '../runs/runnability';
import { scheduledCron } from './reconcile-schedules';
import { endpointSchedulerIdOf, schedulerIdOf } from './schedule-ids';

/**
 * scheduled: a scheduler exists in Redis; pending: it should, but worker-get has not reconciled yet (or its cron
 * is invalid — `integrador schedules sync` names the reason); paused: an operator paused it or its whole empresa
 * (dashboard, `integrador schedules|tenant pause`), so it keeps no scheduler until resumed; not_scheduled: inactive,
 * a componente or no cron.
 */
export type ScheduleStatus = 'scheduled' | 'pending' | 'paused' | 'not_scheduled';

/** The last run of one integration, whatever triggered it (API, CLI, schedule…); counts grow live while it runs. */
export interface LastRun {
  jobId: string | null;
  trigger: string | null;
  status: 'executando' | 'concluido' | 'falhou';
  mode: 'full' | 'incremental';
  startedAt: string | null;
  finishedAt: string | null;
  rowsRead: number;
  rowsWritten: number;
  rowsSkipped: number;
  rowsMarkedDeleted: number;
  error: string | null;
  /**
   * The failure apart, for a reader showing one language (the dashboard): its reason in the locale (null for a code
   * nobody words) and the stored message (English, technical) with its class/code, for a folded detail.
   */
  errorReason: string | null;
  errorDetail: string | null;
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

const iso = (ms: number | undefined | null) => (ms ? new Date(ms).toISOString() : null);

/** The get queue's job schedulers of these ids, read in one go (undefined where none exists yet). */
function readSchedulers(producer: JobProducer, ids: string[]): Promise<(SchedulerState | undefined)[]> {
  const queue = producer.queue('get');
  return producer.read('list schedules', () => Promise.all(ids.map((id) => getScheduler(queue, id))));
}

/** not_scheduled when nothing should run; scheduled once BullMQ holds the scheduler, pending until the reconciler adds it. */
function statusOf(wanted: boolean, scheduler: SchedulerState | undefined): Exclude<ScheduleStatus, 'paused'> {
  return !wanted ? 'not_scheduled' : scheduler ? 'scheduled' : 'pending';
}

/** The newest failed get job of an integration as the job recorder wrote it (registro_jobs), bound to the empresa. */
function lastFailedJobOf(db: Kysely<Database>, empresaId: number, integracaoId: number) {
  return db
    .selectFrom('registro_jobs')
    .select(['job_id', 'erro_codigo', 'erro_mensagem', 'parametros', 'criado_em', 'iniciado_em', 'finalizado_em'])
    .where('empresa_id', '=', empresaId)
    .where('integracao_id', '=', integracaoId)
    .where('fila', '=', 'get')
    .where('estado', '=', 'falhou')
    .orderBy('atualizado_em', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/**
 * The last run of an integration from the run history (integracao_sincronizacao_execucoes), whatever triggered it;
 * a job that failed before opening its history row (its connection not in the file, a bad configuration) is read from
 * the job record instead, when newer. A failure is worded by the job-failure catalogue in the viewer's locale.
 */
async function lastRunOf(db: Kysely<Database>, empresaId: number, row: Integracao, locale: Locale): Promise<LastRun | undefined> {
  const integracaoId = row.id;
  const [run, failed] = await Promise.all([lastSyncRun(db, empresaId, integracaoId), lastFailedJobOf(db, empresaId, integracaoId)]);
  const failedAt = failed ? timestampMs(failed.finalizado_em ?? failed.iniciado_em ?? failed.criado_em) : null;
  const startedAt = run ? timestampMs(run.iniciado_em) : null;
  if (failed && (!run || (run.job_id !== failed.job_id && (failedAt ?? 0) >= (startedAt ?? 0)))) {
    const mensagem = withoutConnectionsFileDetail(failed.erro_mensagem);
    return {
      jobId: failed.job_id,
      // A job scheduler's jobs are named repeat:<scheduler id>:<time> (BullMQ).
      trigger: failed.job_id.startsWith('repeat:') ? 'schedule' : null,
      status: 'falhou',
      // The failed job opened no history row: it ran (or would have) in the mode its integration's configuration gives.
      mode: configuredGetMode(row),
      startedAt: iso(timestampMs(failed.iniciado_em ?? failed.criado_em)),
      finishedAt: iso(failedAt),
      rowsRead: 0,
      rowsWritten: 0,
      rowsSkipped: 0,
      rowsMarkedDeleted: 0,
      // With the failure's values (its raw detail): one language, as the job status and the CLI word it.
      error: failureText(locale, failed.erro_codigo, recordParameters(failed.parametros).failure, mensagem ?? ''),
      errorReason: failureReason(locale, failed.erro_codigo, recordParameters(failed.parametros).failure) ?? null,
      errorDetail: [failed.erro_codigo, mensagem].filter(Boolean).join(' ') || null,
    };
  }
  if (!run) return undefined;
  const sameJob = failed && failed.job_id === run.job_id ? failed : undefined;
  const code = sameJob ? sameJob.erro_codigo : null;
  const params = sameJob ? recordParameters(sameJob.parametros).failure : null;
  return {
    jobId: run.job_id,
    trigger: run.gatilho,
    status: run.status,
    mode: run.modo,
    startedAt: iso(timestampMs(run.iniciado_em)),
    finishedAt: iso(timestampMs(run.concluido_em)),
    rowsRead: Number(run.linhas_lidas),
    rowsWritten: Number(run.linhas_gravadas),
    rowsSkipped: Number(run.linhas_ignoradas),
    rowsMarkedDeleted: Number(run.linhas_removidas),
    error: run.erro === null ? null : failureText(locale, code, params, run.erro),
    errorReason: run.erro === null ? null : (failureReason(locale, code, params) ?? null),
    errorDetail: run.erro === null ? null : [code, run.erro].filter(Boolean).join(' '),
  };
}

function entryOf(
  row: Integracao,
  empresaId: number,
  scheduler: SchedulerState | undefined,
  lastRun: LastRun | undefined,
  paused: { paused: boolean; tz: string | null },
): ScheduleEntry {
  const wanted = scheduledCron(row) !== null;
  // A paused schedule keeps no scheduler: no next run, but its cron still reads in the fleet's zone once resumed.
  if (wanted && paused.paused)
    return {
      integracaoId: row.id,
      empresaId,
      nome: row.nome,
      cron: row.cron,
      tz: paused.tz,
      status: 'paused',
      nextRunAt: null,
      lastRun: lastRun ?? null,
    };
  return {
    integracaoId: row.id,
    empresaId,
    nome: row.nome,
    cron: row.cron,
    tz: scheduler?.tz ?? null,
    status: statusOf(wanted, scheduler),
    nextRunAt: iso(scheduler?.next),
    lastRun: lastRun ?? null,
  };
}

export interface ListSchedulesOptions {
  /** SCHEDULE_TIMEZONE, shown as a paused schedule's zone (a paused schedule has no scheduler to read it from). */
  tz?: string | undefined;
  /** The viewer's language, for the worded failure of lastRun. */
  locale?: Locale;
}

/** Each GET row of a tenant with its schedule entry. */
async function scheduleRows(
  db: Kysely<Database>,
  producer: JobProducer,
  tenant: Tenant,
  options: ListSchedulesOptions,
): Promise<{ row: IntegracaoWithPause; entry: ScheduleEntry }[]> {
  // Each row comes with its pause state (its schedule's and its whole empresa's), read in the same statement.
  const rows = (await listIntegracoesWithPause(db, tenant)).filter((row) => queueForTipo(row.tipo_servico) === 'get');
  if (rows.length === 0) return [];
  const schedulers = await readSchedulers(
    producer,
    rows.map((row) => schedulerIdOf(tenant.empresaId, row.id)),
  );
  const runs = await Promise.all(rows.map((row) => lastRunOf(db, tenant.empresaId, row, options.locale ?? 'pt-BR')));
  const tz = options.tz ?? null;
  return rows.map((row, i) => ({
    row,
    entry: entryOf(row, tenant.empresaId, schedulers[i], runs[i], { paused: row.agendamentoPausado || row.empresaPausada, tz }),
  }));
}

/** The schedules of one tenant's GET integrations (a filial key sees its filial's and the empresa-wide ones). */
export async function listSchedules(
  db: Kysely<Database>,
  producer: JobProducer,
  tenant: Tenant,
  options: ListSchedulesOptions = {},
): Promise<ScheduleEntry[]> {
  return (await scheduleRows(db, producer, tenant, options)).map(({ entry }) => entry);
}

/** A schedule with whether it is paused itself (an operator can resume it), not only through its empresa. */
export interface TenantScheduleEntry extends ScheduleEntry {
  schedulePaused: boolean;
}

/** One tenant's schedules as an operator acts on them: whether the whole empresa is paused, and each schedule's own pause. */
export interface TenantSchedules {
  tenantPaused: boolean;
  items: TenantScheduleEntry[];
}

/**
 * listSchedules with the pauses an operator can lift: the empresa's (also when it has no GET integration) and each
 * schedule's own (a schedule paused with its empresa lists as paused either way).
 */
export async function listTenantSchedules(
  db: Kysely<Database>,
  producer: JobProducer,
  tenant: Tenant,
  options: ListSchedulesOptions = {},
): Promise<TenantSchedules> {
  const [rows, pausedTenants] = await Promise.all([scheduleRows(db, producer, tenant, options), listPausedTenants(db, tenant.empresaId)]);
  return {
    tenantPaused: pausedTenants.length > 0,
    items: rows.map(({ row, entry }) => ({ ...entry, schedulePaused: row.agendamentoPausado })),
  };
}

/** One JSON endpoint service's schedule (seed 003) as the API and the CLI show it. */
export interface EndpointScheduleEntry {
  servicoId: number;
  empresaId: number;
  nome: string;
  cron: string | null;
  tz: string | null;
  /** scheduled / pending as for GET integrations (a pause does not apply to them); not_scheduled: inactive or no cron. */
  status: Exclude<ScheduleStatus, 'paused'>;
  nextRunAt: string | null;
  /** The service's last sync, whatever triggered it: its status (ok / falha / nunca_executado) and when. */
  lastRun: { status: StatusEndpoint; at: string | null } | null;
}

/** The schedules of one tenant's JSON endpoint services (every service, with or without a cron). */
export async function listEndpointSchedules(
  db: Kysely<Database>,
  producer: JobProducer,
  caller: FilialCaller,
): Promise<EndpointScheduleEntry[]> {
  const { empresaId } = caller;
  const services = await listServicosEndpoint(db, caller);
  if (services.length === 0) return [];
  const schedulers = await readSchedulers(
    producer,
    services.map((service) => endpointSchedulerIdOf(empresaId, service.id)),
  );
  return services.map((service, i) => {
    const scheduler = schedulers[i];
    const wanted = service.ativo && Boolean(service.cron?.trim());
    return {
      servicoId: service.id,
      empresaId,
      nome: service.nome,
      cron: service.cron,
      tz: scheduler?.tz ?? null,
      status: statusOf(wanted, scheduler),
      nextRunAt: iso(scheduler?.next),
      lastRun: service.ultimaExecucaoEm ? { status: service.status, at: service.ultimaExecucaoEm } : null,
    };
  });
}
