import type { RetryPolicy } from '@integrador/jobs';
import type { Connection } from './connection';
import { loadConnectionsFile } from './connections-file';
import { ConnectionsRegistry, emptyConnections } from './connections-registry';
import type { EnvMap } from './env-references';

/** What loadConnections gives a process at start. */
export interface LoadedConnections {
  /** The connections file's entries (none without a file), each with a `retry` policy when the fleet has one. */
  connections: ConnectionsRegistry;
  /**
   * The fleet's SET retry policy (SET_RETRY_*), undefined when none was given: the process makes it its default at start
   * (setDefaultRetryPolicy) where SET jobs are pushed or shown — loading a file changes no process state.
   */
  retryPolicy: RetryPolicy | undefined;
}

/**
 * The connections file named by CONNECTIONS_FILE (secrets resolved from the environment), or none, and the fleet's
 * `setRetry` (SET_RETRY_*). A connection whose entry sets no `retry` gets `setRetry`, so a failure before the connection
 * resolves, on a connection the file does not list, or with no file at all (the process default the caller sets from
 * `retryPolicy`) goes by the same policy as one that carries its connection's.
 */
export async function loadConnections(config: {
  connectionsFile: string | undefined;
  secretSource: EnvMap;
  setRetry?: Connection['retry'];
}): Promise<LoadedConnections> {
  const { setRetry } = config;
  const retryPolicy = setRetry ? Object.freeze({ ...setRetry }) : undefined;
  if (!config.connectionsFile) return { connections: emptyConnections(), retryPolicy };
  const registry = await loadConnectionsFile(config.connectionsFile, config.secretSource);
  if (!setRetry) return { connections: registry, retryPolicy };
  const connections = [...registry.entries()].map(([, connection]) =>
    connection.retry ? connection : Object.freeze({ ...connection, retry: Object.freeze({ ...setRetry }) }),
  );
  return { connections: new ConnectionsRegistry(connections, registry.file), retryPolicy };
}
