import type { EndpointSyncPayload, IntegrationRunPayload } from '@integrador/jobs';
import type { Logger } from '@integrador/logging';
import {
  InvalidCronError,
  type JobProducer,
  listSchedulers,
  mirrorPausedTenants,
  nextCronTime,
  removeScheduler,
  type SchedulerState,
  upsertScheduler,
} from '@integrador/queue';
import {
  type Database,
  type Integracao,
  listGetIntegracoes,
  listPausedSchedules,
  listPausedTenants,
  listScheduledServicos,
  type ScheduledServico,
} from '@integrador/store';
import type { Kysely } from 'kysely';
import { isRunnableOn } from '../runs/runnability';
import { endpointSchedulerIdOf, isFleetSchedulerId, schedulerIdOf } from './schedule-ids';

/** A GET integration whose cron BullMQ cannot parse: skipped, reported with the parser's reason. */
export interface InvalidSchedule {
  empresaId: number;
  integracaoId: number;
  nome: string;
  cron: string;
  /** Why, in English (cron-parser's or the shape's words), for logs and English readers. */
  reason: string;
  /** Why, in pt-BR: the common problems worded, never cron-parser's English. */
  motivo: string;
}

/** What one reconcile changed in Redis. */
export interface ReconcileReport {
  created: string[];
  updated: string[];
  removed: string[];
  unchanged: number;
  invalid: InvalidSchedule[];
}

export interface ReconcileOptions {
  /** The zone every cron is read in (SCHEDULE_TIMEZONE). */
  tz: string;
}

/** The cron text of a row that should be scheduled (active, not a componente, a non-blank cron), else null. */
export function scheduledCron(row: Integracao): string | null {
  const cron = (row.cron ?? '').trim().replace(/\s+/g, ' ');
  return cron !== '' && isRunnableOn(row, 'get') ? cron : null;
}

/** The job a scheduled run enqueues: ids only, no parametros (a GET pull reads its whole consulta). */
export function scheduledPayload(row: Integracao, empresaId: number): IntegrationRunPayload {
  return { tenant: { empresaId, filialId: row.empresa_filial_id }, integracaoId: row.id, parametros: {}, trigger: 'schedule' };
}

/** The job a JSON endpoint service's schedule enqueues: every event type of the service (contato first). */
export function scheduledSyncPayload(servico: ScheduledServico): EndpointSyncPayload {
  return { tenant: { empresaId: servico.empresaId, filialId: null }, servicoId: servico.id, trigger: 'schedule' };
}

function sameSchedule(current: SchedulerState, cron: string, tz: string, name: string, payload: unknown): boolean {
  return current.pattern === cron && current.tz === tz && current.name === name && JSON.stringify(current.data) === JSON.stringify(payload);
}

/**
 * Makes the `get` queue's job schedulers match the configuration of every tenant: one per active GET integration
 * and per active JSON endpoint service with a cron (created, or updated when its cron, zone or filial changed), none for deleted, inactive or cron-less
 * ones. An invalid cron is reported and skipped, and its old scheduler removed, so a broken edit never keeps firing
 * the previous schedule. Safe to run from several worker-get replicas at once (every step is idempotent).
 */
export async function reconcileSchedules(
  db: Kysely<Database>,
  producer: JobProducer,
  options: ReconcileOptions,
  logger?: Logger,
): Promise<ReconcileReport> {
  const queue = producer.queue('get');
  const rows = await listGetIntegracoes(db, null);
  // Schedules an operator paused in the dashboard keep no scheduler (removed below) until resumed.
  const paused = await listPausedSchedules(db);
  // A paused tenant keeps none either; its list is mirrored for the workers here too, so a lost Redis copy heals.
  const pausedTenants = await listPausedTenants(db);
  await mirrorPausedTenants(producer.connection, producer.prefix, pausedTenants);
  const existing = new Map((await listSchedulers(queue)).map((s) => [s.id, s]));
  const report: ReconcileReport = { created: [], updated: [], removed: [], unchanged: 0, invalid: [] };
  const wanted = new Set<string>();

  for (const row of rows) {
    const cron = scheduledCron(row);
    if (cron === null || row.empresa_id === null) continue;
    if (paused.has(`${row.empresa_id}/${row.id}`) || pausedTenants.includes(row.empresa_id)) continue;
    const id = schedulerIdOf(row.empresa_id, row.id);
    const payload = scheduledPayload(row, row.empresa_id);
    const current = existing.get(id);
    try {
      // Checked even when unchanged: a cron scheduled before the rules refused it (4 fields) is unscheduled now.
      nextCronTime(cron, options.tz);
      if (current && sameSchedule(current, cron, options.tz, 'integration.run', payload)) {
        wanted.add(id);
        report.unchanged += 1;
        continue;
      }
      await upsertScheduler(queue, 'get', { id, pattern: cron, tz: options.tz, name: 'integration.run', data: payload });
      wanted.add(id);
      (current ? report.updated : report.created).push(id);
    } catch (err) {
      if (!(err instanceof InvalidCronError)) throw err;
      const invalid = { empresaId: row.empresa_id, integracaoId: row.id, nome: row.nome, cron, reason: err.reason('en') };
      report.invalid.push({ ...invalid, motivo: err.reason('pt-BR') });
      logger?.warn(invalid, 'invalid cron, integration not scheduled');
    }
  }

  // Seed 003's JSON endpoint services with a cron, on the same queue (their cron was checked when saved; one edited
  // in the database by hand and broken is logged and left unscheduled).
  for (const servico of await listScheduledServicos(db)) {
    const id = endpointSchedulerIdOf(servico.empresaId, servico.id);
    const payload = scheduledSyncPayload(servico);
    const current = existing.get(id);
    if (current && sameSchedule(current, servico.cron, options.tz, 'endpoint.sync', payload)) {
      wanted.add(id);
      report.unchanged += 1;
      continue;
    }
    try {
      await upsertScheduler(queue, 'get', { id, pattern: servico.cron, tz: options.tz, name: 'endpoint.sync', data: payload });
      wanted.add(id);
      (current ? report.updated : report.created).push(id);
    } catch (err) {
      if (!(err instanceof InvalidCronError)) throw err;
      logger?.warn(
        { empresaId: servico.empresaId, servicoId: servico.id, cron: servico.cron },
        'invalid cron, endpoint service not scheduled',
      );
    }
  }

  // Only ids this fleet made are touched: a scheduler someone else added to the queue is not ours to remove.
  for (const id of existing.keys()) {
    if (wanted.has(id) || !isFleetSchedulerId(id)) continue;
    if (await removeScheduler(queue, id)) report.removed.push(id);
  }
  return report;
}
