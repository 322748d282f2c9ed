export { ADMISSION_CACHE_TTL_MS, type AdmissionCacheOptions, type CachedAdmit, cachedAdmission } from './admission-cache';
export {
  type AdmissionRequest,
  type AdmittedRun,
  admitRun,
  completeAdmission,
  type LoadedAdmission,
  loadAdmission,
  loadPlanRows,
  type RunCaller,
  type RunPurpose,
} from './admit-run';
export { connectionUsableBy } from './connection-use';
export {
  createJobAdmission,
  type EnqueuedRun,
  type EnqueuedStep,
  enqueueIntegrationRun,
  enqueuePlannedRun,
  type RunRequest,
  StepQueueUnavailableError,
} from './enqueue-run';
export { rowVisibleTo } from './row-visibility';
export { type CodedError, ForeignRowError, isConfigurationRefusal, isPermanent, type RunRefusalCode, RunRefusedError } from './run-errors';
export {
  flowRefusalOf,
  type RefusedAction,
  RUN_REFUSAL_MESSAGES,
  type RunRefusal,
  type RunRefusalKey,
  runRefusalMessage,
  runRefusalOf,
} from './run-refusals';
export { isRunnableOn, queueForTipo, type RunQueue, runnability } from './runnability';
export {
  bindEngineValues,
  type CrmScope,
  ENGINE_VARIABLES,
  engineValues,
  isWriteStatement,
  type RunTenant,
  runTenantOf,
  scopeStatement,
  TenantScopeError,
  type TenantTable,
  type TenantTables,
  tenantTablesOf,
} from './tenant-scope';
