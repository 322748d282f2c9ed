import net from 'node:net';

/**
 * A TCP port free on 127.0.0.1 at the time of the call: a private server's port, or, left unused, a port where a
 * connection is refused (nothing listens on it once the probe closed).
 */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}
