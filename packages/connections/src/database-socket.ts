import net from 'node:net';
import { createGuardedLookup } from './outbound-address';

// The guard before connecting (assertPublicDatabase) judges the addresses a name has then; a driver that resolves the
// name again when it connects may get another answer (DNS rebinding: public for the check, 169.254.169.254 or the
// hub's own Redis a moment later). The drivers that take a socket from outside (pg's and mysql2's `stream` options)
// connect through the sockets below, whose lookup is the guard: the answer they connect to is the one judged.

/**
 * A TCP socket for a driver that connects it itself (pg's `stream` option): a name is resolved through the guarded
 * lookup when the driver connects, so an answer changed since assertPublicDatabase checked it is refused too. A
 * literal IP skips DNS and was judged by assertPublicDatabase; a unix socket path is passed through (judged there too).
 */
export function guardedDatabaseSocket(allowPrivateNetwork: boolean): net.Socket {
  const socket = new net.Socket();
  const lookup = createGuardedLookup([], allowPrivateNetwork);
  const connect = socket.connect.bind(socket) as (...args: unknown[]) => net.Socket;
  socket.connect = ((...args: unknown[]) => {
    const [port, host] = args;
    if (typeof port === 'number' || (typeof port === 'string' && /^\d+$/.test(port)))
      return connect({ port: Number(port), host: typeof host === 'string' ? host : 'localhost', lookup });
    return connect(...args);
  }) as typeof socket.connect;
  return socket;
}

/** The part of mysql2's connection config its `stream` factory is given (`{ config }`). */
interface MysqlStreamOptions {
  config: { host?: string; port?: number; socketPath?: string; enableKeepAlive?: boolean; keepAliveInitialDelay?: number };
}

/**
 * mysql2's `stream` option: a factory that answers the socket already connecting (mysql2 connects none it is given),
 * through guardedDatabaseSocket; with it mysql2 skips its own setup, so TCP_NODELAY and keep-alive are set as it would.
 */
export function guardedMysqlStream(allowPrivateNetwork: boolean): (options: MysqlStreamOptions) => net.Socket {
  return ({ config }) => {
    if (config.socketPath) return net.connect(config.socketPath);
    const socket = guardedDatabaseSocket(allowPrivateNetwork).connect(config.port ?? 3306, config.host ?? 'localhost');
    socket.setNoDelay(true);
    if (config.enableKeepAlive !== false) socket.once('connect', () => socket.setKeepAlive(true, config.keepAliveInitialDelay ?? 0));
    return socket;
  };
}
