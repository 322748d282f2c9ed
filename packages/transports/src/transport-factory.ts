import { type Connection, type ConnectionsRegistry, connectionFingerprint } from '@integrador/connections';
import { createDatabaseTransport } from './database-transport';
import { createRestTransport } from './rest-transport';
import { SoapClientCache } from './soap-client-cache';
import { createSoapTransport } from './soap-transport';
import type { Transport } from './transport';

/** The transports of one process, one per connection; created at boot, handed to processors and routes, closed at shutdown. */
export interface TransportFactory {
  /** The transport a connection's kind calls for (SOAP clients share the bounded cache, a database receptor a pool). */
  transportFor(connection: Connection): Transport;
  /** Closes every transport it opened (database receptor pools); a shutdown step. */
  close(): Promise<void>;
}

export interface TransportFactoryOptions {
  /**
   * The process's connections: when a database receptor refuses its pool's login, they are read again (`reload`: the
   * file may hold a new password by now) and every transport whose definition changed is closed, before the
   * failure reaches the push; its next attempt gets a transport built from what the file says now.
   */
  connections?: ConnectionsRegistry;
  /** Told what a refused login led to: the connections whose definition changed, or why the reload failed. */
  onReload?: (outcome: { refused: string; changed: string[]; error?: Error }) => void;
}

/** A process's transport factory (Temporal's createActivities(db) style: injected, never a module-level cache). */
export function createTransportFactory(
  soapCache: SoapClientCache = new SoapClientCache({ max: 100 }),
  options: TransportFactoryOptions = {},
): TransportFactory {
  // By name, with the digest of the definition each was built from: a reload gives every connection a new object, and
  // only the transports whose definition changed are replaced (the others keep their sockets and calls in flight).
  const transports = new Map<string, { fingerprint: string; transport: Transport }>();
  const retire = async (name: string) => {
    const entry = transports.get(name);
    transports.delete(name);
    await entry?.transport.close?.();
  };
  /** Closes the transports whose definition the registry no longer holds as it was. */
  const retireChanged = async (connections: ConnectionsRegistry) => {
    const stale = [...transports].filter(([name, entry]) => {
      const current = connections.get(name);
      return !current || connectionFingerprint(current) !== entry.fingerprint;
    });
    await Promise.allSettled(stale.map(([name]) => retire(name)));
  };
  const refused = async (connection: Connection) => {
    const { connections, onReload } = options;
    if (!connections) return;
    try {
      const changed = await connections.reload();
      await retireChanged(connections);
      onReload?.({ refused: connection.name, changed });
    } catch (error) {
      // A file that no longer loads: the definitions in use stay; the refused pool is gone all the same.
      onReload?.({ refused: connection.name, changed: [], error: error as Error });
    }
  };
  return {
    transportFor(connection) {
      const fingerprint = connectionFingerprint(connection);
      const known = transports.get(connection.name);
      if (known?.fingerprint === fingerprint) return known.transport;
      if (known) void retire(connection.name).catch(() => {});
      const created =
        connection.kind === 'webservice'
          ? createSoapTransport(connection, { cache: soapCache })
          : connection.kind === 'api'
            ? createRestTransport(connection)
            : createDatabaseTransport(connection, { onLoginRefused: () => refused(connection) });
      transports.set(connection.name, { fingerprint, transport: created });
      return created;
    },
    async close() {
      const open = [...transports.values()];
      transports.clear();
      await Promise.allSettled(open.map(({ transport }) => transport.close?.()));
    },
  };
}
