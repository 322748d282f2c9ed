import { type Connection, type ConnectionsRegistry, connectionFingerprint, type DatabaseConnection } from '@integrador/connections';
import type { IntegrationRunPayload } from '@integrador/jobs';
import { classifySourceError, openSourceReader, type SourceReader } from '@integrador/sources';
import { abandonSyncRuns, type CrmDatabase } from '@integrador/store';
import { GetConfigError } from './get-errors';

/** The ERP source readers of one process, one per connection (its pool shared by the runs); closed at shutdown. */
export interface SourceReaderFactory {
  /**
   * The reader of a database connection; GetConfigError for a connection of another kind. A definition that changed
   * since its reader opened (another password, host…) gets a new reader and the old one is closed.
   */
  readerFor(connection: Connection): Promise<SourceReader>;
  /** Closes the readers whose connection `connections` no longer defines, or defines otherwise (after a reload). */
  retireChanged(connections: ConnectionsRegistry): Promise<void>;
  /** Closes every reader it opened; a shutdown step. */
  close(): Promise<void>;
}

export interface SourceReaderFactoryOptions {
  /**
   * The process's connections: when a source refuses a reader's login, that reader is dropped, these are read again
   * (`reload`: the file may hold a new password by now) and every reader whose definition changed is closed, all
   * before the failure reaches the run, so the next attempt logs in with what the file says now.
   */
  connections?: ConnectionsRegistry;
  /** Told what a refused login led to: the connections whose definition changed, or why the reload failed. */
  onReload?: (outcome: { refused: string; changed: string[]; error?: Error }) => void;
}

interface CachedReader {
  fingerprint: string;
  reader: Promise<SourceReader>;
}

/**
 * The reader with its failures watched: a refused login drops it (`drop`) before the error goes on. Its pool would
 * otherwise keep building connections from the definition that no longer logs in until the process restarts.
 */
function watchLogins(reader: SourceReader, refused: () => Promise<void>): SourceReader {
  const check = async (error: unknown): Promise<never> => {
    if (classifySourceError(reader.driver, error) === 'LOGIN_REFUSED') await refused();
    throw error;
  };
  return {
    driver: reader.driver,
    async *stream(query, options) {
      try {
        yield* reader.stream(query, options);
      } catch (error) {
        await check(error);
      }
    },
    query: (query) => reader.query(query).catch(check),
    close: () => reader.close(),
  };
}

/** A process's source reader factory (injected into the GET processor, never a module-level cache). */
export function createSourceReaderFactory(options: SourceReaderFactoryOptions = {}): SourceReaderFactory {
  const readers = new Map<string, CachedReader>();
  /** Forgets and closes one cached reader, unless another has taken its place meanwhile. */
  const retire = async (name: string, cached: CachedReader): Promise<void> => {
    if (readers.get(name) !== cached) return;
    readers.delete(name);
    await cached.reader.then((reader) => reader.close()).catch(() => {});
  };
  const retireChanged = async (connections: ConnectionsRegistry): Promise<void> => {
    const stale = [...readers].filter(([name, cached]) => {
      const current = connections.get(name);
      return !current || connectionFingerprint(current) !== cached.fingerprint;
    });
    await Promise.all(stale.map(([name, cached]) => retire(name, cached)));
  };
  const refused = async (connection: DatabaseConnection, cached: CachedReader): Promise<void> => {
    await retire(connection.name, cached);
    const { connections, onReload } = options;
    if (!connections) return;
    try {
      const changed = await connections.reload();
      await retireChanged(connections);
      onReload?.({ refused: connection.name, changed });
    } catch (error) {
      // A file that no longer loads: the definitions in use stay; the refused reader is gone all the same.
      onReload?.({ refused: connection.name, changed: [], error: error as Error });
    }
  };
  const open = (connection: DatabaseConnection): CachedReader => {
    const cached: CachedReader = {
      fingerprint: connectionFingerprint(connection),
      reader: openSourceReader(connection).then((reader) => watchLogins(reader, () => refused(connection, cached))),
    };
    // A refused host (outbound guard) is not kept: a fixed connections file is tried again.
    cached.reader.catch(() => {
      if (readers.get(connection.name) === cached) readers.delete(connection.name);
    });
    return cached;
  };
  return {
    readerFor(connection) {
      if (connection.kind !== 'database')
        throw new GetConfigError(
          'GET_CONFIG',
          `conexao "${connection.name}" is a ${connection.kind} connection; a GET pull reads a database (tipo database in the connections file)`,
        );
      let cached = readers.get(connection.name);
      if (cached && cached.fingerprint !== connectionFingerprint(connection)) {
        void retire(connection.name, cached);
        cached = undefined;
      }
      if (!cached) {
        cached = open(connection);
        readers.set(connection.name, cached);
      }
      return cached.reader;
    },
    retireChanged,
    async close() {
      const open = [...readers.values()];
      readers.clear();
      await Promise.allSettled(open.map(async (cached) => (await cached.reader).close()));
    },
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
