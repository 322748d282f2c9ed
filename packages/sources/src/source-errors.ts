import type { DatabaseDriver } from '@integrador/connections';
import { OutboundAddressError } from '@integrador/connections';
// The subpath, not the barrel: the receptor's transport loads this module in the ingress too.
import { databaseWriteOutcome, isStatementError, isTransientServerError } from '@integrador/store/statement-error';

/** What went wrong reaching or using a source database, in terms of what the customer's IT has to fix. */
export type SourceErrorCode =
  | 'ADDRESS_FORBIDDEN'
  | 'HOST_UNREACHABLE'
  | 'PORT_CLOSED'
  | 'TIMEOUT'
  | 'TLS_FAILED'
  | 'LOGIN_REFUSED'
  | 'DATABASE_MISSING'
  | 'QUERY_FAILED'
  | 'CONNECTION_FAILED';

/** Codes that the same attempt later may not meet again (network, server starting): a GET run retries them with backoff. */
export const TRANSIENT_SOURCE_ERRORS: ReadonlySet<SourceErrorCode> = new Set([
  'HOST_UNREACHABLE',
  'PORT_CLOSED',
  'TIMEOUT',
  'CONNECTION_FAILED',
]);

type ErrorLike = {
  odbcErrors?: unknown;
  code?: unknown;
  errno?: unknown;
  number?: unknown;
  gdscode?: unknown;
  message?: unknown;
  numbers?: unknown;
};

const NETWORK: Readonly<Record<string, SourceErrorCode>> = {
  ECONNREFUSED: 'PORT_CLOSED',
  ENOTFOUND: 'HOST_UNREACHABLE',
  EAI_AGAIN: 'HOST_UNREACHABLE',
  EAI_NONAME: 'HOST_UNREACHABLE',
  EHOSTUNREACH: 'HOST_UNREACHABLE',
  ENETUNREACH: 'HOST_UNREACHABLE',
  EHOSTDOWN: 'HOST_UNREACHABLE',
  ETIMEDOUT: 'TIMEOUT',
  ETIMEOUT: 'TIMEOUT', // tedious
  PROTOCOL_SEQUENCE_TIMEOUT: 'TIMEOUT', // mysql2
  ECONNRESET: 'CONNECTION_FAILED',
  EPIPE: 'CONNECTION_FAILED',
  HANDSHAKE_NO_SSL_SUPPORT: 'TLS_FAILED', // mysql2
  HANDSHAKE_SSL_ERROR: 'TLS_FAILED',
  EPROTO: 'TLS_FAILED',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS_FAILED',
  SELF_SIGNED_CERT_IN_CHAIN: 'TLS_FAILED',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS_FAILED',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'TLS_FAILED',
  CERT_HAS_EXPIRED: 'TLS_FAILED',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS_FAILED',
  EENCRYPT: 'TLS_FAILED', // tedious
};

/** The error and its causes (`cause`, AggregateError's `errors` from a dual-stack connect), outermost first. */
function chain(error: unknown): ErrorLike[] {
  const seen: ErrorLike[] = [];
  const walk = (current: unknown, depth: number) => {
    if (typeof current !== 'object' || current === null || depth > 6 || seen.includes(current as ErrorLike)) return;
    seen.push(current as ErrorLike);
    walk((current as { cause?: unknown }).cause, depth + 1);
    const errors = (current as { errors?: unknown }).errors;
    if (Array.isArray(errors)) for (const inner of errors) walk(inner, depth + 1);
  };
  walk(error, 0);
  return seen;
}

const text = (error: ErrorLike) => (typeof error.message === 'string' ? error.message : '');

function postgresCode(error: ErrorLike): SourceErrorCode | undefined {
  const code = typeof error.code === 'string' ? error.code : '';
  if (code === '28P01' || code === '28000') return 'LOGIN_REFUSED'; // invalid_password, invalid_authorization_specification
  if (code === '3D000') return 'DATABASE_MISSING'; // invalid_catalog_name
  // Classes 40, 53 and 57 are the server's transient refusals (isTransientServerError), never a failed query.
  if (/^(42|22|0A|25|54)/.test(code) && code.length === 5) return 'QUERY_FAILED';
  const message = text(error);
  if (/server does not support SSL|SSL (off|required)|no pg_hba\.conf entry.*(SSL|encryption)/i.test(message)) return 'TLS_FAILED';
  if (/timeout expired|Connection terminated due to connection timeout/i.test(message)) return 'TIMEOUT';
  return undefined;
}

function mysqlCode(error: ErrorLike): SourceErrorCode | undefined {
  if (error.errno === 1045 || error.errno === 1698 || error.errno === 1044) return 'LOGIN_REFUSED'; // access denied (user / database)
  if (error.errno === 1049) return 'DATABASE_MISSING'; // ER_BAD_DB_ERROR
  if (typeof error.errno === 'number' && error.errno >= 1050 && error.errno < 2000) return 'QUERY_FAILED';
  return undefined;
}

function mssqlCode(error: ErrorLike): SourceErrorCode | undefined {
  const numbers = Array.isArray(error.numbers) ? error.numbers : typeof error.number === 'number' ? [error.number] : [];
  const message = text(error);
  // 4060 comes with an 18456 after it, and tedious keeps only the last message: the numbers seen decide.
  if (numbers.includes(4060) || /Cannot open database/i.test(message)) return 'DATABASE_MISSING';
  if (numbers.includes(18456) || numbers.includes(18470) || /Login failed/i.test(message)) return 'LOGIN_REFUSED';
  if (/certificate|self[- ]signed|SSL|TLS|encrypt/i.test(message)) return 'TLS_FAILED';
  if (error.code === 'EREQUEST') return 'QUERY_FAILED';
  return undefined;
}

function oracleCode(error: ErrorLike): SourceErrorCode | undefined {
  const message = text(error);
  if (/ORA-01017|ORA-28000|ORA-01005|ORA-01045/.test(message)) return 'LOGIN_REFUSED'; // bad login, locked, no password, no CREATE SESSION
  if (/ORA-12514|ORA-12505|NJS-518|NJS-519/.test(message)) return 'DATABASE_MISSING'; // service / SID unknown to the listener
  if (/ORA-12541|NJS-511/.test(message)) return 'PORT_CLOSED'; // no listener
  if (/NJS-510|ORA-12170/.test(message)) return 'TIMEOUT';
  if (/NJS-503|NJS-500/.test(message) && /ECONNREFUSED/.test(message)) return 'PORT_CLOSED';
  if (/NJS-503|NJS-500/.test(message) && /ENOTFOUND|EAI_AGAIN|EHOSTUNREACH/.test(message)) return 'HOST_UNREACHABLE';
  if (/ORA-29024|ORA-28759|NJS-(505|516)|certificate/i.test(message)) return 'TLS_FAILED';
  if (/^ORA-/.test(message)) return 'QUERY_FAILED';
  return undefined;
}

// Firebird status codes: isc_login, isc_io_error with "open", isc_network_error.
const FIREBIRD_LOGIN = 335544472;
const FIREBIRD_IO_ERROR = 335544344;
const FIREBIRD_NETWORK = 335544721;

function firebirdCode(error: ErrorLike): SourceErrorCode | undefined {
  const message = text(error);
  if (error.gdscode === FIREBIRD_LOGIN || /user name and password are not defined/i.test(message)) return 'LOGIN_REFUSED';
  if (error.gdscode === FIREBIRD_IO_ERROR || /I\/O error during "open"|Error while trying to open file/i.test(message))
    return 'DATABASE_MISSING';
  if (error.gdscode === FIREBIRD_NETWORK || /Unable to complete network request/i.test(message)) return 'HOST_UNREACHABLE';
  if (/Dynamic SQL Error|Token unknown|Table unknown|Column unknown/i.test(message)) return 'QUERY_FAILED';
  return undefined;
}

function sqliteCode(error: ErrorLike): SourceErrorCode | undefined {
  if (error.code === 'SQLITE_CANTOPEN' || /unable to open database|directory does not exist/i.test(text(error))) return 'DATABASE_MISSING';
  if (typeof error.code === 'string' && error.code.startsWith('SQLITE_')) return 'QUERY_FAILED';
  return undefined;
}

/** SQLSTATEs and messages of node-odbc's `odbcErrors` (the driver manager's and the vendor driver's records). */
function odbcRecords(error: ErrorLike): { state: string; message: string }[] {
  if (!Array.isArray(error.odbcErrors)) return [];
  return error.odbcErrors.map((record: { state?: unknown; message?: unknown }) => ({
    state: typeof record.state === 'string' ? record.state : '',
    message: typeof record.message === 'string' ? record.message : '',
  }));
}

// Many drivers (psqlODBC among them) report every failed connect as 08001: the vendor's message tells which.
function odbcCode(error: ErrorLike): SourceErrorCode | undefined {
  const records = odbcRecords(error);
  if (records.length === 0) return undefined;
  const states = records.map((record) => record.state);
  const message = records.map((record) => record.message).join(' ');
  if (
    states.some((state) => state.startsWith('28')) ||
    /password authentication failed|role ".*" does not exist|login failed|SQL30082N|access denied/i.test(message)
  )
    return 'LOGIN_REFUSED';
  if (
    states.includes('3D000') ||
    /database ".*" does not exist|cannot open database|SQL1013N|unknown database|namespace .* does not exist/i.test(message)
  )
    return 'DATABASE_MISSING';
  if (/connection refused|SQL30081N.*\b(111|ECONNREFUSED)\b/i.test(message)) return 'PORT_CLOSED';
  if (/could not translate host name|name or service not known|unknown host|no route to host/i.test(message)) return 'HOST_UNREACHABLE';
  if (states.includes('HYT00') || states.includes('HYT01') || /timeout expired|timed out/i.test(message)) return 'TIMEOUT';
  if (/SSL|TLS|certificate/.test(message)) return 'TLS_FAILED';
  if (states.some((state) => state.startsWith('08'))) return 'CONNECTION_FAILED';
  // IM002/IM003/01000 "Can't open lib": the driver named is not installed (or not in odbcinst.ini) — a setup error.
  if (states.some((state) => /^IM00[23]$/.test(state)) || /can't open lib|data source name not found/i.test(message))
    return 'CONNECTION_FAILED';
  if (states.some((state) => /^(42|22|23|07|HY)/.test(state))) return 'QUERY_FAILED';
  return undefined;
}

const BY_DRIVER: Readonly<Record<DatabaseDriver, (error: ErrorLike) => SourceErrorCode | undefined>> = {
  postgres: postgresCode,
  mysql: mysqlCode,
  mssql: mssqlCode,
  oracle: oracleCode,
  firebird: firebirdCode,
  sqlite: sqliteCode,
  odbc: odbcCode,
};

/** The outbound guard's refusal anywhere in an error's causes (a driver wraps the socket's error), if it was one. */
export function outboundRefusalOf(error: unknown): OutboundAddressError | undefined {
  return chain(error).find((link): link is OutboundAddressError => link instanceof OutboundAddressError);
}

/** Maps a driver's error (pg 28P01/3D000, mysql 1045/1049, mssql 18456/4060, ORA-01017/12514/12541, Firebird's…) to a code. */
export function classifySourceError(driver: DatabaseDriver, error: unknown): SourceErrorCode {
  const links = chain(error);
  if (outboundRefusalOf(error)) return 'ADDRESS_FORBIDDEN';
  // packages/store's rule decides (the SET receptor and the CRM writes ask it too): a statement or a row's values the
  // server refuses (a constraint, a value too long, an unknown column) is QUERY_FAILED, never the CONNECTION_FAILED
  // fallback; what the server refuses for this run only (deadlock, serialization, too many connections, shutting
  // down, a foreign key) is CONNECTION_FAILED, transient, never labelled a failed query by a driver's reading below.
  if (links.some(isStatementError)) return 'QUERY_FAILED';
  if (links.some(isTransientServerError)) return 'CONNECTION_FAILED';
  // Any other error the server itself reports (a trigger's RAISE/SIGNAL, a read-only transaction, a refused login) is
  // permanent by the same rule: a driver's reading may name it (LOGIN_REFUSED), never as something a retry may not meet.
  const serverRefused = links.some((link) => databaseWriteOutcome(link) === 'permanent');
  for (const link of links) {
    const code = BY_DRIVER[driver](link);
    if (code && !(serverRefused && TRANSIENT_SOURCE_ERRORS.has(code))) return code;
  }
  if (serverRefused) return 'QUERY_FAILED';
  for (const link of links) {
    const network = typeof link.code === 'string' ? NETWORK[link.code] : undefined;
    if (network) return network;
  }
  const message = links.map(text).join(' ');
  for (const [code, mapped] of Object.entries(NETWORK)) if (message.includes(code)) return mapped;
  if (/timed? ?out/i.test(message)) return 'TIMEOUT';
  return 'CONNECTION_FAILED';
}

/** The driver's own message with every secret given taken out (a driver may echo a connection string). */
export function redact(message: string, secrets: readonly (string | undefined)[]): string {
  let clean = message.replace(/(\/\/[^/:@\s]+:)[^@\s]+@/g, '$1***@');
  for (const secret of secrets) if (secret && secret.length >= 4) clean = clean.split(secret).join('***');
  return clean;
}
