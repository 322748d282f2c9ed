export {
  type CompiledComponent,
  type CompiledMapping,
  type CompiledSet,
  type CompiledSetDefinition,
  compileSetDefinition,
} from './compile-set';
export { connectionRetryOf } from './connection-retry';
export type { HeldRecord } from './held-records';
export { limitedTransport } from './limited-transport';
export { PermanentError } from './permanent-error';
export { givenParametros, type PrepareContext, type PreparedRecord, type PreparedSet, prepareSet } from './prepare-set';
export { type RecordInFlight, RecordsInFlightError } from './records-in-flight';
export { previewSet, previewSetWithoutReceptor, runInfo } from './run-info';
export { runSet, type SetRecordOutcome, type SetRunContext, type SetRunResult } from './run-set';
export { type ComponentDefinition, loadSetDefinition, type SetDefinition } from './set-definition.repository';
export { cachedSetTargets, pushTransportOf, resolveSetTarget, type SetTarget } from './set-target';
export { runInputs, type UpstreamValues, upstreamValueOf } from './upstream-values';
