import type { Connection } from './connection';
import { loadConnectionsFile } from './connections-file';
import { ConnectionsRegistry, emptyConnections } from './connections-registry';
import type { EnvMap } from './env-references';

/**
 * The connections file named by CONNECTIONS_FILE (secrets resolved from the environment), or none. A connection whose
 * entry sets no `retry` gets the fleet's `setRetry` (SET_RETRY_*), so every process that resolves it — the worker that
 * retries, the ingress that shows its attempts — goes by the same policy.
 */
export async function loadConnections(config: {
  connectionsFile: string | undefined;
  secretSource: EnvMap;
  setRetry?: Connection['retry'];
}): Promise<ConnectionsRegistry> {
  if (!config.connectionsFile) return emptyConnections();
  const registry = await loadConnectionsFile(config.connectionsFile, config.secretSource);
  const { setRetry } = config;
  if (!setRetry) return registry;
  const connections = [...registry.entries()].map(([, connection]) =>
    connection.retry ? connection : Object.freeze({ ...connection, retry: Object.freeze({ ...setRetry }) }),
  );
  return new ConnectionsRegistry(connections, registry.file);
}
