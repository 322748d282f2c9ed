// The part of node-odbc's API this reader uses, declared here: node-odbc is an optional native dependency that is
// absent where unixODBC is not installed, and the typecheck must not depend on it.

/** A column description of a result (node-odbc's `ColumnDefinition`). */
export interface OdbcColumn {
  name: string;
  dataType: number;
}

/** A fetched batch of rows with its column descriptions. */
export type OdbcResult<T> = T[] & { columns: OdbcColumn[] };

/** A statement cursor opened with `{ cursor: true }`. */
export interface OdbcCursor {
  noData: boolean;
  fetch<T>(): Promise<OdbcResult<T>>;
  close(): Promise<void>;
}

/** An open connection. */
export interface OdbcConnection {
  query<T>(sql: string, parameters?: (number | string)[]): Promise<OdbcResult<T>>;
  query<T>(sql: string, parameters: (number | string)[], options: { cursor: true; fetchSize: number }): Promise<OdbcCursor>;
  close(): Promise<void>;
}

/** The module's entry point. */
export interface OdbcModule {
  connect(options: { connectionString: string; connectionTimeout?: number; loginTimeout?: number }): Promise<OdbcConnection>;
}
