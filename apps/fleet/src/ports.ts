import net from 'node:net';

/** A port the fleet's apps will listen on, with the variable that sets it (for the operator's message). */
export interface FleetPort {
  port: number;
  variable: string;
}

/** Whether the port can be bound on the host now: false when another process listens on it (EADDRINUSE). */
function canListen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? resolve(false) : reject(err)));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * The first of the ports already taken on the host, or undefined when every one is free. Checked before any app
 * starts: the ingress's /healthz, which the fleet waits for, would otherwise be answered by whoever holds the port
 * (another fleet), and the fleet would report a start that never happened.
 */
export async function firstPortInUse(host: string, ports: FleetPort[]): Promise<FleetPort | undefined> {
  for (const entry of ports) {
    if (entry.port !== 0 && !(await canListen(host, entry.port))) return entry;
  }
  return undefined;
}
