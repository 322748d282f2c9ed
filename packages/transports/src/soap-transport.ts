import { randomUUID } from 'node:crypto';
import { shownUrl, type WebServiceConnection, withUrlShown } from '@integrador/connections';
import type { Client } from 'soap';
import type { Dispatcher } from 'undici';
import { InvalidIntegrationError, OutboundAddressError, ReceptorError } from './errors';
import { loadSoap } from './lazy-modules';
import { connectionMasker } from './secret-mask';
import { type SoapClientCache, sharedSoapClientCache } from './soap-client-cache';
import { asSoapFailure, classifySoapFailure } from './soap-errors';
import { createSoapDispatcher, soapHttpRequest } from './soap-http';
import { describedParameters, missingSoapWrapper } from './soap-wrapper-check';
import type { Transport, TransportExchange, TransportRequest, TransportResult } from './transport';

/** A response bigger than this, as received or once decoded, is refused rather than held in a worker's memory. */
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
const REDACTED = '[REDACTED]';
/** How long close() lets requests still under way finish before it fails them. */
const CLOSE_GRACE_MS = 1000;
/** Links whose URLs a transport keeps parsed (a connection serves a handful of integrations). */
const MAX_KNOWN_LINKS = 200;

/** What soap's callback form gives per call: unlike client.lastRequest, safe under concurrency. */
interface CallOutcome {
  error: unknown;
  result: unknown;
  rawResponse: string | null;
  rawRequest: string | null;
  statusCode: number | null;
}

type SoapMethod = (
  args: unknown,
  callback: (error: unknown, result: unknown, rawResponse: unknown, soapHeader: unknown, rawRequest: unknown) => void,
  options: Record<string, unknown>,
) => void;

/** What we learn about a client once: its operations, and a place for the 'response' event to leave each call's HTTP status. */
interface ClientInfo {
  operations: ReadonlySet<string>;
  statuses: Map<string, number | null>;
}
const clientInfo = new WeakMap<Client, ClientInfo>();

/** The SOAP transport of one web service connection (Senior G5 and the like): WSDL at baseUrl + link, operation = porta_ws. */
export function createSoapTransport(connection: WebServiceConnection, options: { cache?: SoapClientCache } = {}): Transport {
  const cache = options.cache ?? sharedSoapClientCache;
  // The connect is bounded by the connection's timeoutMs (the WSDL load's bound, and a call's unless the integration sets
  // timeout_ms), not undici's 10 s; a call's own deadline (its signal) ends its wait for a connect sooner (soap-http.ts).
  const dispatcher = createSoapDispatcher({
    allowPrivateNetwork: connection.allowPrivateNetwork,
    maxResponseBytes: MAX_RESPONSE_BYTES,
    connectTimeoutMs: connection.timeoutMs,
  });
  const password = connection.password.reveal();
  const secret = secretForms(password);
  // What the receptor answers (a body, a fault, an error text, the parsed result) may echo the password: masked `***`.
  const mask = connectionMasker(connection);
  const scrub = mask.text;
  // An integration's link gives the same URLs on every call: parsed once per link (a bad link is not kept: it throws again).
  const urls = new Map<string, { wsdlUrl: string; endpoint: string; shownEndpoint: string }>();
  const urlsOf = (link: string) => {
    let known = urls.get(link);
    if (!known) {
      const found = soapUrls(connection.baseUrl, link);
      known = { ...found, shownEndpoint: shownUrl(found.endpoint) };
      if (urls.size >= MAX_KNOWN_LINKS) urls.clear();
      urls.set(link, known);
    }
    return known;
  };

  async function prepare(request: TransportRequest) {
    const { wsdlUrl, endpoint, shownEndpoint } = urlsOf(request.link);
    const client = await cache.get(wsdlUrl, () => loadClient(wsdlUrl, endpoint, connection.timeoutMs, dispatcher, scrub));
    const method = operationOf(client, request.operation, request.link);
    const args = { user: connection.user, password, encryption: connection.encryption, parameters: request.body };
    return { client, method, args, endpoint, shownEndpoint };
  }

  return {
    async send(request) {
      const { client, method, args, endpoint, shownEndpoint } = await prepare(request);
      const deadline = callDeadline(request.timeoutMs, request.signal);
      const started = performance.now();
      const outcome = await call(client, method, args, { ...callOptions(dispatcher), signal: deadline.signal }).finally(deadline.clear);
      const exchange: TransportExchange = {
        url: shownEndpoint,
        request: redactForms(outcome.rawRequest ?? '', secret),
        response: outcome.rawResponse === null ? null : scrub(outcome.rawResponse),
        statusCode: outcome.statusCode,
        durationMs: Math.round(performance.now() - started),
      };
      if (outcome.error !== null && outcome.error !== undefined) {
        const aborted = deadline.timedOut() ? 'timeout' : request.signal?.aborted ? 'signal' : null;
        // soap's own texts may quote the endpoint: as shown, like every other place that names it.
        const scrubCall = (text: string) => withUrlShown(scrub(text), endpoint, shownEndpoint);
        throw classifySoapFailure(outcome.error, { exchange, aborted, timeoutMs: request.timeoutMs }, scrubCall);
      }
      return { data: mask.value(resultOf(outcome.result)), exchange, maskText: scrub } satisfies TransportResult;
    },

    async preview(request) {
      const { client, method, args, shownEndpoint } = await prepare(request);
      // An already aborted signal makes soapHttpRequest give up before it opens a socket, after soap has built the envelope
      // exactly as send() would: the same code path, so the preview cannot drift from what is sent.
      const outcome = await call(client, method, args, { ...callOptions(dispatcher), signal: AbortSignal.abort() });
      if (outcome.rawRequest === null) throw outcome.error;
      const parameters = describedParameters(client.describe(), request.operation ?? '');
      const missingWrapper = parameters && missingSoapWrapper(parameters, request.body);
      return { url: shownEndpoint, request: redactForms(outcome.rawRequest, secret), ...(missingWrapper ? { missingWrapper } : {}) };
    },

    async describeParameters(link, operation) {
      const { wsdlUrl, endpoint } = urlsOf(link);
      const client = await cache.get(wsdlUrl, () => loadClient(wsdlUrl, endpoint, connection.timeoutMs, dispatcher, scrub));
      return describedParameters(client.describe(), operation);
    },

    async close() {
      // Ends the kept-alive sockets (the worker's shutdown awaits it). close() also waits for every queued request, and
      // undici keeps a call abandoned mid-connect queued until that connect ends (up to the connection's timeoutMs):
      // after a short grace, destroy() fails whatever is still queued at once.
      const closing = dispatcher.close().then(
        () => true,
        () => true,
      );
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), CLOSE_GRACE_MS);
      });
      const closed = await Promise.race([closing, grace]);
      clearTimeout(timer);
      if (!closed) await dispatcher.destroy();
    },
  };
}

/**
 * One call's signal: aborted when `timeoutMs` has passed since the call started, or when the caller's signal aborts.
 * A controller, a timer cleared when the call ends and a listener removed with it: AbortSignal.timeout() keeps its
 * timer (and the signal) alive for the whole timeout after a call that took milliseconds, and AbortSignal.any() ties
 * the two with weak references and a finalization registry: together ~4× the CPU per push, the rest in GC.
 */
function callDeadline(timeoutMs: number, outer: AbortSignal | undefined) {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException(`the call took more than ${timeoutMs} ms`, 'TimeoutError'));
  }, timeoutMs);
  const onAbort = () => controller.abort(outer?.reason);
  if (outer?.aborted) onAbort();
  else outer?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    clear: () => {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    },
  };
}

/** The WSDL URL (baseUrl + link) and the endpoint the calls go to: the same URL without `?wsdl`. */
export function soapUrls(baseUrl: string, link: string): { wsdlUrl: string; endpoint: string } {
  // A link that is not a path could name another host ('@evil.example/x' after 'https://erp' is a userinfo trick).
  if (!/^[/?]/.test(link))
    throw new InvalidIntegrationError('link', shownUrl(link), 'expected a path starting with "/" to append to the connection baseUrl');
  const base = new URL(baseUrl);
  const url = new URL(baseUrl.replace(/\/+$/, '') + link);
  if (url.origin !== base.origin)
    throw new InvalidIntegrationError('link', shownUrl(link), `expected it to stay on ${base.origin}, got ${url.origin}`);
  const endpoint = new URL(url);
  const kept = [...url.searchParams].filter(([key]) => key.toLowerCase() !== 'wsdl');
  endpoint.search = new URLSearchParams(kept).toString();
  // The ERP's WSDL may advertise an internal host name in soap:address; the address we were given is the one that works.
  return { wsdlUrl: url.href, endpoint: endpoint.href };
}

function loadClient(wsdlUrl: string, endpoint: string, timeoutMs: number, dispatcher: Dispatcher, scrub: (text: string) => string) {
  const started = performance.now();
  return loadSoap()
    .then(({ createClientAsync }) =>
      createClientAsync(wsdlUrl, {
        endpoint,
        // Our cache is the only one: soap's own is unbounded and global.
        disableCache: true,
        // The WSDL and every call go out through the transport's guarded undici dispatcher instead of axios (soap-http.ts):
        // no redirect is followed (a WSDL that redirects elsewhere is refused like every other answer), no HTTP(S)_PROXY is read.
        request: soapHttpRequest as never,
        wsdl_options: {
          timeout: timeoutMs,
          // A refused WSDL keeps its status and headers (a 429's Retry-After paces the retry: limited-transport.ts).
          wsdlFetch: true,
          dispatcher,
          maxResponseBytes: MAX_RESPONSE_BYTES,
          // soap reads an import whose location is not http(s) from the local disk: a WSDL must not make us read files.
          overrideImportLocation: (location: string) => {
            if (!/^https?:\/\//i.test(location)) throw new ReceptorError(`the WSDL imports ${location}; only http(s) imports are allowed`);
            return location;
          },
        },
      }),
    )
    .then(
      (client) => {
        clientInfo.set(client, { operations: operationNames(client), statuses: new Map() });
        client.on('response', (_body: unknown, response: { status?: number } | undefined, eid: string) => {
          clientInfo.get(client)?.statuses.set(eid, response?.status ?? null);
        });
        return client;
      },
      (error: unknown) => {
        throw wsdlFailure(error, wsdlUrl, Math.round(performance.now() - started), timeoutMs, scrub);
      },
    );
}

function wsdlFailure(error: unknown, wsdlUrl: string, durationMs: number, timeoutMs: number, scrub: (text: string) => string): Error {
  const failure = asSoapFailure(error);
  // The texts of soap and of soapHttpRequest quote the WSDL URL whole: every text here names it as shown.
  const shown = shownUrl(wsdlUrl);
  const scrubWsdl = (text: string) => withUrlShown(scrub(text), wsdlUrl, shown);
  const exchange: TransportExchange = {
    url: shown,
    request: `GET ${shown}`,
    response: null,
    // A non-200 WSDL answer comes as soapHttpRequest's ERR_WSDL_STATUS, status and headers kept (wsdlFetch).
    statusCode: failure.response?.status ?? null,
    durationMs,
  };
  const classified = classifySoapFailure(error, { exchange, aborted: null, timeoutMs, wsdl: true }, scrubWsdl);
  // Recognised (wrapped, or the guard's refusal as it came): not a document problem.
  if (classified !== error || error instanceof ReceptorError || error instanceof OutboundAddressError) return classified;
  // Not a network or HTTP failure: the document itself is unusable (not XML, not a WSDL); loading it again would not help.
  return new ReceptorError(`could not read the WSDL at ${shown}: ${scrubWsdl(failure.message ?? String(error))}`, exchange, {
    cause: error,
  });
}

function operationNames(client: Client): Set<string> {
  const names = new Set<string>();
  const services = client.describe() as Record<string, Record<string, Record<string, unknown>>>;
  for (const ports of Object.values(services))
    for (const operations of Object.values(ports)) for (const name in operations) names.add(name);
  return names;
}

/** The client's method for porta_ws; only a WSDL operation, never one of the Client's own methods. */
function operationOf(client: Client, operation: string | null, link: string): SoapMethod {
  const operations = clientInfo.get(client)?.operations ?? operationNames(client);
  if (operation === null || !operations.has(operation)) {
    const known = [...operations].join(', ');
    throw new InvalidIntegrationError('porta_ws', operation, `expected an operation of the web service at ${shownUrl(link)}: ${known}`);
  }
  return (client[operation] as SoapMethod).bind(client);
}

/** A call's options, handed by soap to soapHttpRequest; its deadline is the signal send() adds. */
function callOptions(dispatcher: Dispatcher): Record<string, unknown> {
  return { exchangeId: randomUUID(), dispatcher, maxResponseBytes: MAX_RESPONSE_BYTES };
}

function call(client: Client, method: SoapMethod, args: unknown, options: Record<string, unknown>): Promise<CallOutcome> {
  const eid = options.exchangeId as string;
  return new Promise((resolve) => {
    const done = (error: unknown, result: unknown, rawResponse: unknown, rawRequest: unknown) => {
      const statuses = clientInfo.get(client)?.statuses;
      const statusCode = asSoapFailure(error).response?.status ?? statuses?.get(eid) ?? null;
      statuses?.delete(eid);
      const body = typeof rawResponse === 'string' ? rawResponse : asSoapFailure(error).body;
      resolve({
        error,
        result,
        rawResponse: typeof body === 'string' ? body : null,
        rawRequest: typeof rawRequest === 'string' ? rawRequest : null,
        statusCode,
      });
    };
    try {
      method(args, (error, result, rawResponse, _header, rawRequest) => done(error, result, rawResponse, rawRequest), options);
    } catch (error) {
      // soap throws synchronously when the arguments do not fit the WSDL.
      done(error, undefined, undefined, undefined);
    }
  });
}

/** The output's `result` (Senior G5 wraps everything in it), or the whole output when there is none. */
function resultOf(output: unknown): unknown {
  if (output !== null && typeof output === 'object' && 'result' in output) return output.result;
  return output ?? null;
}

function xmlEscape(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\t/g, '&#x9;')
    .replace(/\r/g, '&#xD;')
    .replace(/\n/g, '&#xA;');
}

/** A secret as it may appear in a text: as is and XML-escaped (computed once per transport, not per call). */
interface SecretForms {
  plain: string;
  escaped: string;
}

function secretForms(secret: string): SecretForms {
  return { plain: secret, escaped: xmlEscape(secret) };
}

const PASSWORD_ELEMENT = /<((?:[\w.-]+:)?password)(\s[^>]*)?>([^<]*)<\/\1>/g;

/** Replaces the password element's text; then, should the password still show anywhere (CDATA, an echo), every copy of it. */
export function redactPassword(xml: string, password: string): string {
  return redactForms(xml, secretForms(password));
}

function redactForms(xml: string, secret: SecretForms): string {
  const redacted = xml.replace(PASSWORD_ELEMENT, (element, tag: string, attributes: string | undefined, text) =>
    text === secret.escaped ? `<${tag}${attributes ?? ''}>${REDACTED}</${tag}>` : element,
  );
  return scrubForms(redacted, secret);
}

/** Every copy of the secret replaced; a text without one (the usual answer) is returned as it is, without copying. */
function scrubForms(text: string, secret: SecretForms): string {
  if (secret.plain === '') return text;
  let scrubbed = text;
  if (scrubbed.includes(secret.plain)) scrubbed = scrubbed.split(secret.plain).join(REDACTED);
  if (secret.escaped !== secret.plain && scrubbed.includes(secret.escaped)) scrubbed = scrubbed.split(secret.escaped).join(REDACTED);
  return scrubbed;
}
