/**
 * The benchmarks' HTTP load generator (cti.bench.ts, ingress.bench.ts) and cti.bench's SSE clients, in a process of
 * their own (forked through support/load-process.ts): their CPU is no longer charged to the ingress they measure, and
 * neither side's event loop delays the other's. Takes one task at a time over IPC and answers with its result.
 */
import http from 'node:http';
import { openSse, type SseClient } from '../../test/fixtures/sse-client';

export type LoadTask =
  | { kind: 'throughput'; base: string; host?: string; paths: string[]; concurrency: number }
  | { kind: 'subscribe'; streams: { ramal: string; url: string }[] }
  | { kind: 'calls'; base: string; host: string; rate: number; calls: { ramal: string; numero: string }[]; waitMs: number }
  | { kind: 'requests'; base: string; requests: LoadRequest[]; concurrency: number }
  | { kind: 'close' };

/** One request of a `requests` task: its own headers (a tenant's host or API key, an Idempotency-Key) and JSON body. */
export interface LoadRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: unknown;
}

/** What a `requests` task measured: requests/s and how many answers had each status. */
export interface RequestsResult {
  perSecond: number;
  statuses: Record<string, number>;
}

/** What the calls task measured: per call pop times (ms after its GET was sent) and the marks of each caller pop. */
export interface CallsResult {
  ringing: number[];
  caller: number[];
  /** Epoch ms per call id: GET sent, caller card received. */
  marks: Record<string, { sent: number; popped: number }>;
  /** Caller cards whose first match was not the conta of the number called. */
  wrong: number;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

function get(base: string, path: string, host?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${base}${path}`, { agent, headers: host ? { host } : {} }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
  });
}

/** Sends every path with `concurrency` in flight; returns requests/s (every answer must be 200). */
async function throughput(task: Extract<LoadTask, { kind: 'throughput' }>): Promise<number> {
  let next = 0;
  let failed = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: task.concurrency }, async () => {
      while (next < task.paths.length) {
        const path = task.paths[next++] as string;
        if ((await get(task.base, path, task.host)) !== 200) failed++;
      }
    }),
  );
  if (failed) throw new Error(`${failed} of ${task.paths.length} requests were not answered 200`);
  return task.paths.length / ((performance.now() - started) / 1000);
}

function send(base: string, request: LoadRequest): Promise<number> {
  const body = request.body === undefined ? undefined : JSON.stringify(request.body);
  const headers = body === undefined ? request.headers : { ...request.headers, 'content-type': 'application/json' };
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${request.path}`, { method: request.method, agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Sends every request with `concurrency` in flight; returns requests/s and the answers' statuses (not checked here). */
async function requests(task: Extract<LoadTask, { kind: 'requests' }>): Promise<RequestsResult> {
  let next = 0;
  const statuses: Record<string, number> = {};
  const started = performance.now();
  await Promise.all(
    Array.from({ length: task.concurrency }, async () => {
      while (next < task.requests.length) {
        const status = String(await send(task.base, task.requests[next++] as LoadRequest));
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    }),
  );
  return { perSecond: task.requests.length / ((performance.now() - started) / 1000), statuses };
}

const sent = new Map<string, number>();
const result: CallsResult = { ringing: [], caller: [], marks: {}, wrong: 0 };
const clients: SseClient[] = [];

async function subscribe(task: Extract<LoadTask, { kind: 'subscribe' }>): Promise<number> {
  for (const { ramal, url } of task.streams) {
    const client = await openSse(url, undefined, (e) => {
      const at = sent.get(`${ramal}:${String(e.data.numero)}`);
      if (at === undefined) return;
      if (e.event === 'ringing') result.ringing.push(performance.now() - at);
      if (e.event !== 'caller') return;
      result.caller.push(performance.now() - at);
      result.marks[String(e.data.callId)] = { sent: Date.now() - (performance.now() - at), popped: Date.now() };
      const matches = e.data.matches as { nome: string }[];
      if (matches[0]?.nome !== `Conta ${Number(String(e.data.numero).slice(2)) - 900000000}`) result.wrong++;
    });
    clients.push(client);
  }
  return clients.length;
}

/** Sends the call starts at the fixed rate, then waits (up to waitMs) for every caller card. */
async function calls(task: Extract<LoadTask, { kind: 'calls' }>): Promise<CallsResult> {
  // Each calls task counts its own pops (a warm-up's are not the measured run's).
  Object.assign(result, { ringing: [], caller: [], marks: {}, wrong: 0 });
  sent.clear();
  const started = performance.now();
  const pending: Promise<number>[] = [];
  for (let i = 0; i < task.calls.length; i++) {
    const due = started + (i * 1000) / task.rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const { ramal, numero } = task.calls[i] as { ramal: string; numero: string };
    sent.set(`${ramal}:${numero}`, performance.now());
    pending.push(get(task.base, `/wconnect/WConnect_WSDL_ConsultaRamal.php?ramal=${ramal}&telefone=${numero}`, task.host));
  }
  await Promise.all(pending);
  const deadline = Date.now() + task.waitMs;
  while (result.caller.length < task.calls.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return result;
}

process.on('message', (task: LoadTask) => {
  const run = async (): Promise<unknown> => {
    if (task.kind === 'throughput') return throughput(task);
    if (task.kind === 'subscribe') return subscribe(task);
    if (task.kind === 'calls') return calls(task);
    if (task.kind === 'requests') return requests(task);
    for (const client of clients) client.close();
    agent.destroy();
    return null;
  };
  run().then(
    (value) => process.send?.({ ok: true, value }),
    (err: unknown) => process.send?.({ ok: false, error: err instanceof Error ? err.stack : String(err) }),
  );
});
