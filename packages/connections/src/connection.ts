import type { DatabaseDriver } from './connections-schema';
import type { Secret } from './secret';

interface ConnectionBase {
  /** The entry's key in the file: conexao_integracao.nome_conexao. */
  readonly name: string;
  /** When set, only this empresa (tenant) may use the connection. */
  readonly empresaId?: number;
  /** When set, a SET push's transient failures on this connection retry this way (packages/jobs/src/retry-policy.ts). */
  readonly retry?: { readonly attempts: number; readonly backoffMs: number; readonly maxDelayMs?: number };
  /**
   * The environment variables the entry's password comes from (its `${NAME}` references, in password, url,
   * connectionString or the API's auth): what a refused login tells the operator to fix. Names only, never values.
   */
  readonly passwordVariables?: readonly string[];
}

/** A SOAP web service such as Senior G5: the credentials go in every envelope (user, password, encryption). */
export interface WebServiceConnection extends ConnectionBase {
  readonly kind: 'webservice';
  /** Scheme, host and port without a trailing slash; the integration's `link` is appended. */
  readonly baseUrl: string;
  readonly user: string;
  readonly password: Secret;
  readonly encryption: number;
  readonly timeoutMs: number;
  /** Lets requests reach loopback/private/link-local addresses (an ERP on the LAN); the loader sets false unless the file says true. */
  readonly allowPrivateNetwork?: boolean;
}

/** A database of the other system: either `url`, or `host`/`port`/`database`/`user`/`password` (only `database` for sqlite). */
export interface DatabaseConnection extends ConnectionBase {
  readonly kind: 'database';
  readonly driver: DatabaseDriver;
  readonly url?: Secret;
  /** driver odbc: the ODBC connection string (credentials in it), or `dsn`. */
  readonly connectionString?: Secret;
  /** driver odbc: a data source name of odbc.ini (user/password, when given, are added as UID/PWD). */
  readonly dsn?: string;
  /** For odbc, the server's host as the outbound guard checks it (the connection string itself is not parsed). */
  readonly host?: string;
  /** The driver's default port when a host is given without one. */
  readonly port?: number;
  readonly database?: string;
  readonly user?: string;
  readonly password?: Secret;
  readonly options: Readonly<Record<string, unknown>>;
  /** Lets the readers reach a database on loopback/private/link-local addresses (an ERP on the LAN); the loader sets false unless the file says true. */
  readonly allowPrivateNetwork?: boolean;
}

export type ApiAuth =
  | { readonly type: 'none' }
  | { readonly type: 'basic'; readonly user: string; readonly password: Secret }
  | { readonly type: 'bearer'; readonly token: Secret }
  | { readonly type: 'header'; readonly name: string; readonly value: Secret };

/** An HTTP API (REST/JSON). */
export interface ApiConnection extends ConnectionBase {
  readonly kind: 'api';
  readonly baseUrl: string;
  readonly auth: ApiAuth;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** Lets requests reach loopback/private/link-local addresses; the loader sets false unless the file says true. */
  readonly allowPrivateNetwork?: boolean;
}

/** A loaded connection, told apart by `kind`. */
export type Connection = WebServiceConnection | DatabaseConnection | ApiConnection;
