import fs from 'node:fs';
import net from 'node:net';
import { freePort } from './ports';

const RANGE_FILE = '/proc/sys/net/ipv4/ip_local_port_range';
/** The low end of the kernel's ephemeral range, where the machine says it. */
const ephemeralLow = fs.existsSync(RANGE_FILE) ? Number(fs.readFileSync(RANGE_FILE, 'utf8').trim().split(/\s+/)[0]) : null;

describe('freePort', () => {
  it('answers a port a server can bind on 127.0.0.1', async () => {
    const port = await freePort();
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
    await new Promise((resolve) => server.close(resolve));
  });

  (ephemeralLow ? it : it.skip)('picks below the ephemeral range, where no outgoing connection takes the port meanwhile', async () => {
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    for (const port of ports) expect(port).toBeLessThan(ephemeralLow as number);
  });
});
