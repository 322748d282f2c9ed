import { ConnectionsFileError, type ConnectionsRegistry, loadConnections } from '@integrador/connections';
import { setDefaultRetryPolicy } from '@integrador/jobs';
import type { Logger } from '@integrador/logging';
import { takeHeldHangup } from './hold-hangup';

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

/**
 * SIGHUP reads the connections file again on demand (an operator who edited it, before any login is refused), through
 * the same reload a refused login makes: changed definitions retire their receptor transports and source readers (closed
 * once unused) and the next push or run uses what the file says now. A file that no longer loads keeps the definitions
 * in use. Takes over from hold-hangup.ts. Returns the handler's removal.
 */
export function reloadConnectionsOnHangup(connections: ConnectionsRegistry, logger: Logger): () => void {
  const onHangup = () => {
    if (!connections.file) {
      logger.info({}, 'SIGHUP: no connections file to read again');
      return;
    }
    connections.reload().then(
      (changed) => logger.info({ changed }, 'SIGHUP: connections read again'),
      (err: Error) => {
        // An invalid file (npm start would refuse it): one line, each problem one string (its line, entry and field),
        // the connections in use kept until the file is fixed and signalled again.
        if (err instanceof ConnectionsFileError) {
          const problems = err.message.split('\n');
          logger.warn(
            { file: err.file, code: err.code, problems },
            'SIGHUP: connections file invalid; the connections in use stay until it is fixed',
          );
        } else logger.warn({ reason: err.message }, 'SIGHUP: connections reload failed; the connections in use stay');
      },
    );
  };
  process.on('SIGHUP', onHangup);
  // A SIGHUP during the start (hold-hangup.ts kept the process alive) may have come after the file was edited and
  // before it was read: it is read again now, once.
  if (takeHeldHangup()) {
    logger.info({}, 'SIGHUP during start: connections read again now that they are loaded');
    onHangup();
  }
  return () => void process.off('SIGHUP', onHangup);
}
