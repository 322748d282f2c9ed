import {
  type Connection,
  type ConnectionsRegistry,
  type DatabaseConnection,
  definitionReplacedAfterRefusal,
  type Pooled,
  type RefusalOutcome,
  RetiringPool,
} from '@integrador/connections';
import type { IntegrationRunPayload } from '@integrador/jobs';
import { classifySourceError, openSourceReader, type SourceReader } from '@integrador/sources';
import { abandonSyncRuns, type CrmDatabase } from '@integrador/store';
import { getConfigError } from './get-config-messages';
import { isGetSource } from './get-settings';

/** The ERP source readers of one process, one per connection definition (its pool shared by the runs); closed at shutdown. */
export interface SourceReaderFactory {
  /**
   * Runs `use` with the reader of a database connection (GetConfigError for a connection of another kind), counted as
   * one of its users until `use` settles: a reader retired by a reload of the connections file is closed only once its
   * last user is done, and a definition the file has replaced gets no reader (the run fails as transient and retries).
   */
  withReader<T>(connection: Connection, use: (reader: SourceReader) => Promise<T>): Promise<T>;
  /** Closes every reader it opened, retired ones included; a shutdown step. */
  close(): Promise<void>;
}

export interface SourceReaderFactoryOptions {
  /**
   * The process's connections: when a source refuses the login of the current definition, they are read again (the
   * file may hold a new password by now); readers whose definition changed are retired and the run fails as transient,
   * so its next attempt logs in with the new definition. A definition unchanged fails as before (LOGIN_REFUSED).
   */
  connections?: ConnectionsRegistry;
  /**
   * Told what a refused login led to: whether its definition was replaced, whether the file was read for it (not for a
   * definition already replaced, nor within the cooldown of an unchanged read), or why the file could not be read.
   */
  onReload?: (outcome: RefusalOutcome) => void;
}

/**
 * A source login refused for a definition the connections file has replaced since (or a run resolved before it was
 * replaced, renamed or removed): the attempt retries with what the file says now. Its own code, so the run's record words
 * it (JOB_FAILURE_REASONS) instead of a generic source failure.
 */
export class SourceDefinitionReplacedError extends Error {
  override name = 'SourceDefinitionReplacedError';
  readonly code = 'CONNECTION_REPLACED';
  readonly permanent = false;
}

/** A run that reached a factory already closed (its process is shutting down): transient, another attempt runs it. */
export class SourceReadersClosedError extends Error {
  override name = 'SourceReadersClosedError';
  readonly code = 'SOURCE_READERS_CLOSED';
  readonly permanent = false;
}

/** A process's source reader factory (injected into the GET processor, never a module-level cache). */
export function createSourceReaderFactory(options: SourceReaderFactoryOptions = {}): SourceReaderFactory {
  const { connections, onReload } = options;
  // By name and definition digest, retired when a reload changes the definition (closed once no run reads from it).
  const pool = new RetiringPool<Promise<SourceReader>>((reader) => reader.then((open) => open.close()), connections);

  const replaced = (connection: Connection) =>
    new SourceDefinitionReplacedError(
      `ERP source "${connection.name}": its definition was replaced in the connections file; the next attempt uses the new one`,
    );
  const refused = (connection: Connection) => definitionReplacedAfterRefusal(connections, connection, onReload);
  /** The reader with its failures watched: a refused login of a definition since replaced fails as transient. */
  const watched = (connection: Connection, reader: SourceReader): SourceReader => {
    const check = async (error: unknown): Promise<never> => {
      if (classifySourceError(reader.driver, error) === 'LOGIN_REFUSED' && (await refused(connection))) throw replaced(connection);
      throw error;
    };
    return {
      driver: reader.driver,
      async *stream(query, streamOptions) {
        try {
          yield* reader.stream(query, streamOptions);
        } catch (error) {
          await check(error);
        }
      },
      query: (query) => reader.query(query).catch(check),
      // The factory closes readers (retired ones once unused, the rest at shutdown); a run never does.
      close: async () => {},
    };
  };
  const pooledFor = (connection: DatabaseConnection): Pooled<Promise<SourceReader>> => {
    // A definition no longer current (resolved before a reload; replaced, renamed or removed) opens nothing: the run
    // retries with what the file says now.
    if (connections && !connections.isCurrent(connection)) throw replaced(connection);
    const pooled = pool.get(connection, () => openSourceReader(connection));
    // A refused host (outbound guard) is not kept: a fixed connections file is tried again.
    pooled.value.catch(() => pool.forget(pooled));
    return pooled;
  };
  return {
    async withReader(connection, use) {
      if (pool.closed)
        throw new SourceReadersClosedError(`ERP source "${connection.name}": this process is shutting down; the next attempt reads it`);
      if (!isGetSource(connection)) throw getConfigError('NOT_A_DATABASE', { conexao: connection.name, tipo: connection.kind });
      return pool.use(pooledFor(connection), async (reader) => use(watched(connection, await reader)));
    },
    close: () => pool.close(),
  };
}

/**
 * worker-get's final-failure bookkeeping: a pull that failed for good without closing its own records (its worker died
 * once too often, or the CRM was down as it failed) leaves no run "executando" and gives up its lease.
 */
export async function abandonFailedGetRun(
  database: CrmDatabase,
  job: { id?: string; name: string; data: unknown },
  err: Error,
): Promise<void> {
  if (job.name !== 'integration.run') return;
  const { tenant, integracaoId } = job.data as IntegrationRunPayload;
  await abandonSyncRuns(database.db, { empresaId: tenant.empresaId, integracaoId, jobId: String(job.id) }, err.message);
}
