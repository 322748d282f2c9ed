import { CompiledQuery, Kysely, MssqlDialect } from 'kysely';
import * as tarn from 'tarn';
import * as tedious from 'tedious';
import { assertChunkSize, raceAbort } from '../chunks';
import type { SourceReaderOptions } from '../reader-options';
import { withDefaults } from '../reader-options';
import type { SourceReader, SourceRow } from '../source-reader';
import type { SourceTarget } from '../source-target';

// Kysely's MssqlDialect (tedious + tarn) streams: each chunk is read from a paused request, and leaving the stream
// early cancels the request. Its parameters are @1, @2… — what compileTemplate(…, 'mssql') writes.

/** A boolean setting from the connection's options, else its URL's query string (?encrypt=false), else the default. */
function flag(target: SourceTarget, name: string, fallback: boolean): boolean {
  const option = target.options[name];
  if (typeof option === 'boolean') return option;
  const text = target.url ? new URL(target.url).searchParams.get(name) : null;
  return text === null ? fallback : text === 'true' || text === '1' || text === 'yes';
}

/** tedious' configuration for a target (the password is in it: never log it). */
export function tediousConfig(target: SourceTarget, connectTimeoutMs: number): tedious.ConnectionConfiguration {
  const instanceName = typeof target.options.instanceName === 'string' ? target.options.instanceName : undefined;
  return {
    server: target.host ?? 'localhost',
    authentication: { type: 'default', options: { userName: target.user, password: target.password } },
    options: {
      ...(instanceName ? { instanceName } : { port: target.port }),
      database: target.database || undefined,
      // TLS on and the certificate checked by default, as tedious does; a LAN server with a self-signed one sets trustServerCertificate.
      encrypt: flag(target, 'encrypt', true),
      trustServerCertificate: flag(target, 'trustServerCertificate', false),
      connectTimeout: connectTimeoutMs,
      requestTimeout: 0, // a full refresh streams for as long as it takes; aborts cancel it
      // DATETIME has no zone: read it in the worker's zone, as the PostgreSQL and MySQL readers do.
      useUTC: false,
      appName: 'integrador',
    },
  };
}

/** A SQL Server source: BIGINT as strings and DECIMAL/NUMERIC as numbers (tedious' own types), DATETIME as Date. */
export function openMssqlReader(target: SourceTarget, options?: SourceReaderOptions): SourceReader {
  const { poolSize, connectTimeoutMs } = withDefaults(options);
  const config = tediousConfig(target, connectTimeoutMs);
  const db = new Kysely<unknown>({
    dialect: new MssqlDialect({
      tarn: { ...tarn, options: { min: 0, max: poolSize, acquireTimeoutMillis: connectTimeoutMs + 5_000 } },
      tedious: { ...tedious, connectionFactory: () => new tedious.Connection(config) },
    }),
  });
  let closed: Promise<void> | undefined;
  return {
    driver: 'mssql',
    async *stream(query, { chunkSize, signal }) {
      assertChunkSize(chunkSize);
      signal?.throwIfAborted();
      const results = db.getExecutor().stream<SourceRow>(CompiledQuery.raw(query.sql, [...query.parameters]), chunkSize);
      try {
        while (true) {
          signal?.throwIfAborted();
          // The driver keeps its connection to itself: an abort ends the iteration now, and the request is
          // cancelled by the stream's own cleanup once its pending chunk arrives.
          const next = await raceAbort(results.next(), signal, () => {});
          if (next.done) return;
          if (next.value.rows.length > 0) yield next.value.rows;
        }
      } finally {
        const cleanup = results.return?.(undefined)?.catch(() => {});
        if (!signal?.aborted) await cleanup;
      }
    },
    async query(query) {
      return [...(await db.executeQuery<SourceRow>(CompiledQuery.raw(query.sql, [...query.parameters]))).rows];
    },
    close() {
      closed ??= db.destroy();
      return closed;
    },
  };
}
