import { type ScheduleReconciler, startScheduleReconciler } from '@integrador/integrador';
import { createLogger } from '@integrador/logging';
import { JobProducer } from '@integrador/queue';
import type { WorkerDeps, WorkerServices } from '@integrador/runtime';

/**
 * worker-get's schedule service: reconciles the GET schedulers with integracao.cron (and the endpoint services' with
 * servicos_endpoint.cron) at start and every
 * SCHEDULE_SYNC_INTERVAL_MS, on the worker's own Redis connection; stops on shutdown before Redis closes.
 */
export function startGetSchedules(deps: WorkerDeps, services: WorkerServices): ScheduleReconciler {
  const logger = deps.logger.child({ service: 'schedules' });
  const producer = new JobProducer({
    connection: services.redis,
    prefix: deps.config.keyPrefix,
    timeoutMs: deps.config.redisCommandTimeoutMs,
    logger: createLogger({ name: 'schedules', level: deps.config.logLevel, pretty: deps.config.logPretty }),
  });
  const reconciler = startScheduleReconciler({
    db: deps.database.db,
    producer,
    tz: deps.config.scheduleTimezone,
    intervalMs: deps.config.scheduleSyncIntervalMs,
    logger,
  });
  services.shutdown.add('schedules', async () => {
    await reconciler.stop();
    await producer.close();
  });
  return reconciler;
}
