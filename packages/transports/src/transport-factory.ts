import {
  type Connection,
  type ConnectionsRegistry,
  definitionReplacedAfterRefusal,
  type Pooled,
  type RefusalOutcome,
  RetiringPool,
} from '@integrador/connections';
import { createDatabaseTransport } from './database-transport';
import { TransientTransportError } from './errors';
import { createRestTransport } from './rest-transport';
import { SoapClientCache } from './soap-client-cache';
import { createSoapTransport } from './soap-transport';
import type { Transport } from './transport';
import { transportMessage } from './transport-messages';

/** The transports of one process, one per connection; created at boot, handed to processors and routes, closed at shutdown. */
export interface TransportFactory {
  /**
   * The transport of a connection's definition (SOAP clients share the bounded cache, a database receptor a pool):
   * look it up per push, never keep it; a definition the connections file has replaced gets none (its calls fail as
   * transient, so the attempt retries with what the file says now).
   */
  transportFor(connection: Connection): Transport;
  /** Closes every transport it opened (database receptor pools), retired ones included; a shutdown step. */
  close(): Promise<void>;
}

export interface TransportFactoryOptions {
  /**
   * The process's connections: when a database receptor refuses the login of the current definition, they are read
   * again (the file may hold a new password by now); transports whose definition changed are retired (closed once
   * their calls in flight end) and the push fails as transient, so its next attempt logs in with the new definition.
   */
  connections?: ConnectionsRegistry;
  /**
   * Told what a refused login led to: whether its definition was replaced, whether the file was read for it (not for a
   * definition already replaced, nor within the cooldown of an unchanged read), or why the file could not be read.
   */
  onReload?: (outcome: RefusalOutcome) => void;
}

/** A process's transport factory (Temporal's createActivities(db) style: injected, never a module-level cache). */
export function createTransportFactory(
  soapCache: SoapClientCache = new SoapClientCache({ max: 100 }),
  options: TransportFactoryOptions = {},
): TransportFactory {
  const { connections, onReload } = options;
  // By name and definition digest: a reload gives every changed connection a new object, and only the transports whose
  // definition changed are retired (the others keep their sockets and calls in flight).
  const pool = new RetiringPool<Transport>((raw) => raw.close?.(), connections);
  // What transportFor hands out per pooled transport: the same object every time (a SetTarget keeps it).
  const handedOut = new WeakMap<Pooled<Transport>, Transport>();

  const refused = (connection: Connection) => definitionReplacedAfterRefusal(connections, connection, onReload);

  // After shutdown the factory opens nothing: a late push fails as transient (its job is retried by another process).
  const closedError = (connection: Connection) =>
    new TransientTransportError(transportMessage('TRANSPORTS_CLOSED', { connection: connection.name }, 'en'), undefined, undefined, {
      receptorMessage: transportMessage('TRANSPORTS_CLOSED', { connection: connection.name }),
      notProcessed: true,
    });
  const failing = (error: Error): Transport => ({
    send: () => Promise.reject(error),
    preview: () => Promise.reject(error),
    close: async () => {},
  });
  const replacedError = (connection: Connection) =>
    new TransientTransportError(transportMessage('CONNECTION_REPLACED', { connection: connection.name }, 'en'), undefined, undefined, {
      receptorMessage: transportMessage('CONNECTION_REPLACED', { connection: connection.name }),
      notProcessed: true,
    });
  /** The transport with its calls counted: a retired one takes no new call and closes after the last. */
  const counted = (connection: Connection, current: Pooled<Transport>): Transport => {
    const use = <T>(call: (raw: Transport) => Promise<T>): Promise<T> => {
      if (current.retired) return Promise.reject(pool.closed ? closedError(connection) : replacedError(connection));
      return pool.use(current, call);
    };
    const transport: Transport = {
      send: (request) => use((raw) => raw.send(request)),
      preview: (request) => use((raw) => raw.preview(request)),
      // The factory closes transports (retired ones once unused, the rest at shutdown); a user never does.
      close: async () => {},
    };
    if (connection.kind === 'webservice')
      transport.describeParameters = (link, operation) => use(async (raw) => raw.describeParameters?.(link, operation));
    return transport;
  };

  return {
    transportFor(connection) {
      if (pool.closed) return failing(closedError(connection));
      // A definition no longer current (a target resolved before a reload; replaced, renamed or removed) opens nothing:
      // its calls fail as transient.
      if (connections && !connections.isCurrent(connection)) return failing(replacedError(connection));
      const pooled = pool.get(connection, () =>
        connection.kind === 'webservice'
          ? createSoapTransport(connection, { cache: soapCache })
          : connection.kind === 'api'
            ? createRestTransport(connection)
            : createDatabaseTransport(connection, { onLoginRefused: () => refused(connection) }),
      );
      let transport = handedOut.get(pooled);
      if (!transport) {
        transport = counted(connection, pooled);
        handedOut.set(pooled, transport);
      }
      return transport;
    },
    // Shutdown closes every transport at once (a call still in flight is cut, as it was before retiring existed).
    close: () => pool.close(),
  };
}
