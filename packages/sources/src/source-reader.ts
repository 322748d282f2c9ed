import type { DatabaseDriver } from '@integrador/connections';

/** A statement for the source database: SQL with the driver's own placeholders and its bound values. */
export interface SourceQuery {
  /** `$1` (postgres), `?` (mysql, sqlite, firebird), `@1` (mssql), `:1` (oracle). */
  sql: string;
  parameters: readonly unknown[];
}

/** One row as the source returns it: column names as the database spells them (Oracle and Firebird upper-case unquoted names). */
export type SourceRow = Record<string, unknown>;

export interface StreamOptions {
  /** Rows per chunk; memory is bounded by one chunk (plus the driver's own fetch buffer). */
  chunkSize: number;
  /** Aborts the query and closes its cursor. */
  signal?: AbortSignal;
}

/**
 * Reads a customer's ERP database for GET pulls. One reader holds one pool/connection to one source;
 * `stream` never loads a whole result in memory.
 */
export interface SourceReader {
  readonly driver: DatabaseDriver;
  /** Streams the rows of a query in chunks of at most `chunkSize` rows. */
  stream(query: SourceQuery, options: StreamOptions): AsyncIterable<SourceRow[]>;
  /** Runs a small query (a lookup, a count) and returns every row. */
  query(query: SourceQuery): Promise<SourceRow[]>;
  /** Releases the pool/connection; safe to call twice. */
  close(): Promise<void>;
}
