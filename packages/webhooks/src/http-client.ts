import { EventEmitter } from 'node:events';
import { type AddressAllowlist, withUrlShown } from '@integrador/connections';
import { createGuardedAgent, findOutboundAddressError } from '@integrador/transports';
import { request } from 'undici';
import { RESPONSE_KEEP_BYTES } from './settings';

// One undici Agent per process: it keeps a keep-alive pool per origin. Every socket goes through the outbound guard
// (createGuardedAgent in @integrador/transports, shared with the SOAP transport): after DNS resolution, and literal IPs
// before connecting, so a URL that resolves to a private address when used (DNS rebinding) is refused too. Redirects
// are never followed.

/** Why an attempt failed, as recorded and as the test button explains it. */
export type ErrorClass =
  | 'address_forbidden'
  | 'connection_refused'
  | 'dns'
  | 'tls'
  | 'timeout'
  | 'connection_reset'
  | 'network'
  | 'redirect'
  | 'http_4xx'
  | 'http_5xx'
  | 'rate_limited'
  | 'overloaded'
  | 'gone';

/** One attempt's outcome. */
export interface SendResult {
  ok: boolean;
  status: number | null;
  body: string | null;
  headers: Record<string, string>;
  durationMs: number;
  errorClass: ErrorClass | null;
  /** The network error's own code/message (no secrets: it names the host at most). */
  error: string | null;
  /** The outbound guard's range when it refused the address (`address_forbidden`): OutboundAddressError's `range`. */
  addressRange?: string;
}

export interface WebhookHttpClient {
  send(url: string, headers: Record<string, string>, body: string): Promise<SendResult>;
  close(): Promise<void>;
}

const TLS_CODE = /^(EPROTO|ERR_TLS|ERR_SSL|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_|HOSTNAME_MISMATCH|ERR_OSSL)/;

/** The first error code along the cause chain. */
function codesOf(err: unknown): string[] {
  const codes: string[] = [];
  for (let e = err as { code?: unknown; name?: unknown; cause?: unknown } | undefined, i = 0; e && i < 5; e = e.cause as typeof e, i++) {
    if (typeof e.code === 'string') codes.push(e.code);
    if (typeof e.name === 'string') codes.push(e.name);
  }
  return codes;
}

/** The class of a network failure. */
export function classifyError(err: unknown): ErrorClass {
  const codes = codesOf(err);
  const has = (test: (code: string) => boolean) => codes.some(test);
  if (has((c) => c === 'OUTBOUND_ADDRESS_FORBIDDEN')) return 'address_forbidden';
  if (has((c) => c === 'ECONNREFUSED')) return 'connection_refused';
  if (has((c) => c === 'ENOTFOUND' || c === 'EAI_AGAIN' || c === 'EAI_NODATA' || c === 'EAI_FAIL')) return 'dns';
  if (has((c) => TLS_CODE.test(c))) return 'tls';
  if (has((c) => /TIMEOUT|TimeoutError|AbortError|ETIMEDOUT/i.test(c))) return 'timeout';
  if (has((c) => c === 'ECONNRESET' || c === 'EPIPE' || c === 'UND_ERR_SOCKET' || c === 'UND_ERR_CLOSED')) return 'connection_reset';
  return 'network';
}

/** The class of an HTTP answer, or null for a 2xx. */
export function classifyStatus(status: number): ErrorClass | null {
  if (status >= 200 && status < 300) return null;
  if (status === 410) return 'gone';
  if (status === 429) return 'rate_limited';
  // Standard Webhooks: a 502 or a 504 usually means the receiver is under load, to be throttled like a 429.
  if (status === 502 || status === 504) return 'overloaded';
  if (status >= 300 && status < 400) return 'redirect';
  return status >= 500 ? 'http_5xx' : 'http_4xx';
}

async function readTruncated(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= RESPONSE_KEEP_BYTES) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, RESPONSE_KEEP_BYTES).toString('utf8');
}

export interface HttpClientOptions {
  connectTimeoutMs: number;
  timeoutMs: number;
  allowlist: AddressAllowlist;
  /** Sockets per origin (keep-alive pool size). */
  connectionsPerOrigin?: number;
  userAgent?: string;
}

/**
 * An attempt's whole-time limit as undici takes it (a signal may be an EventEmitter with `aborted` and `reason`): one
 * timer, cleared when the attempt ends. `AbortSignal.timeout` cost ~17 µs an attempt (an EventTarget listener added and
 * removed, and a signal and timer left alive until the timeout fires, tens of seconds later); this ~2 µs. It aborts
 * with the same reason (a DOMException named TimeoutError), so a timed-out attempt is recorded as before.
 */
class Deadline extends EventEmitter {
  aborted = false;
  reason: unknown;
  readonly #timer: NodeJS.Timeout;

  constructor(ms: number) {
    super();
    this.#timer = setTimeout(() => {
      this.aborted = true;
      this.reason = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
      this.emit('abort');
    }, ms);
  }

  clear(): void {
    clearTimeout(this.#timer);
  }
}

/** The webhook HTTP client: POST JSON, only 2xx is success, no redirects, guarded sockets, bounded time and body. */
export function createWebhookHttpClient(options: HttpClientOptions): WebhookHttpClient {
  const agent = createGuardedAgent({
    allowlist: options.allowlist,
    connectTimeoutMs: options.connectTimeoutMs,
    connections: options.connectionsPerOrigin ?? 64,
    keepAliveTimeout: 4000,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
  });
  const userAgent = options.userAgent ?? 'Integrador-Webhooks/1.0';
  return {
    async send(url, headers, body) {
      const started = performance.now();
      const elapsed = () => Math.round(performance.now() - started);
      const deadline = new Deadline(options.timeoutMs);
      try {
        const response = await request(url, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/json', 'user-agent': userAgent, ...headers },
          body,
          signal: deadline,
        });
        const text = await readTruncated(response.body as never);
        const responseHeaders: Record<string, string> = {};
        for (const [name, value] of Object.entries(response.headers)) if (typeof value === 'string') responseHeaders[name] = value;
        const errorClass = classifyStatus(response.statusCode);
        return {
          ok: errorClass === null,
          status: response.statusCode,
          body: text,
          headers: responseHeaders,
          durationMs: elapsed(),
          errorClass,
          error: null,
        };
      } catch (err) {
        const errorClass = classifyError(err);
        const code = codesOf(err).find((c) => c !== 'Error' && c !== 'TypeError') ?? 'ERROR';
        const forbidden = findOutboundAddressError(err);
        return {
          ...(forbidden ? { addressRange: forbidden.range } : {}),
          ok: false,
          status: null,
          body: null,
          headers: {},
          durationMs: elapsed(),
          errorClass,
          // Stored in the attempt row: should the client's message quote the URL, its query values stay out.
          error: `${code}: ${withUrlShown(err instanceof Error ? err.message : err, url)}`,
        };
      } finally {
        deadline.clear();
      }
    },
    close: () => agent.close(),
  };
}
