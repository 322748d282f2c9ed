import * as net from 'node:net';

/** A loopback TCP relay in front of a server (startTcpRelay). */
export interface TcpRelay {
  /** The target URL with its host and port replaced by the relay's: connect through it. */
  url: string;
  /** Data chunks the clients have written so far (roughly, their round trips). */
  clientChunks(): number;
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
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(port, host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    client.on('data', (data) => {
      chunks += 1;
      upstream.write(data);
    });
    upstream.on('data', (data) => (delayMs > 0 ? setTimeout(() => client.write(data), delayMs) : client.write(data)));
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
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
