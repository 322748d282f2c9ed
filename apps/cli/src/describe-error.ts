import { ConfigError } from '@integrador/config';
import { ConnectionsFileError } from '@integrador/connections';
import { DEFAULT_LOCALE, type Locale } from '@integrador/i18n';
import { NewerSchemaError } from '@integrador/store';
import { CliError } from './cli-error';
import type { Messages } from './messages';

interface ErrorWithCode {
  code?: unknown;
  errno?: unknown;
  message?: unknown;
  errors?: unknown;
  cause?: unknown;
}

// Codes of a database that cannot be reached or refuses the login (Node sockets, PostgreSQL SQLSTATE, MySQL).
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ECONNRESET',
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

/** The socket or login error behind a failed connection (pg reports a refused connection as an AggregateError without a message). */
function unreachableDetail(err: unknown): string | null {
  const { code, message, errors, cause } = fields(err);
  if (typeof code === 'string' && UNREACHABLE.has(code)) return typeof message === 'string' && message !== '' ? message : code;
  if (Array.isArray(errors) && errors.length > 0) return unreachableDetail(errors[0]);
  // The store wraps a failed migration in a MigrationError that keeps the connection error as its cause.
  return cause === undefined ? null : unreachableDetail(cause);
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
  const unreachable = unreachableDetail(err);
  if (unreachable !== null) return text.databaseUnreachable(unreachable);
  const { message, code } = fields(err);
  if (typeof message === 'string' && message !== '') return message;
  return typeof code === 'string' ? code : String(err);
}
