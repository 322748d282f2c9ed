import { type ConnectionsRegistry, loadConnections } from '@integrador/connections';
import { setDefaultRetryPolicy } from '@integrador/jobs';

/**
 * An app's connections at start, and the one place the fleet's SET retry policy (SET_RETRY_*) becomes this process's
 * default: the worker applies it to every SET failure that carries no connection's policy (receptorBackoff), the
 * ingress and the dashboard show it as a SET job's attempts when its connection sets none.
 */
export async function loadAppConnections(config: Parameters<typeof loadConnections>[0]): Promise<ConnectionsRegistry> {
  const { connections } = await loadConnections(config);
  if (config.setRetry) setDefaultRetryPolicy(config.setRetry);
  return connections;
}
