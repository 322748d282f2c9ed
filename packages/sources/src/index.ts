export type { SourceQuery, SourceReader, SourceRow, StreamOptions } from './source-reader';
