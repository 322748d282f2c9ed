export { Coalescer, type CoalescerStats, type GroupFailure, reportGroupFailuresTo } from './coalescer';
export { type CompiledStatement, compiledStatement } from './compiled-statement';
export {
  type CrmDatabase,
  createDatabase,
  DatabaseUrlError,
  type DialectName,
  dialectOf,
  dialectOfHandle,
  hotStatementsOf,
  sqlitePath,
} from './create-database';
export {
  type CustomerRef,
  customerSearchNeedsEmpresa,
  customersMatching,
  documentDigits,
  foldText,
  MAX_CUSTOMERS,
} from './customer-search';
export {
  claimExecucao,
  concludeExecucoesInScope,
  type Execucao,
  type ExecucaoKey,
  listExecucoesOfJob,
  listTentativas,
  markSending,
  OUTBOX_KEY_MAX_LENGTH,
  RecordBusyError,
  recordClaimOf,
  recordTentativa,
  sendAttemptsOfJobs,
  setExecucaoStatus,
  type TentativaOutcome,
  type TentativaRecord,
} from './execucoes.repository';
export {
  assertChangeableBy,
  changeableBy,
  type FilialCaller,
  FilialScopeError,
  readableBy,
  whereReadableBy,
} from './filial-scope';
export { getOrCreate } from './get-or-create';
export { pingDatabase } from './health';
export {
  claimHeldExecucao,
  concludeNotWrittenBack,
  findHeldExecucoes,
  findHeldExecucoesGrouped,
  findOwnRow,
  type HeldExecucao,
  heldByOf,
  heldLookupStats,
  markHeldBy,
  type NotWrittenBack,
  releaseHeldRecord,
  releaseHoldFor,
  returnKeysOf,
} from './held-records.repository';
export {
  type CampoIntegracao,
  type ConexaoIntegracao,
  type Dependencia,
  findIntegracao,
  findIntegracaoDetail,
  findTenantConexao,
  type Integracao,
  type IntegracaoDetail,
  type IntegracaoWithPause,
  type IntegradorConfiguration,
  listConexoesOfEmpresas,
  listIntegracoes,
  listIntegracoesWithPause,
  listTenantConexoes,
  loadConfiguration,
  type Regra,
  tenantConexoesQuery,
} from './integracao.repository';
export { withoutConnectionsFileDetail } from './legacy-connection-text';
export {
  type LimiteScope,
  type LimiteTenant,
  type LimiteValues,
  listLimites,
  removeLimite,
  upsertLimite,
} from './limites.repository';
export {
  assertSchemaCurrent,
  MigrationError,
  type MigrationStatus,
  migrateDownAll,
  migrateTo,
  migrateToLatest,
  migrationStatus,
  NewerSchemaError,
  SchemaBehindError,
} from './migrate';
export { GET_SYNC_TABLES } from './migrations/003-get-sync';
export { DEFAULT_SERVICE_LIMIT } from './migrations/004-servicos-endpoint';
export { GUARDED_TABLES } from './migrations/007-tenant-guard';
export { CTI_PHONE_COLUMNS } from './migrations/008-cti';
export { type LoadOutcome, loadDataLocal } from './mysql-load';
export {
  type AuditEntry,
  type AuditoriaAcao,
  authenticateOperador,
  createOperador,
  createSessao,
  deleteSessao,
  findSessao,
  latestAudit,
  listAudit,
  listOperadores,
  type Operador,
  type OperadorInput,
  recordAudit,
} from './operadores.repository';
export { markOrphanedBy, orphanMarkOf, takeOverOrphan } from './orphaned-claims.repository';
export { outboxGroupsOf } from './outbox-groups';
export { copyFromText } from './pg-copy';
export { canPipeline, executePipelined, type PipelinedResult } from './pg-pipeline';
export { type HotStatements, isPreparedStatementRefusal } from './pg-prepared';
export { pgUnnest, sameLengthColumns, type UnnestColumn } from './pg-unnest';
export { pgWallClock } from './pg-wall-clock';
export {
  countByHour,
  countByState,
  countJobRecords,
  type FailureParams,
  findJobRecord,
  groupJobRecords,
  type JobEvent,
  type JobFilter,
  type JobRecordGroup,
  listJobKeys,
  markJobRecords,
  type RegistroJob,
  recordJobEvent,
  recordJobEvents,
  recordParameters,
  searchJobRecords,
  searchText,
  type TenantScope,
} from './registro-jobs.repository';
export {
  CANCELLED_BY_DISABLING,
  findPurgeCandidates,
  listEmpresaIds,
  PURGE_CLASS,
  PURGE_KINDS,
  type PurgeBatch,
  type PurgeCandidate,
  type PurgeCursor,
  type PurgedCounts,
  type PurgedTable,
  type PurgeKind,
  purgeCandidates,
} from './retention.repository';
export { listGetIntegracoes, listPausedSchedules, listPausedTenants, setSchedulePaused, setTenantPaused } from './schedules.repository';
export type * from './schema';
export { ESTADOS_REGISTRO_JOB, MAX_ROW_ID, ORIGEM_CRM } from './schema';
export {
  type AutenticacaoEndpoint,
  createServicoEndpoint,
  deleteServicoEndpoint,
  findServicoEndpoint,
  listScheduledServicos,
  listServicosEndpoint,
  recordServicoRun,
  type ScheduledServico,
  ServiceNameTakenError,
  ServiceQuotaExceededError,
  type ServicoEndpoint,
  type ServicoEndpointEvento,
  type ServicoEndpointInput,
  type StatusEndpoint,
  type StatusMotivo,
  serviceLimitOf,
  setPermitirRedePrivada,
  setServiceLimit,
  type TipoEventoEndpoint,
  updateServicoEndpoint,
} from './servicos-endpoint.repository';
export {
  abandonSyncRuns,
  acquireSyncLease,
  addSyncRunCounts,
  type CursorKey,
  ensureSyncState,
  findCursorKeys,
  findSyncRun,
  findSyncState,
  finishSyncRun,
  type LeaseOutcome,
  type LeaseRequest,
  lastSyncRun,
  listSyncRuns,
  renewSyncLease,
  type SyncRun,
  type SyncRunStart,
  type SyncState,
  type SyncStatePatch,
  saveCursorKeys,
  startSyncRun,
  timestampMs,
  timestampValue,
  updateSyncState,
} from './sincronizacao.repository';
export { runPerRow } from './sqlite-batch';
export { isRowValueError, isStatementError } from './statement-error';
export {
  installTenantGuard,
  isTenantGuardViolation,
  TENANT_GUARD_MARKER,
  withTenantScope,
} from './tenant-guard';
export {
  createEmpresa,
  createFilial,
  findTenantByApiKey,
  hashApiKeySecret,
  issueApiKey,
  listFiliais,
  parseApiKey,
  revokeApiKey,
  type Tenant,
} from './tenants.repository';
export { isUniqueViolation } from './unique-violation';
