import type { Logger } from '@integrador/logging';
import type { JobProducer } from '@integrador/queue';
import type { Database } from '@integrador/store';
import type { Kysely } from 'kysely';
import { type ReconcileReport, reconcileSchedules } from './reconcile-schedules';

export interface ScheduleReconcilerOptions {
  db: Kysely<Database>;
  producer: JobProducer;
  tz: string;
  intervalMs: number;
  logger: Logger;
}

/** A running reconcile loop. */
export interface ScheduleReconciler {
  /** Resolves after the first reconcile (successful or not). */
  ready: Promise<void>;
  /** Reconciles now (waits for one already running instead of overlapping it). */
  runOnce(): Promise<ReconcileReport | undefined>;
  /** Stops the timer and waits for a reconcile in flight. */
  stop(): Promise<void>;
}

function changed(report: ReconcileReport): boolean {
  return report.created.length + report.updated.length + report.removed.length + report.invalid.length > 0;
}

/**
 * Reconciles the GET schedulers at start and then every `intervalMs`, so edits to integracao.cron / ativo apply
 * without a restart. A failed round (Redis or the database down) is logged and retried at the next tick.
 */
export function startScheduleReconciler(options: ScheduleReconcilerOptions): ScheduleReconciler {
  const { logger } = options;
  let inFlight: Promise<ReconcileReport | undefined> | undefined;
  let stopped = false;

  const round = async (): Promise<ReconcileReport | undefined> => {
    try {
      const report = await reconcileSchedules(options.db, options.producer, { tz: options.tz }, logger);
      const summary = {
        created: report.created.length,
        updated: report.updated.length,
        removed: report.removed.length,
        unchanged: report.unchanged,
        invalid: report.invalid.length,
      };
      if (changed(report)) logger.info(summary, 'schedules reconciled');
      else logger.debug(summary, 'schedules reconciled');
      return report;
    } catch (err) {
      logger.warn({ err }, 'schedule reconcile failed, retrying at the next interval');
      return undefined;
    }
  };
  const runOnce = () => {
    inFlight ??= round().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };

  const ready = runOnce().then(() => undefined);
  const timer = setInterval(() => {
    if (!stopped) void runOnce();
  }, options.intervalMs);
  timer.unref();
  return {
    ready,
    runOnce,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await inFlight;
    },
  };
}
