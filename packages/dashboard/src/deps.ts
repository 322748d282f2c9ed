import type { ConnectionsRegistry } from '@integrador/connections';
import type { EndpointLimits } from '@integrador/integrador';
import type { Logger } from '@integrador/logging';
import type { TransportFactory } from '@integrador/transports';
import type { WebhookHttpClient, WebhookSettings } from '@integrador/webhooks';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ActionDeps } from './actions';

/** What the dashboard needs; the ingress passes its own (all-in-one), server.ts opens them (fleet). */
export interface DashboardDeps extends ActionDeps {
  logger: Logger;
  /** With connections, a SET job's detail also shows the consulta with bound values (the preview logic). */
  connections?: ConnectionsRegistry | undefined;
  /** Receptor transports for the preview (default: the dashboard's own, closed with its app). */
  transports?: TransportFactory | undefined;
  /**
   * Seed 003's limits (ENDPOINT_*) and where `${NOME}` secrets resolve, for the services page's "Validar" (default:
   * seed 003's limits and no secrets — a service whose auth names one is then reported SECRET_MISSING).
   */
  endpoints?:
    | {
        limits: EndpointLimits;
        env: Readonly<Record<string, string | undefined>>;
        /** Validar's per-event-type bound: DASHBOARD_VALIDATE_TIMEOUT_MS (default: the engine's VALIDATE_TIMEOUT_MS). */
        validateTimeoutMs?: number | undefined;
      }
    | undefined;
  /**
   * The webhook settings (WEBHOOK_*: breaker threshold, timeouts, secret key) and HTTP client (through the outbound
   * guard) the webhooks page's "Testar" and circuit state use (default: the defaults and the dashboard's own client).
   */
  webhooks?: { settings: WebhookSettings; http: WebhookHttpClient } | undefined;
  /**
   * The tenant's admission budget of API writes (RATE_LIMIT_API_*: the /v1 counters, packages/runtime's
   * registerAdmissionLimit): a write sent here with a tenant API key passes it first, as on /v1 — resolves when admitted,
   * throws its 429 TENANT_RATE_LIMITED (Retry-After set) otherwise. Operators' sessions are not counted. Absent: no limit.
   */
  admitApiWrite?: ((request: FastifyRequest, reply: FastifyReply, empresaId: number) => Promise<void>) | undefined;
  /** Send the session cookie only over HTTPS (production behind TLS). */
  secureCookies?: boolean;
  sessionTtlMs?: number;
  /** Login attempts per IP per minute (default 10). */
  loginRateLimit?: number;
  /** Failed logins per login name before it is locked, and the window (default 10 in 15 min). */
  loginFailureLimit?: LoginFailureLimit;
}

/** Failed logins per login name (whether or not it exists), counted in Redis so every dashboard instance sees them. */
export interface LoginFailureLimit {
  /** Failures within the window that lock the login until the window ends (default 10). */
  max: number;
  /** The window, from a login's first failure (default 15 min). */
  windowMs: number;
}
