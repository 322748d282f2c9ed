import net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

/** A loopback server that accepts connections and never answers (startSilentListener). */
export interface SilentListener {
  port: number;
  /** How many accepted connections are still open (a connection the client closes leaves the count at once). */
  openClients(): number;
  close(): Promise<void>;
}

/** Starts a server on 127.0.0.1 that accepts and never answers: a server that hangs after the TCP handshake. */
export async function startSilentListener(): Promise<SilentListener> {
  const clients = new Set<net.Socket>();
  const server = net.createServer((client) => {
    clients.add(client);
    client.on('close', () => clients.delete(client));
    client.on('error', () => undefined);
    // Read (and drop) what comes: a socket nobody reads never sees the client's FIN, and would look open for ever.
    client.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    openClients: () => clients.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of clients) client.destroy();
        server.close(() => resolve());
      }),
  };
}

/** What `count()` answers once it is 0, or after `ms`: the connections a client left open (with openClients()). */
export async function openAfter(count: () => number, ms = 2_000): Promise<number> {
  const deadline = Date.now() + ms;
  while (count() > 0 && Date.now() < deadline) await delay(20);
  return count();
}
