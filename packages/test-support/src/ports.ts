import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';

/**
 * Where freePort looks: below the kernel's ephemeral range, so the port it answers is never handed to an outgoing
 * connection's local end before the private server binds it (a port from `listen(0)` is in that range, and any client
 * socket opened meanwhile — the tests open many — could take it). Linux's range is 32768–60999 unless tuned.
 */
const SEARCH_FLOOR = 20_000;
const ATTEMPTS = 50;

/** The low end of the kernel's ephemeral port range (Linux), or null where it cannot be read or leaves no room. */
function ephemeralFloor(): number | null {
  try {
    const [low] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return low !== undefined && Number.isInteger(low) && low > SEARCH_FLOOR + 1000 ? low : null;
  } catch {
    return null;
  }
}

/** Binds the port on 127.0.0.1 and closes it again: its number when it was free, null when taken. */
function probe(port: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      error.code === 'EADDRINUSE' || error.code === 'EACCES' ? resolve(null) : reject(error),
    );
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address() as net.AddressInfo;
      server.close(() => resolve(bound));
    });
  });
}

/**
 * A TCP port free on 127.0.0.1 at the time of the call: a private server's port, or, left unused, a port where a
 * connection is refused (nothing listens on it once the probe closed). Picked at random below the ephemeral range
 * (see SEARCH_FLOOR); where that range is unknown, the kernel's pick (`listen(0)`).
 */
export async function freePort(): Promise<number> {
  const floor = ephemeralFloor();
  if (floor !== null) {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const port = await probe(randomInt(SEARCH_FLOOR, floor));
      if (port !== null) return port;
    }
  }
  const port = await probe(0);
  if (port === null) throw new Error('no free TCP port on 127.0.0.1');
  return port;
}
