import type { Connection } from './connection';
import { loadConnectionsFile } from './connections-file';
import { ConnectionsRegistry, emptyConnections } from './connections-registry';
import type { EnvMap } from './env-references';

/** What loadConnections gives a process at start. */
export interface LoadedConnections {
  /** The connections file's entries (none without a file), each with a `retry` policy when the fleet has one. */
  connections: ConnectionsRegistry;
}

/**
 * The connections file named by CONNECTIONS_FILE (secrets resolved from the environment), or none, and the fleet's
 * `setRetry` (SET_RETRY_*). A connection whose entry sets no `retry` gets `setRetry`, so a failure before the connection
 * resolves, on a connection the file does not list, or with no file at all (the process default an app sets at start,
 * runtime's loadAppConnections) goes by the same policy as one that carries its connection's. Loading changes no
 * process state.
 */
export async function loadConnections(config: {
  connectionsFile: string | undefined;
  secretSource: EnvMap;
  setRetry?: Connection['retry'];
}): Promise<LoadedConnections> {
  const { setRetry, connectionsFile } = config;
  if (!connectionsFile) return { connections: emptyConnections() };
  // `reload` reads the file again the same way (a worker does when an ERP refuses a login).
  const read = async (): Promise<ConnectionsRegistry> => {
    const registry = await loadConnectionsFile(connectionsFile, config.secretSource);
    const connections = [...registry.entries()].map(([, connection]) =>
      connection.retry || !setRetry ? connection : Object.freeze({ ...connection, retry: Object.freeze({ ...setRetry }) }),
    );
    return new ConnectionsRegistry(connections, registry.file, read);
  };
  return { connections: await read() };
}
