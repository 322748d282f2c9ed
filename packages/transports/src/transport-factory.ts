import type { Connection } from '@integrador/connections';
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

/** A process's transport factory (Temporal's createActivities(db) style: injected, never a module-level cache). */
export function createTransportFactory(soapCache: SoapClientCache = new SoapClientCache({ max: 100 })): TransportFactory {
  const transports = new Map<Connection, Transport>();
  return {
    transportFor(connection) {
      const known = transports.get(connection);
      if (known) return known;
      const created =
        connection.kind === 'webservice'
          ? createSoapTransport(connection, { cache: soapCache })
          : connection.kind === 'api'
            ? createRestTransport(connection)
            : createDatabaseTransport(connection);
      transports.set(connection, created);
      return created;
    },
    async close() {
      const open = [...transports.values()];
      transports.clear();
      await Promise.allSettled(open.map((transport) => transport.close?.()));
    },
  };
}
