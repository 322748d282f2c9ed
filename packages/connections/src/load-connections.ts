import { setDefaultRetryPolicy } from '@integrador/jobs';
import type { Connection } from './connection';
import { loadConnectionsFile } from './connections-file';
import { ConnectionsRegistry, emptyConnections } from './connections-registry';
import type { EnvMap } from './env-references';

/**
 * The connections file named by CONNECTIONS_FILE (secrets resolved from the environment), or none. The fleet's
 * `setRetry` (SET_RETRY_*) becomes the process's default retry policy — every process that pushes or shows a SET job
 * (worker, ingress, dashboard, CLI) loads its connections at start, so this is the one place it is set — and a
 * connection whose entry sets no `retry` gets it too: a failure before the connection resolves, on a connection the
 * file does not list, or with no file at all goes by the same policy as one that carries its connection's.
 */
export async function loadConnections(config: {
  connectionsFile: string | undefined;
  secretSource: EnvMap;
  setRetry?: Connection['retry'];
}): Promise<ConnectionsRegistry> {
  const { setRetry, connectionsFile } = config;
  if (setRetry) setDefaultRetryPolicy(setRetry);
  if (!connectionsFile) return emptyConnections();
  // `reload` reads the file again the same way (a worker does when an ERP refuses a login).
  const read = async (): Promise<ConnectionsRegistry> => {
    const registry = await loadConnectionsFile(connectionsFile, config.secretSource);
    const connections = [...registry.entries()].map(([, connection]) =>
      connection.retry || !setRetry ? connection : Object.freeze({ ...connection, retry: Object.freeze({ ...setRetry }) }),
    );
    return new ConnectionsRegistry(connections, registry.file, read);
  };
  return read();
}
