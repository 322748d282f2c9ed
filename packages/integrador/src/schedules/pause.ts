import { type JobProducer, removeScheduler, setTenantPausedMirror } from '@integrador/queue';
import {
  assertChangeableBy,
  type Database,
  type FilialCaller,
  findIntegracao,
  listGetIntegracoes,
  recordAudit,
  setSchedulePaused,
  setTenantPaused,
} from '@integrador/store';
import type { Kysely } from 'kysely';
import { reconcileSchedules, scheduledCron } from './reconcile-schedules';
import { schedulerIdOf } from './schedule-ids';

/** What pausing acts on: the CRM database and the queues (the dashboard's actions and the CLI pass theirs). */
export interface PauseDeps {
  db: Kysely<Database>;
  producer: JobProducer;
  /** SCHEDULE_TIMEZONE: with it, a resumed schedule is back at once; without, at worker-get's next sync. */
  scheduleTimezone?: string | undefined;
}

/** Who pauses, for the pause row and the audit (an operador's login, `api:<prefix>`, `cli`). */
export interface PauseActor {
  autor: string;
  operadorId: number | null;
}

/**
 * A pause asked of a GET integration the reconciler keeps no schedule for (scheduledCron: no cron, inactive or a
 * componente): there is nothing to pause, it runs only when someone runs it. 409; each caller words it (the dashboard's
 * catalogue, the CLI's).
 */
export class NoScheduleError extends Error {
  override name = 'NoScheduleError';
  readonly statusCode = 409;
  readonly code = 'NO_SCHEDULE';
  readonly params: Record<string, string>;
  constructor(readonly integracaoId: number) {
    super(`integracao #${integracaoId} has no schedule (no cron, inactive or a componente): there is nothing to pause`);
    this.params = { id: String(integracaoId) };
  }
}

/**
 * Pauses or resumes one GET schedule of the caller's empresa; false when the integration is not the caller's (another
 * empresa's, another filial's, or not a GET). A filial caller reads the empresa-wide integracoes but pauses only its own
 * filial's schedules (FilialScopeError). Only a scheduled GET (scheduledCron) can be paused: NoScheduleError otherwise,
 * nothing written; a resume is always taken (a row paused before its cron was emptied can be resumed). The reconciler
 * keeps no scheduler for a paused row; it is removed at once.
 */
export async function pauseGetSchedule(
  deps: PauseDeps,
  caller: FilialCaller,
  actor: PauseActor,
  integracaoId: number,
  paused: boolean,
): Promise<boolean> {
  const { empresaId } = caller;
  const integracao = await findIntegracao(deps.db, { empresaId, filialId: caller.filialId, nome: '' }, integracaoId);
  if (integracao?.tipo_servico !== 'GET') return false;
  assertChangeableBy(caller, integracao.empresa_filial_id, `integracao #${integracaoId}`);
  if (paused && scheduledCron(integracao) === null) throw new NoScheduleError(integracaoId);
  await setSchedulePaused(deps.db, empresaId, integracaoId, paused, actor.autor);
  if (paused)
    await deps.producer.read('pause schedule', () => removeScheduler(deps.producer.queue('get'), schedulerIdOf(empresaId, integracaoId)));
  else if (deps.scheduleTimezone) await reconcileSchedules(deps.db, deps.producer, { tz: deps.scheduleTimezone });
  await recordAudit(deps.db, {
    autor: actor.autor,
    operadorId: actor.operadorId,
    empresaId,
    acao: paused ? 'pause-schedule' : 'resume-schedule',
    alvo: `integracao/${integracaoId}`,
    quantidade: 1,
  });
  return true;
}

/** How a tenant pause or resume went. */
export interface TenantPauseResult {
  /** The GET schedulers removed (pause). */
  schedules: number;
  /** The held jobs promoted to run (resume). */
  released: number;
}

/**
 * Pauses or resumes a whole empresa: its GET schedules keep no job scheduler and the workers hold its queued jobs
 * (delayed, no attempt used) until the resume, which promotes them at once. Intake goes on. Undefined when the
 * empresa does not exist; FilialScopeError for a filial caller (the whole empresa is no filial's object).
 */
export async function pauseTenantWork(
  deps: PauseDeps & { keyPrefix: string },
  caller: FilialCaller,
  actor: PauseActor,
  paused: boolean,
): Promise<TenantPauseResult | undefined> {
  const { empresaId } = caller;
  const empresa = await deps.db.selectFrom('empresas').select('id').where('id', '=', empresaId).executeTakeFirst();
  if (!empresa) return undefined;
  assertChangeableBy(caller, null, `empresa #${empresaId}`);
  await setTenantPaused(deps.db, empresaId, paused, actor.autor);
  const released = await deps.producer.read(paused ? 'pause tenant' : 'resume tenant', () =>
    setTenantPausedMirror(deps.producer, deps.keyPrefix, empresaId, paused),
  );
  const schedules = (await listGetIntegracoes(deps.db, empresaId)).map((row) => schedulerIdOf(empresaId, row.id));
  if (paused) for (const id of schedules) await deps.producer.read('pause tenant', () => removeScheduler(deps.producer.queue('get'), id));
  else if (deps.scheduleTimezone) await reconcileSchedules(deps.db, deps.producer, { tz: deps.scheduleTimezone });
  await recordAudit(deps.db, {
    autor: actor.autor,
    operadorId: actor.operadorId,
    empresaId,
    acao: paused ? 'pause-tenant' : 'resume-tenant',
    alvo: `empresa/${empresaId}`,
    quantidade: paused ? schedules.length : released,
    detalhe: paused ? { agendamentos: schedules.length } : { jobsLiberados: released },
  });
  return { schedules: paused ? schedules.length : 0, released: paused ? 0 : released };
}
