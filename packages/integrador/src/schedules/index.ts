export {
  type EndpointScheduleEntry,
  type LastRun,
  type ListSchedulesOptions,
  listEndpointSchedules,
  listSchedules,
  listTenantSchedules,
  type ScheduleEntry,
  type ScheduleStatus,
  type TenantScheduleEntry,
  type TenantSchedules,
} from './list-schedules';
export {
  NoScheduleError,
  type PauseActor,
  type PauseDeps,
  pauseGetSchedule,
  pauseTenantWork,
  type TenantPauseResult,
} from './pause';
export {
  type InvalidSchedule,
  type ReconcileReport,
  reconcileSchedules,
  scheduledCron,
  scheduledPayload,
  scheduledSyncPayload,
} from './reconcile-schedules';
export { endpointSchedulerIdOf, parseSchedulerId, schedulerIdOf } from './schedule-ids';
export { type ScheduleReconciler, startScheduleReconciler } from './schedule-reconciler';
