/// <reference path="../types/oracledb.d.ts" />
import oracledb, { type ConnectionAttributes, type ExecuteOptions, type Metadata, type Pool } from 'oracledb';
import { assertChunkSize, raceAbort } from '../chunks';
import type { SourceReaderOptions } from '../reader-options';
import { withDefaults } from '../reader-options';
import type { SourceQuery, SourceReader, SourceRow, StreamOptions } from '../source-reader';
import type { SourceTarget } from '../source-target';

// The raw driver in thin mode (pure JavaScript, no Instant Client): the community kysely-oracledb dialect's streaming
// throws "Not implemented". A result set fetched `chunkSize` rows at a time keeps one chunk in memory; an abort
// sends a break to the server and closes the result set.

const INTEGER = /^-?\d+$/;

/** An Oracle NUMBER (fetched as its exact text): an integer as a number while exact, anything else as the text. */
export function oracleNumber(value: unknown): unknown {
  if (typeof value !== 'string' || !INTEGER.test(value)) return value;
  const number = Number(value);
  return Number.isSafeInteger(number) ? number : value;
}

function fetchTypeHandler(metadata: Metadata) {
  if (metadata.dbType === oracledb.DB_TYPE_NUMBER) return { type: oracledb.STRING, converter: oracleNumber };
  if (metadata.dbType === oracledb.DB_TYPE_CLOB || metadata.dbType === oracledb.DB_TYPE_NCLOB) return { type: oracledb.STRING };
  return undefined;
}

/** Easy Connect: host:port/service_name, or a full descriptor / TNS alias from options.connectString. */
export function oracleConnectAttributes(target: SourceTarget, connectTimeoutMs: number): ConnectionAttributes {
  const explicit = typeof target.options.connectString === 'string' ? target.options.connectString : undefined;
  const seconds = Math.max(1, Math.ceil(connectTimeoutMs / 1000));
  return {
    user: target.user,
    password: target.password,
    connectString: explicit ?? `${target.host}:${target.port}/${target.database}`,
    connectTimeout: seconds,
    transportConnectTimeout: seconds,
  };
}

function executeOptions(chunkSize: number): ExecuteOptions {
  return {
    resultSet: true,
    outFormat: oracledb.OUT_FORMAT_OBJECT,
    fetchArraySize: chunkSize,
    prefetchRows: chunkSize + 1,
    fetchTypeHandler,
  };
}

async function* streamRows(
  pool: () => Promise<Pool>,
  query: SourceQuery,
  { chunkSize, signal }: StreamOptions,
): AsyncGenerator<SourceRow[]> {
  assertChunkSize(chunkSize);
  signal?.throwIfAborted();
  const connection = await (await pool()).getConnection();
  const interrupt = () => void connection.break().catch(() => {});
  try {
    const result = await raceAbort(
      connection.execute<SourceRow>(query.sql, [...query.parameters], executeOptions(chunkSize)),
      signal,
      interrupt,
    );
    const resultSet = result.resultSet;
    if (!resultSet) return;
    try {
      while (true) {
        signal?.throwIfAborted();
        const rows = await raceAbort(resultSet.getRows(chunkSize), signal, interrupt);
        if (rows.length === 0) return;
        yield rows;
      }
    } finally {
      await resultSet.close().catch(() => {});
    }
  } finally {
    await connection.close().catch(() => {});
  }
}

/** An Oracle source: unquoted column names upper case, NUMBER integers as numbers while exact (else exact strings), DATE/TIMESTAMP as Date. */
export function openOracleReader(target: SourceTarget, options?: SourceReaderOptions): SourceReader {
  const { poolSize, connectTimeoutMs } = withDefaults(options);
  let created: Promise<Pool> | undefined;
  const pool = () => {
    created ??= oracledb.createPool({
      ...oracleConnectAttributes(target, connectTimeoutMs),
      poolMin: 0,
      poolMax: poolSize,
      poolIncrement: 1,
    });
    return created;
  };
  let closed: Promise<void> | undefined;
  return {
    driver: 'oracle',
    stream: (query, streamOptions) => streamRows(pool, query, streamOptions),
    async query(query) {
      const connection = await (await pool()).getConnection();
      try {
        const result = await connection.execute<SourceRow>(query.sql, [...query.parameters], {
          outFormat: oracledb.OUT_FORMAT_OBJECT,
          fetchTypeHandler,
        });
        return result.rows ?? [];
      } finally {
        await connection.close().catch(() => {});
      }
    },
    close() {
      closed ??= created ? created.then((p) => p.close(0)).catch(() => {}) : Promise.resolve();
      return closed;
    },
  };
}
