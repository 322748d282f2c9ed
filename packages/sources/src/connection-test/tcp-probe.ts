import dns from 'node:dns/promises';
import net from 'node:net';
import tls from 'node:tls';
import { assertAllowedAddress } from '@integrador/connections';

/** An error with a Node-style code, as the classifier reads it. */
function coded(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/** The host's addresses (an IP literal is its own), each checked against internal ranges unless allowed (link-local always). */
export async function resolveHost(host: string, allowPrivateNetwork: boolean): Promise<string[]> {
  const bare = host.replace(/^\[|\]$/g, '');
  const addresses = net.isIP(bare) !== 0 ? [bare] : (await dns.lookup(bare, { all: true })).map((entry) => entry.address);
  for (const address of addresses) assertAllowedAddress(address, host, { allowPrivateNetwork });
  return addresses;
}

function connectOnce(address: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: address, port });
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      reject(coded(`connect ETIMEDOUT ${address}:${port}`, 'ETIMEDOUT'));
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', (error) => {
      socket.destroy();
      reject(error);
    });
  });
}

/**
 * Opens (and closes) a TCP connection to host:port: a DNS failure (ENOTFOUND), a refused port (ECONNREFUSED), an
 * unreachable host (EHOSTUNREACH) and silence (ETIMEDOUT) come out as such. Each address of the name is tried.
 */
export async function probeTcp(host: string, port: number, timeoutMs: number, allowPrivateNetwork: boolean): Promise<void> {
  let last: unknown;
  for (const address of await resolveHost(host, allowPrivateNetwork)) {
    try {
      await connectOnce(address, port, timeoutMs);
      return;
    } catch (error) {
      last = error;
    }
  }
  throw last;
}

/** A TLS handshake with certificate checks against `host` (an https endpoint's certificate problems show here). */
export function probeTls(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host, port, servername: net.isIP(host) === 0 ? host : undefined });
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      reject(coded(`TLS handshake ETIMEDOUT ${host}:${port}`, 'ETIMEDOUT'));
    });
    socket.once('secureConnect', () => {
      socket.end();
      resolve();
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      socket.destroy();
      // A handshake error is a TLS problem whatever its code (a plain-HTTP port answers garbage: EPROTO).
      reject(
        error.code && /^(ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|ECONNRESET)$/.test(error.code)
          ? error
          : Object.assign(error, { tls: true }),
      );
    });
  });
}
