import { type AppProcess, spawnSource } from './processes';

/** One request the receiver child recorded. */
export interface ReceivedRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
  at: number;
}

/** The webhook receiver (test/fixtures/webhook-receiver.ts) in its own process. */
export interface Receiver {
  url: string;
  process: AppProcess;
  requests(path: string): Promise<ReceivedRequest[]>;
  /** Waits until at least `count` requests reached paths starting with `path`. */
  waitFor(path: string, count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

/** Starts the receiver on a free port, or on `port` (to restart one at the same address). */
export async function spawnReceiver(port?: number): Promise<Receiver> {
  const child = spawnSource('test/fixtures/webhook-receiver.ts', port === undefined ? {} : { PORT: String(port) });
  const line = await child.waitForLog('listening');
  const url = `http://127.0.0.1:${line.port as number}`;
  const requests = async (path: string) =>
    (await (await fetch(`${url}/_requests?path=${encodeURIComponent(path)}`)).json()) as ReceivedRequest[];
  return {
    url,
    process: child,
    requests,
    async waitFor(path, count, timeoutMs = 20000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const seen = await requests(path);
        if (seen.length >= count) return seen;
        if (Date.now() > deadline) throw new Error(`receiver got ${seen.length} of ${count} requests on ${path} within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async close() {
      child.child.kill('SIGTERM');
      await child.exited;
    },
  };
}
