// oracledb ships no TypeScript types (and @types/oracledb trails the driver's major versions): the part the Oracle
// reader and the connection test use.
declare module 'oracledb' {
  interface DbType {
    readonly name: string;
  }
  interface Metadata {
    readonly name: string;
    readonly dbType: DbType;
    readonly precision?: number;
    readonly scale?: number;
  }
  interface FetchTypeResult {
    type?: DbType;
    converter?: (value: unknown) => unknown;
  }
  interface ExecuteOptions {
    resultSet?: boolean;
    outFormat?: number;
    fetchArraySize?: number;
    prefetchRows?: number;
    fetchTypeHandler?: (metadata: Metadata) => FetchTypeResult | undefined;
  }
  interface ResultSet<T> {
    getRows(count: number): Promise<T[]>;
    close(): Promise<void>;
  }
  interface Result<T> {
    rows?: T[];
    resultSet?: ResultSet<T>;
  }
  interface Connection {
    readonly oracleServerVersionString: string;
    execute<T>(sql: string, binds?: unknown[], options?: ExecuteOptions & { autoCommit?: boolean }): Promise<Result<T>>;
    executeMany(sql: string, binds: unknown[][], options?: { autoCommit?: boolean }): Promise<unknown>;
    break(): Promise<void>;
    close(): Promise<void>;
  }
  interface PoolAttributes {
    user?: string;
    password?: string;
    connectString: string;
    poolMin?: number;
    poolMax?: number;
    poolIncrement?: number;
    queueTimeout?: number;
    connectTimeout?: number;
    transportConnectTimeout?: number;
  }
  interface Pool {
    getConnection(): Promise<Connection>;
    close(drainTime?: number): Promise<void>;
  }
  interface ConnectionAttributes {
    user?: string;
    password?: string;
    connectString: string;
    connectTimeout?: number;
    transportConnectTimeout?: number;
  }
  const oracledb: {
    readonly OUT_FORMAT_OBJECT: number;
    readonly STRING: DbType;
    readonly DB_TYPE_NUMBER: DbType;
    readonly DB_TYPE_CLOB: DbType;
    readonly DB_TYPE_NCLOB: DbType;
    createPool(attributes: PoolAttributes): Promise<Pool>;
    getConnection(attributes: ConnectionAttributes): Promise<Connection>;
  };

  export type { Connection, ConnectionAttributes, ExecuteOptions, Metadata, Pool, PoolAttributes, ResultSet };
  export default oracledb;
}
