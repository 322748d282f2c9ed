import { ConfigError } from '@integrador/config';
import { ConnectionsFileError } from '@integrador/connections';
import { DEFAULT_LOCALE, type Locale } from '@integrador/i18n';
import { jobFailureLabel } from '@integrador/queue';
import { NewerSchemaError } from '@integrador/store';
import { CliError } from './cli-error';
import type { Messages } from './messages';

interface ErrorWithCode {
  code?: unknown;
  errno?: unknown;
  message?: unknown;
  errors?: unknown;
  cause?: unknown;
  address?: unknown;
  port?: unknown;
}

// Codes of a database that cannot be reached, goes away or refuses the login (Node sockets, PostgreSQL SQLSTATE — 57P01
// to 57P03: shut down by its administrator, crashed, still starting —, MySQL).
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ECONNRESET',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  '57P01',
  '57P02',
  '57P03',
  '28P01',
  '3D000',
  'ER_ACCESS_DENIED_ERROR',
  'ER_BAD_DB_ERROR',
]);

function fields(err: unknown): ErrorWithCode {
  return typeof err === 'object' && err !== null ? (err as ErrorWithCode) : {};
}

/** A table the query needs does not exist: the database was never migrated (SQLite, PostgreSQL, MySQL/MariaDB). */
export function isMissingTableError(err: unknown): boolean {
  const { code, errno, message } = fields(err);
  if (code === '42P01' || code === 'ER_NO_SUCH_TABLE' || errno === 1146) return true;
  return code === 'SQLITE_ERROR' && typeof message === 'string' && message.startsWith('no such table');
}

/**
 * A connection error in the user's words: the failure catalogue's wording of the most precise code it carries — its
 * cause's or first inner error's (a QueueUnavailableError over ECONNREFUSED, pg's AggregateError) before its own —
 * with the code and the address it names, else its message (the driver's English, for a code nobody words).
 */
export function connectionErrorText(err: unknown, locale: Locale): string {
  const worded = wordedConnectionError(err, locale);
  if (worded !== null) return worded;
  const { code, message } = fields(err);
  return typeof message === 'string' && message !== '' ? message : String(code ?? err);
}

/** The catalogue's wording of the innermost worded code in an error's inner errors and causes, or null when none. */
function wordedConnectionError(err: unknown, locale: Locale, depth = 0): string | null {
  if (depth > 5) return null;
  const { code, errors, cause, address, port } = fields(err);
  const inner = Array.isArray(errors) && errors.length > 0 ? errors[0] : cause;
  const innerText = inner === undefined ? null : wordedConnectionError(inner, locale, depth + 1);
  if (innerText !== null) return innerText;
  const label = typeof code === 'string' ? jobFailureLabel(locale, code) : undefined;
  if (label === undefined) return null;
  const at = typeof address === 'string' ? ` ${address}${typeof port === 'number' ? `:${port}` : ''}` : '';
  return `${label} (${code}${at})`;
}

/** The socket or login error behind a failed connection (pg reports a refused connection as an AggregateError without a message). */
function unreachableDetail(err: unknown, locale: Locale): string | null {
  const { code, errors, cause } = fields(err);
  if (typeof code === 'string' && UNREACHABLE.has(code)) return connectionErrorText(err, locale);
  if (Array.isArray(errors) && errors.length > 0) return unreachableDetail(errors[0], locale);
  // The store wraps a failed migration in a MigrationError that keeps the connection error as its cause.
  return cause === undefined ? null : unreachableDetail(cause, locale);
}

/** The one-line explanation printed for an error (no stack traces). */
export function describeError(err: unknown, text: Messages, locale: Locale = DEFAULT_LOCALE): string {
  // Already worded for the user; its cause (kept for debugging) must not be re-read as a database failure.
  if (err instanceof CliError) return err.message;
  if (err instanceof ConnectionsFileError) return err.localized(locale);
  // English by design in the apps' logs; the CLI speaks its user's language (the config catalogue, by variable).
  if (err instanceof ConfigError) return err.localized(locale);
  if (err instanceof NewerSchemaError) return text.newerSchema(err.migration);
  if (isMissingTableError(err)) return text.missingTables;
  const unreachable = unreachableDetail(err, locale);
  if (unreachable !== null) return text.databaseUnreachable(unreachable);
  const { message, code } = fields(err);
  if (typeof message === 'string' && message !== '') return message;
  return typeof code === 'string' ? code : String(err);
}
