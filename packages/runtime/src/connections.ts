import type { Config } from '@integrador/config';
import { type ConnectionsRegistry, emptyConnections, loadConnectionsFile } from '@integrador/connections';

/** The connections file named by CONNECTIONS_FILE (secrets resolved from the environment), or none. */
export async function loadConnections(config: Config): Promise<ConnectionsRegistry> {
  return config.connectionsFile ? loadConnectionsFile(config.connectionsFile, config.secretSource) : emptyConnections();
}
