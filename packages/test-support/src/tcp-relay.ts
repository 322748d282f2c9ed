import * as net from 'node:net';

/** A loopback TCP relay in front of a server (startTcpRelay). */
export interface TcpRelay {
  /** The target URL with its host and port replaced by the relay's: connect through it. */
  url: string;
  /** Data chunks the clients have written so far (roughly, their round trips). */
  clientChunks(): number;
  /**
   * The server's next answer is lost: once the next chunk a client writes reached the server, the server's reply to it
   * is dropped and that client's connection cut (a connection that dies after the request was sent).
   */
  loseNextAnswer(): void;
  /** How many client connections are still open (a connection the client closes leaves the count at once). */
  openClients(): number;
  close(): Promise<void>;
}

/**
 * Starts a relay on 127.0.0.1 in front of the server of `target` (a URL such as postgres://…:5432/db): it counts what
 * the clients write and, with `delayMs`, holds each answer of the server that long (a server a few ms away; the bytes
 * keep their order, since timers of one delay fire in the order they were set).
 */
export async function startTcpRelay(target: string, options: { delayMs?: number; defaultPort?: number } = {}): Promise<TcpRelay> {
  const parsed = new URL(target);
  const [host, port] = [parsed.hostname, Number(parsed.port || options.defaultPort || 5432)];
  const delayMs = options.delayMs ?? 0;
  let chunks = 0;
  let losing = false;
  const sockets = new Set<net.Socket>();
  const clients = new Set<net.Socket>();
  const server = net.createServer((client) => {
    clients.add(client);
    client.on('close', () => clients.delete(client));
    const upstream = net.connect(port, host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    // Set when this client's request is the one whose answer is lost.
    let cutOnAnswer = false;
    client.on('data', (data) => {
      chunks += 1;
      if (losing) [losing, cutOnAnswer] = [false, true];
      upstream.write(data);
    });
    upstream.on('data', (data) => {
      if (cutOnAnswer) {
        client.destroy();
        return;
      }
      if (delayMs > 0) setTimeout(() => client.write(data), delayMs);
      else client.write(data);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as net.AddressInfo).port);
  return {
    url: url.toString(),
    clientChunks: () => chunks,
    loseNextAnswer: () => {
      losing = true;
    },
    openClients: () => clients.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
