import type { IncomingHttpHeaders } from 'node:http';
import { type ApiAuth, type ApiConnection, shownUrl } from '@integrador/connections';
import type { Method } from 'got';
import { InvalidIntegrationError, ReceptorError, ResponseTooLargeError } from './errors';
import { connectionFailure, httpStatusFailure } from './http-failures';
import { isGotTimeout, loadGot } from './lazy-modules';
import { createOutboundAgents, type OutboundAgents } from './outbound-guard';
import { connectionMasker } from './secret-mask';
import type { Transport, TransportExchange, TransportRequest } from './transport';

/** A response bigger than this is refused rather than held in a worker's memory. */
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
const REDACTED = '[REDACTED]';

interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** The REST/JSON transport of one API connection: link = '[METHOD ]/path', body = the JSON sent. */
export function createRestTransport(connection: ApiConnection): Transport {
  const agents = createOutboundAgents({ allowPrivateNetwork: connection.allowPrivateNetwork });
  // The receptor's answer may echo what we sent it (a 400 quoting our Authorization header): every text and value of it
  // is masked here, once, so the attempt rows, the job's failure and every message hold `***` instead.
  const mask = connectionMasker(connection);

  function prepare(request: TransportRequest) {
    const { method, url } = restTarget(connection.baseUrl, request.link);
    const body = method === 'GET' ? undefined : JSON.stringify(request.body);
    const headers = requestHeaders(connection, body);
    // The request goes to url; what is recorded, logged and put in messages names it as shown (no query value, no userinfo).
    const shown = shownUrl(url);
    return { method, url, shown, body, headers, rendered: render(method, shown, headers, body, secretHeaderNames(connection.auth)) };
  }

  return {
    async send(request) {
      const { method, url, shown, body, headers, rendered } = prepare(request);
      const started = performance.now();
      const exchange: TransportExchange = { url: shown, request: rendered, response: null, statusCode: null, durationMs: 0 };
      let answer: HttpAnswer;
      try {
        answer = await exchangeHttp(url, { method, headers, body, timeoutMs: request.timeoutMs, signal: request.signal, exchange }, agents);
      } catch (error) {
        exchange.durationMs = Math.round(performance.now() - started);
        // got's own deadline is a TimeoutError of event 'request'; a caller's AbortSignal.timeout() gives one with no event
        const deadline = isGotTimeout(error) && error.event === 'request';
        const aborted = deadline ? 'timeout' : request.signal?.aborted ? 'signal' : null;
        throw connectionFailure(error, { exchange, aborted, timeoutMs: request.timeoutMs }) ?? error;
      }
      const shownText = mask.text(answer.text);
      Object.assign(exchange, { response: shownText, statusCode: answer.status, durationMs: Math.round(performance.now() - started) });
      // Parsed from the raw text (a masked one might no longer parse); only a value that IS a secret becomes `***`.
      const parsed = parseBody(answer, exchange);
      if (answer.status >= 200 && answer.status < 300) return { data: mask.value(parsed), exchange, maskText: mask.text };
      const location = answer.headers.location ? mask.url(answer.headers.location) : '(no location)';
      const detail =
        answer.status >= 300 && answer.status < 400
          ? `HTTP ${answer.status} redirect to ${location}; redirects are not followed`
          : mask.text(errorMessage(parsed, { ...answer, text: shownText }));
      throw httpStatusFailure(answer.status, exchange, detail, answer.headers['retry-after']);
    },

    async preview(request) {
      const { shown, rendered } = prepare(request);
      return { url: shown, request: rendered };
    },

    async close() {
      agents.destroy();
    },
  };
}

/** The method and URL of a link such as 'PUT /clientes/1' (POST when no method is given), kept on the connection's host. */
export function restTarget(baseUrl: string, link: string): { method: string; url: URL } {
  const match = /^\s*([A-Za-z]+)\s+(\S*)\s*$/.exec(link);
  const method = match?.[1]?.toUpperCase() ?? 'POST';
  const path = match?.[2] ?? link.trim();
  if (!METHODS.has(method))
    throw new InvalidIntegrationError('link', shownUrl(link), `expected one of ${[...METHODS].join(', ')}, got ${method}`);
  if (path !== '' && !/^[/?]/.test(path)) {
    throw new InvalidIntegrationError('link', shownUrl(link), 'expected a path starting with "/" to append to the connection baseUrl');
  }
  const base = new URL(baseUrl);
  const url = new URL(baseUrl.replace(/\/+$/, '') + path);
  if (url.origin !== base.origin)
    throw new InvalidIntegrationError('link', shownUrl(link), `expected it to stay on ${base.origin}, got ${url.origin}`);
  return { method, url };
}

/** Lower-cased so a connection's 'Content-Type' replaces ours instead of going out twice; auth wins over `headers`. */
function requestHeaders(connection: ApiConnection, body: string | undefined): Record<string, string> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json; charset=utf-8';
  for (const [name, value] of Object.entries(connection.headers)) headers[name.toLowerCase()] = value;
  const auth = connection.auth;
  if (auth.type === 'basic') headers.authorization = `Basic ${Buffer.from(`${auth.user}:${auth.password.reveal()}`).toString('base64')}`;
  if (auth.type === 'bearer') headers.authorization = `Bearer ${auth.token.reveal()}`;
  if (auth.type === 'header') headers[auth.name.toLowerCase()] = auth.value.reveal();
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  return headers;
}

function secretHeaderNames(auth: ApiAuth): Set<string> {
  return new Set(['authorization', 'proxy-authorization', ...(auth.type === 'header' ? [auth.name.toLowerCase()] : [])]);
}

/** The request as the integration log shows it: method and shown URL, headers with secrets redacted, the JSON body. */
function render(method: string, url: string, headers: Record<string, string>, body: string | undefined, secret: Set<string>): string {
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${secret.has(name) ? REDACTED : value}`);
  return [`${method} ${url}`, ...lines, '', body ?? ''].join('\n');
}

interface HttpCall {
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
  timeoutMs: number;
  signal: AbortSignal | undefined;
  /** The exchange a too-large answer's error carries. */
  exchange: TransportExchange;
}

/**
 * One call through got and the guarded agents, asking only for what the transport needs: no retries, no redirects, the
 * answer whatever its status (we classify it), the body as bytes, cut off past MAX_RESPONSE_BYTES. No DNS cache, so the
 * agents' guarded lookup is the only one; no decompression, so no accept-encoding goes out and the cap counts the bytes
 * received; no user-agent of got's (the connection may set one), so the request is the one preview() shows.
 */
async function exchangeHttp(url: URL, call: HttpCall, agents: OutboundAgents): Promise<HttpAnswer> {
  const { default: got } = await loadGot();
  const pending = got(url, {
    agent: { http: agents.http, https: agents.https },
    dnsCache: false,
    method: call.method as Method,
    headers: { 'user-agent': undefined, ...call.headers },
    body: call.body,
    timeout: { request: call.timeoutMs },
    signal: call.signal,
    retry: { limit: 0 },
    followRedirect: false,
    throwHttpErrors: false,
    decompress: false,
    responseType: 'buffer',
  });
  let tooLarge = false;
  pending.on('downloadProgress', ({ transferred }) => {
    if (transferred <= MAX_RESPONSE_BYTES || tooLarge) return;
    tooLarge = true;
    pending.cancel();
  });
  try {
    const response = await pending;
    return { status: response.statusCode, headers: response.headers, text: response.body.toString('utf8') };
  } catch (error) {
    // Answered after the receptor took the request: it may have done it, so the outcome is unknown (not a refusal).
    if (tooLarge)
      throw new ResponseTooLargeError({ url: call.exchange.url, limitBytes: MAX_RESPONSE_BYTES }, true, call.exchange, { cause: error });
    throw error;
  }
}

/** JSON when it parses; the text otherwise (null when empty). A JSON content type that does not parse is the receptor's fault. */
function parseBody(answer: HttpAnswer, exchange: TransportExchange): unknown {
  if (answer.text.trim() === '') return null;
  try {
    return JSON.parse(answer.text);
  } catch (error) {
    const json = /[/+]json\b/i.test(answer.headers['content-type'] ?? '');
    if (json && answer.status >= 200 && answer.status < 300)
      throw new ReceptorError('the response says JSON but is not', exchange, { cause: error });
    return answer.text;
  }
}

/** The receptor's own words from an error body: the usual message fields, else the text, else the status. */
function errorMessage(data: unknown, answer: HttpAnswer): string {
  if (data !== null && typeof data === 'object') {
    const record = data as Record<string, unknown>;
    const first = Array.isArray(record.errors) ? record.errors[0] : undefined;
    for (const candidate of [record.message, record.mensagem, record.error, record.erro, record.detail, record.title, first]) {
      if (typeof candidate === 'string' && candidate !== '') return candidate;
      if (candidate !== null && typeof candidate === 'object') {
        const nested = (candidate as Record<string, unknown>).message ?? (candidate as Record<string, unknown>).mensagem;
        if (typeof nested === 'string' && nested !== '') return nested;
      }
    }
  }
  const text = answer.text.trim();
  return text === '' ? `HTTP ${answer.status}` : text.slice(0, 1000);
}
