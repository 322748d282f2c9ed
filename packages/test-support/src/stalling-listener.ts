import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

/** A loopback port that relays to a server until stall(), then never completes a TCP connect (startStallingListener). */
export interface StallingListener {
  port: number;
  /** Closes the relayed connections and stops completing connects (for 60 s): a new connect's SYN gets no answer. */
  stall(): Promise<void>;
  close(): Promise<void>;
}

/** How long a stalled listener stays stalled before its child exits (longer than any test that uses it). */
const STALL_MS = 60_000;
/** How long a connect to the filled listener must stay pending for stall() to trust that connects stall. */
const PROBE_MS = 1000;

// The child listens with a backlog of one and, once stalled, blocks its event loop: it never accepts again. The
// kernel completes handshakes into the accept queue until it is full (the filler connections below) and then drops
// every SYN, as a firewall that drops packets does (a connect waits for its own timeout, not for a refusal).
const CHILD = `
const net = require('node:net');
const target = Number(process.argv[1]);
const STALL_MS = Number(process.argv[2]);
const sockets = new Set();
const track = (socket) => { sockets.add(socket); socket.on('error', () => {}); socket.on('close', () => sockets.delete(socket)); };
const server = net.createServer((client) => {
  track(client);
  if (!target) return client.destroy();
  const upstream = net.connect(target, '127.0.0.1');
  track(upstream);
  client.pipe(upstream).pipe(client);
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
});
server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => process.stdout.write(server.address().port + '\\n'));
// The test process gone before stall() (its end of the pipe closed): nothing left to serve.
process.stdin.once('end', () => process.exit(0));
process.stdin.once('data', () => {
  for (const socket of sockets) socket.destroy();
  setTimeout(() => {
    process.stdout.write('stalled\\n');
    // Bounded: a test process killed before close() must not leave this child holding its port for ever.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, STALL_MS);
    process.exit(0);
  }, 100);
});
`;

/**
 * Starts a listener on 127.0.0.1 in a child process: it relays to `targetPort` (when given) until stall(), after which
 * a connect to it neither completes nor is refused. Without a target, call stall() before using it.
 */
export async function startStallingListener(targetPort?: number): Promise<StallingListener> {
  const child = spawn(process.execPath, ['-e', CHILD, String(targetPort ?? 0), String(STALL_MS)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  let waiting: (() => void) | undefined;
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    lines.push(...chunk.split('\n').filter((line) => line !== ''));
    waiting?.();
  });
  child.on('exit', () => waiting?.());
  const nextLine = async (): Promise<string> => {
    while (lines.length === 0) {
      if (child.exitCode !== null) throw new Error(`the stalling listener exited (${child.exitCode})`);
      await new Promise<void>((resolve) => {
        waiting = resolve;
      });
    }
    return lines.shift() as string;
  };
  const port = Number(await nextLine());
  const fillers: net.Socket[] = [];
  return {
    port,
    async stall() {
      child.stdin.write('stall\n');
      if ((await nextLine()) !== 'stalled') throw new Error('the stalling listener did not stall');
      // Handshakes fill the accept queue (Linux keeps backlog + 1); the first connect left waiting shows it is full.
      for (;;) {
        const filler = net.connect(port, '127.0.0.1');
        filler.on('error', () => undefined);
        fillers.push(filler);
        const connected = await Promise.race([once(filler, 'connect').then(() => true), delay(300).then(() => false)]);
        if (!connected) break;
        if (fillers.length > 16) throw new Error('the stalling listener keeps completing connects');
      }
      // Waiting 300 ms for a connect is a heuristic (a loaded machine may be slower): the connect left waiting must still
      // be waiting PROBE_MS later, or the tests using this listener would no longer test a stalled connect.
      const probe = fillers[fillers.length - 1] as net.Socket;
      const completed = await Promise.race([once(probe, 'connect').then(() => true), delay(PROBE_MS).then(() => false)]);
      if (completed) throw new Error(`the stalling listener completed a connect within ${PROBE_MS + 300} ms of being filled`);
    },
    async close() {
      for (const filler of fillers) filler.destroy();
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await once(child, 'exit');
      }
    },
  };
}
