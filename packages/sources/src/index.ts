export type { TestLocale } from './connection-test/connection-test-messages';
export {
  type ConnectionTestChecks,
  type ConnectionTestOptions,
  type ConnectionTestResult,
  type ConnectionTestStep,
  type ConnectionTestStepName,
  runConnectionTest,
  testSourceConnection,
} from './connection-test/test-connection';
export type { WebServiceLogin, WebServiceLoginCheck } from './connection-test/webservice-login';
export { openSourceReader } from './open-source-reader';
export { batchInList, batchRows, inListSize, PARAMETER_LIMITS, type ParameterLimits, rowsPerStatement } from './parameter-limits';
export type { SourceReaderOptions } from './reader-options';
export { classifySourceError, redact, type SourceErrorCode, TRANSIENT_SOURCE_ERRORS } from './source-errors';
export type { SourceQuery, SourceReader, SourceRow, StreamOptions } from './source-reader';
export { type SourceTarget, sourceTarget } from './source-target';
