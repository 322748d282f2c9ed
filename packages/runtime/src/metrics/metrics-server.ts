import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import { HUB_VERSION } from '@integrador/config';
import { defineCatalogue, type Locale, localeFromAcceptLanguage } from '@integrador/i18n';
import type { Logger } from '@integrador/logging';
import { Registry } from 'prom-client';
import { registerProcessMetrics } from './process-metrics';

/** True when the request carries `Authorization: Bearer <token>` (compared in constant time). */
export function hasBearerToken(authorization: string | undefined, token: string): boolean {
  const given = Buffer.from(String(authorization ?? ''));
  const expected = Buffer.from(`Bearer ${token}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export interface MetricsServerOptions {
  /** 0 = no server (the registry still collects). */
  port: number;
  host: string;
  /** When set, GET /metrics needs `Authorization: Bearer <token>` (METRICS_TOKEN, as on the ingress). */
  token: string | undefined;
  /**
   * GET /readyz answers 200 while this says so, 503 otherwise (a worker: its Redis connection is ready; a cluster's
   * primary: every process runs with its Redis ready). GET /healthz (liveness) answers 200 while the process answers
   * at all: a Redis outage or a child's respawn is no reason to restart the pod (workers wait for Redis themselves).
   */
  ready: () => boolean;
  logger: Logger;
  /** What GET /metrics answers instead of this process's registry (a cluster's primary: every process's, aggregated). */
  source?: MetricsSource;
}

/** Something that renders metrics in a Prometheus exposition format (a prom-client Registry is one). */
export interface MetricsSource {
  contentType: string;
  metrics(): Promise<string>;
}

export interface MetricsServer {
  registry: Registry;
  /** The port listened on (0 when disabled). */
  port: number;
  close(): Promise<void>;
}

/** The answer to a scrape without the token, on a worker's metrics port and on the ingress's /metrics alike. */
export const METRICS_UNAUTHORIZED = {
  'pt-BR': 'token de métricas ausente ou inválido: envie o cabeçalho Authorization: Bearer <METRICS_TOKEN>',
  en: 'missing or invalid metrics token: send the header Authorization: Bearer <METRICS_TOKEN>',
} as const;

const MESSAGES = defineCatalogue({ METRICS_UNAUTHORIZED });

/** The 401 body of a scrape without the token, in the scraper's language (a worker's metrics port, an app's /metrics). */
export function metricsUnauthorizedBody(locale: Locale): { error: { code: 'METRICS_UNAUTHORIZED'; message: string } } {
  return { error: { code: 'METRICS_UNAUTHORIZED', message: MESSAGES.message(locale, 'METRICS_UNAUTHORIZED') } };
}

let running: Promise<MetricsServer> | undefined;

/** True for a host name or address only this machine reaches (localhost, 127.0.0.0/8, ::1). */
export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return name === 'localhost' || name === '::1' || /^(::ffff:)?127(\.\d{1,3}){3}$/.test(name);
}

/**
 * /metrics names every empresa (ids, volumes, failures): served open (no METRICS_TOKEN) on an address other machines
 * reach, any of them — a tenant's own included — reads every other tenant's activity. Said once at start by each
 * server of it (the ingress and every worker's metrics port); returns whether it warned.
 */
export function warnIfMetricsOpen(options: { host: string; token: string | undefined; logger: Pick<Logger, 'warn'> }): boolean {
  if (options.token || isLoopbackHost(options.host)) return false;
  options.logger.warn(
    { host: options.host },
    "metrics: /metrics is open (METRICS_TOKEN unset) on a non-loopback HOST and shows every tenant's ids and volumes; set METRICS_TOKEN or keep the port private",
  );
  return true;
}

/**
 * The process's one metrics server: a second call in the same process returns the first, so two workers sharing a
 * process never bind the port twice or register a metric twice.
 */
export function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  running ??= listenMetrics(options).catch((err: unknown) => {
    running = undefined;
    throw err;
  });
  return running;
}

/**
 * A metrics registry (process metrics included) and the small HTTP server exposing it: GET /metrics for Prometheus,
 * GET /healthz (liveness) and /readyz (readiness) for the probes. Apps call startMetricsServer (once per process); tests call this.
 */
export async function listenMetrics(options: MetricsServerOptions): Promise<MetricsServer> {
  const registry = new Registry();
  registerProcessMetrics(registry);
  if (options.port === 0) return { registry, port: 0, close: async () => undefined };
  const server = createServer((request, response) => {
    answer(request, options, options.source ?? registry).then(
      ({ status, type, body }) => response.writeHead(status, { 'content-type': type }).end(body),
      (err: unknown) => {
        options.logger.warn({ reason: (err as Error).message }, 'metrics: scrape failed');
        response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          `METRICS_PORT ${options.port}: cannot listen on ${options.host} (${err.code ?? err.message}); set METRICS_PORT to a free port, or 0 for none`,
        ),
      ),
    );
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  options.logger.info({ port }, 'metrics server listening');
  warnIfMetricsOpen(options);
  return {
    registry,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // A scraper keeps its connection alive between scrapes; close() alone would wait for it.
        server.closeAllConnections();
      }),
  };
}

async function answer(
  request: IncomingMessage,
  options: MetricsServerOptions,
  source: MetricsSource,
): Promise<{ status: number; type: string; body: string }> {
  const path = (request.url ?? '/').split('?')[0];
  if (request.method !== 'GET' && request.method !== 'HEAD') return { status: 405, type: 'text/plain', body: 'method not allowed\n' };
  if (path === '/healthz') {
    return { status: 200, type: 'application/json', body: JSON.stringify({ status: 'ok', version: HUB_VERSION }) };
  }
  if (path === '/readyz') {
    const ready = options.ready();
    return { status: ready ? 200 : 503, type: 'application/json', body: JSON.stringify({ status: ready ? 'ready' : 'unavailable' }) };
  }
  if (path === '/metrics') {
    if (options.token && !hasBearerToken(request.headers.authorization, options.token)) {
      const body = metricsUnauthorizedBody(localeFromAcceptLanguage(request.headers['accept-language']));
      return { status: 401, type: 'application/json', body: JSON.stringify(body) };
    }
    return { status: 200, type: source.contentType, body: await source.metrics() };
  }
  return { status: 404, type: 'text/plain', body: 'not found\n' };
}
