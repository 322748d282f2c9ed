import { loadConnectionsFile } from './connections-file';
import { type ConnectionsRegistry, emptyConnections } from './connections-registry';
import type { EnvMap } from './env-references';

/** The connections file named by CONNECTIONS_FILE (secrets resolved from the environment), or none. */
export async function loadConnections(config: { connectionsFile: string | undefined; secretSource: EnvMap }): Promise<ConnectionsRegistry> {
  return config.connectionsFile ? loadConnectionsFile(config.connectionsFile, config.secretSource) : emptyConnections();
}
