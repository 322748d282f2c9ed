export { openSourceReader } from './open-source-reader';
export { batchInList, batchRows, inListSize, PARAMETER_LIMITS, type ParameterLimits, rowsPerStatement } from './parameter-limits';
export type { SourceReaderOptions } from './reader-options';
export type { SourceQuery, SourceReader, SourceRow, StreamOptions } from './source-reader';
export { type SourceTarget, sourceTarget } from './source-target';
