export { type ColumnClass, type CrmColumn, type CrmTable, describeCrmTable, upsertKeyProblem } from './crm-table';
export { type CursorType, type CursorValue, cursorOf, cursorParameter } from './cursor';
export { type GetDefinition, getDefinitionOf } from './get-definition';
export { GetConfigError, GetSideError, onCrm, SyncBusyError, SyncLeaseLostError } from './get-errors';
export {
  abandonFailedGetRun,
  createSourceReaderFactory,
  SourceDefinitionReplacedError,
  type SourceReaderFactory,
} from './get-services';
export { DEFAULT_CHUNK_SIZE, type GetMode, type GetSettings, MAX_CHUNK_SIZE, parseGetSettings } from './get-settings';
export { ENGINE_COLUMNS } from './row-mapping';
export { type GetRunContext, runGet } from './run-get';
export { buildSourceQuery } from './source-query';
