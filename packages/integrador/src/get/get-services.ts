import type { Connection, DatabaseConnection } from '@integrador/connections';
import type { IntegrationRunPayload } from '@integrador/jobs';
import { openSourceReader, type SourceReader } from '@integrador/sources';
import { abandonSyncRuns, type CrmDatabase } from '@integrador/store';
import { GetConfigError } from './get-errors';

/** The ERP source readers of one process, one per connection (its pool shared by the runs); closed at shutdown. */
export interface SourceReaderFactory {
  /** The reader of a database connection; GetConfigError for a connection of another kind. */
  readerFor(connection: Connection): Promise<SourceReader>;
  /** Closes every reader it opened; a shutdown step. */
  close(): Promise<void>;
}

/** A process's source reader factory (injected into the GET processor, never a module-level cache). */
export function createSourceReaderFactory(): SourceReaderFactory {
  const readers = new Map<DatabaseConnection, Promise<SourceReader>>();
  return {
    readerFor(connection) {
      if (connection.kind !== 'database')
        throw new GetConfigError(
          'GET_CONFIG',
          `conexao "${connection.name}" is a ${connection.kind} connection; a GET pull reads a database (tipo database in the connections file)`,
        );
      let reader = readers.get(connection);
      if (!reader) {
        reader = openSourceReader(connection);
        readers.set(connection, reader);
        // A refused host (outbound guard) is not kept: a fixed connections file is tried again.
        reader.catch(() => readers.delete(connection));
      }
      return reader;
    },
    async close() {
      const open = [...readers.values()];
      readers.clear();
      await Promise.allSettled(open.map(async (reader) => (await reader).close()));
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
