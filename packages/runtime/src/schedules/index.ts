export { startGetSchedules } from './get-schedules.service';
export { type LastRun, listSchedules, type ScheduleEntry, type ScheduleStatus } from './list-schedules';
export { type InvalidSchedule, type ReconcileReport, reconcileSchedules, scheduledCron, scheduledPayload } from './reconcile-schedules';
export { parseSchedulerId, schedulerIdOf } from './schedule-ids';
export { type ScheduleReconciler, startScheduleReconciler } from './schedule-reconciler';
