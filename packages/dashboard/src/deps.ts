import type { ConnectionsRegistry } from '@integrador/connections';
import type { Logger } from '@integrador/logging';
import type { TransportFactory } from '@integrador/transports';
import type { ActionDeps } from './actions';

/** What the dashboard needs; the ingress passes its own (all-in-one), server.ts opens them (fleet). */
export interface DashboardDeps extends ActionDeps {
  logger: Logger;
  /** With connections, a SET job's detail also shows the consulta with bound values (the preview logic). */
  connections?: ConnectionsRegistry | undefined;
  /** Receptor transports for the preview (default: the dashboard's own, closed with its app). */
  transports?: TransportFactory | undefined;
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
