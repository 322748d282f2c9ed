import type { MessageParams } from '@integrador/i18n';
import type { ApiAuth, Connection } from './connection';
import type { ApiEntry, DatabaseDriver, DatabaseEntry, WebServiceEntry } from './connections-schema';
import { type FieldProblem, validateEntry } from './entry-validator';
import { type EnvMap, referencedVariables, resolveEnvReferences } from './env-references';
import type { ConnectionsProblem } from './errors';
import { problemText } from './messages';
import { Secret } from './secret';
import { CONNECTION_KINDS, normalizeTipoConexao } from './tipo-conexao';

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_PORTS: Record<DatabaseDriver, number | undefined> = {
  postgres: 5432,
  mysql: 3306,
  mssql: 1433,
  oracle: 1521,
  firebird: 3050,
  sqlite: undefined,
  odbc: undefined,
};
const URL_SCHEMES: Record<DatabaseDriver, readonly string[]> = {
  postgres: ['postgres', 'postgresql'],
  mysql: ['mysql', 'mariadb'],
  mssql: ['mssql', 'sqlserver'],
  oracle: ['oracle'],
  firebird: ['firebird'],
  sqlite: ['sqlite', 'file'],
  odbc: [],
};

/** Reads one entry of the file: tipo alias, `${VAR}` references, schema, then the typed connection (or every problem found). */
export function readConnectionEntry(name: string, raw: unknown, env: EnvMap): { connection?: Connection; problems: ConnectionsProblem[] } {
  const fail = (problems: FieldProblem[]) => ({ problems: problems.map((problem) => ({ entry: name, ...problem })) });
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { problems: [{ entry: name, ...problemText('EXPECTED_ENTRY_MAPPING') }] };
  }
  const tipo: unknown = (raw as Record<string, unknown>).tipo;
  const kind = typeof tipo === 'string' ? normalizeTipoConexao(tipo) : null;
  if (kind === null) {
    const got: MessageParams = tipo === undefined ? { gotKind: 'nothing' } : { got: JSON.stringify(tipo) };
    return fail([{ field: 'tipo', ...problemText('EXPECTED_TIPO', { expected: CONNECTION_KINDS.join(', '), ...got }) }]);
  }
  const resolved = resolveEnvReferences({ ...raw, tipo: kind }, env);
  // A field whose reference failed would also fail the schema: report the reference only.
  const unresolved = new Set(resolved.problems.map((problem) => problem.field));
  const problems = [...resolved.problems, ...validateEntry(kind, resolved.value).filter((problem) => !unresolved.has(problem.field))];
  if (problems.length > 0) return fail(problems);
  const loaded = (connection: Connection) => ({ connection: deepFreeze(withPasswordVariables(connection, raw)), problems: [] });
  if (kind === 'webservice') return loaded(webService(name, resolved.value as WebServiceEntry));
  if (kind === 'api') return loaded(api(name, resolved.value as ApiEntry));
  const entry = resolved.value as DatabaseEntry;
  const databaseProblems = checkDatabase(entry);
  return databaseProblems.length > 0 ? fail(databaseProblems) : loaded(database(name, entry));
}

/**
 * The connection with the `${NAME}` references its secret is written with (the raw entry's password, url,
 * connectionString or auth secret), for a refused login's wording; none when the secret is written in the file.
 */
function withPasswordVariables(connection: Connection, raw: object): Connection {
  const entry = raw as Record<string, unknown>;
  const auth = (entry.auth ?? {}) as Record<string, unknown>;
  // Only a URL's user info and a connection string's PWD hold the secret: a host's variable is no password's.
  const userInfo = typeof entry.url === 'string' ? /\/\/([^/]*)@/.exec(entry.url)?.[1] : undefined;
  const pwd =
    typeof entry.connectionString === 'string' ? /(?:^|;)\s*(?:PWD|Password)\s*=([^;]*)/i.exec(entry.connectionString)?.[1] : undefined;
  const fields = [entry.password, userInfo, pwd, auth.password, auth.token, auth.value];
  const names = [...new Set(fields.flatMap(referencedVariables))];
  return names.length > 0 ? { ...connection, passwordVariables: names } : connection;
}

/** Connections are shared by every job of a process; freezing stops one job from changing another's settings. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !(value instanceof Secret)) {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}

function webService(name: string, entry: WebServiceEntry): Connection {
  return {
    kind: 'webservice',
    name,
    empresaId: entry.empresaId,
    ...(entry.retry ? { retry: { ...entry.retry } } : {}),
    baseUrl: entry.baseUrl.replace(/\/+$/, ''),
    user: entry.user,
    password: new Secret(entry.password),
    encryption: entry.encryption ?? 0,
    timeoutMs: entry.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    allowPrivateNetwork: entry.allowPrivateNetwork ?? false,
  };
}

function api(name: string, entry: ApiEntry): Connection {
  return {
    kind: 'api',
    name,
    empresaId: entry.empresaId,
    ...(entry.retry ? { retry: { ...entry.retry } } : {}),
    baseUrl: entry.baseUrl.replace(/\/+$/, ''),
    auth: apiAuth(entry.auth),
    headers: { ...entry.headers },
    timeoutMs: entry.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    allowPrivateNetwork: entry.allowPrivateNetwork ?? false,
  };
}

function apiAuth(auth: ApiEntry['auth']): ApiAuth {
  switch (auth?.type) {
    case undefined:
    case 'none':
      return { type: 'none' };
    case 'basic':
      return { type: 'basic', user: auth.user, password: new Secret(auth.password) };
    case 'bearer':
      return { type: 'bearer', token: new Secret(auth.token) };
    case 'header':
      return { type: 'header', name: auth.name, value: new Secret(auth.value) };
  }
}

/** The rules JSON Schema would state only as an unreadable oneOf: url or parts, and a url that matches the driver. */
function checkDatabase(entry: DatabaseEntry): FieldProblem[] {
  if (entry.driver === 'odbc') return checkOdbc(entry);
  const odbcOnly = (['connectionString', 'dsn'] as const).filter((field) => entry[field] !== undefined);
  if (odbcOnly.length > 0) return odbcOnly.map((field) => ({ field, ...problemText('ODBC_ONLY') }));
  if (entry.url !== undefined) {
    const scheme = entry.url.slice(0, entry.url.indexOf(':')).toLowerCase();
    const schemes = URL_SCHEMES[entry.driver];
    const parts = (['host', 'port', 'database', 'user', 'password'] as const).filter((field) => entry[field] !== undefined);
    return [
      ...(schemes.includes(scheme)
        ? []
        : [{ field: 'url', ...problemText('URL_SCHEME', { schemes: `${schemes.join(': or ')}:`, driver: entry.driver }) }]),
      ...parts.map((field) => ({ field, ...problemText('NOT_WITH_URL') })),
    ];
  }
  const required = entry.driver === 'sqlite' ? (['database'] as const) : (['host', 'database'] as const);
  return required.filter((field) => entry[field] === undefined).map((field) => ({ field, ...problemText('MISSING_FIELD_OR_URL') }));
}

/** An ODBC entry names its data source by connection string or DSN (exactly one); host/port only feed the guard and the test. */
function checkOdbc(entry: DatabaseEntry): FieldProblem[] {
  if (entry.url !== undefined) return [{ field: 'url', ...problemText('URL_NOT_FOR_ODBC') }];
  if (entry.connectionString !== undefined && entry.dsn !== undefined)
    return [{ field: 'dsn', ...problemText('DSN_WITH_CONNECTION_STRING') }];
  if (entry.connectionString === undefined && entry.dsn === undefined)
    return [{ field: 'connectionString', ...problemText('MISSING_FIELD_OR_DSN') }];
  // The connection string is not parsed: the guard checks the host named beside it.
  if (entry.host === undefined && entry.allowPrivateNetwork !== true) return [{ field: 'host', ...problemText('MISSING_ODBC_HOST') }];
  return [];
}

function database(name: string, entry: DatabaseEntry): Connection {
  return {
    kind: 'database',
    name,
    empresaId: entry.empresaId,
    ...(entry.retry ? { retry: { ...entry.retry } } : {}),
    driver: entry.driver,
    url: entry.url === undefined ? undefined : new Secret(entry.url),
    connectionString: entry.connectionString === undefined ? undefined : new Secret(entry.connectionString),
    dsn: entry.dsn,
    host: entry.host,
    port: entry.port ?? (entry.host === undefined ? undefined : DEFAULT_PORTS[entry.driver]),
    database: entry.database,
    user: entry.user,
    password: entry.password === undefined ? undefined : new Secret(entry.password),
    options: { ...entry.options },
    allowPrivateNetwork: entry.allowPrivateNetwork ?? false,
  };
}
