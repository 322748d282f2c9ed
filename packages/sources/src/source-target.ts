import { type DatabaseConnection, type DatabaseDriver, urlHostname } from '@integrador/connections';

/** Where and as whom a reader connects, with the secrets revealed: never log it. */
export interface SourceTarget {
  readonly driver: DatabaseDriver;
  /** Undefined for sqlite (a file). */
  readonly host?: string;
  readonly port?: number;
  /** Database name, Oracle service name, Firebird database path or alias, SQLite file path. */
  readonly database: string;
  readonly user?: string;
  readonly password?: string;
  /** The connection's URL as written, for the drivers that read its query string (pg `sslmode`, mysql2 options). */
  readonly url?: string;
  /** odbc: the connection string handed to the driver manager (a DSN entry becomes `DSN=…;UID=…;PWD=…`). */
  readonly connectionString?: string;
  readonly options: Readonly<Record<string, unknown>>;
  readonly allowPrivateNetwork: boolean;
}

const DEFAULT_PORTS: Readonly<Record<DatabaseDriver, number | undefined>> = {
  postgres: 5432,
  mysql: 3306,
  mssql: 1433,
  oracle: 1521,
  firebird: 3050,
  sqlite: undefined,
  odbc: undefined,
};

/** The database part of a URL's path: one leading slash dropped, so firebird://h//var/x.fdb is /var/x.fdb and sqlite:/tmp/x is /tmp/x for sqlite. */
function databaseOf(url: URL, driver: DatabaseDriver): string {
  const path = decodeURIComponent(url.pathname);
  if (driver === 'sqlite') return url.host === '' ? path : `${url.host}${path}`;
  return path.replace(/^\//, '');
}

function fromUrl(connection: DatabaseConnection, text: string): SourceTarget {
  const url = new URL(text);
  return {
    driver: connection.driver,
    // Decoded as the outbound guard reads it (and pg, mysql2 do): the host checked is the host reached.
    host: connection.driver === 'sqlite' ? undefined : urlHostname(url),
    port: url.port === '' ? DEFAULT_PORTS[connection.driver] : Number(url.port),
    database: databaseOf(url, connection.driver),
    user: url.username === '' ? undefined : decodeURIComponent(url.username),
    password: url.password === '' ? undefined : decodeURIComponent(url.password),
    url: text,
    options: connection.options,
    allowPrivateNetwork: connection.allowPrivateNetwork ?? false,
  };
}

/** An ODBC attribute value, braced when it holds a `;`, `{` or `}` (a `}` inside doubled, as ODBC escapes it). */
function odbcValue(value: string): string {
  return /[;{}]/.test(value) || value !== value.trim() ? `{${value.replace(/}/g, '}}')}}` : value;
}

/** The connection string of an odbc connection: as written, or `DSN=…` with UID/PWD from user/password. */
function odbcConnectionString(connection: DatabaseConnection): string {
  if (connection.connectionString) return connection.connectionString.reveal();
  const parts = [`DSN=${odbcValue(connection.dsn ?? '')}`];
  if (connection.user) parts.push(`UID=${odbcValue(connection.user)}`);
  if (connection.password) parts.push(`PWD=${odbcValue(connection.password.reveal())}`);
  return `${parts.join(';')};`;
}

/** Reads a database connection (url, or host/port/database/user/password; odbc: connection string or DSN) into one shape. */
export function sourceTarget(connection: DatabaseConnection): SourceTarget {
  if (connection.driver === 'odbc')
    return {
      driver: 'odbc',
      host: connection.host,
      port: connection.port,
      database: connection.database ?? connection.dsn ?? '',
      user: connection.user,
      password: connection.password?.reveal(),
      connectionString: odbcConnectionString(connection),
      options: connection.options,
      allowPrivateNetwork: connection.allowPrivateNetwork ?? false,
    };
  if (connection.url) return fromUrl(connection, connection.url.reveal());
  return {
    driver: connection.driver,
    host: connection.driver === 'sqlite' ? undefined : connection.host,
    port: connection.port ?? DEFAULT_PORTS[connection.driver],
    database: connection.database ?? '',
    user: connection.user,
    password: connection.password?.reveal(),
    options: connection.options,
    allowPrivateNetwork: connection.allowPrivateNetwork ?? false,
  };
}
