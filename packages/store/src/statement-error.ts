import { isPreparedStatementRefusal } from './pg-prepared';
import { isUniqueViolation } from './unique-violation';

/** PostgreSQL SQLSTATEs of class 23 that a row's own values cause: not-null, check, unique. */
const PG_ROW_CONSTRAINTS = new Set(['23502', '23514', '23505']);

/**
 * MySQL/MariaDB codes (mysql2's `code`) of a statement or of a row's values: syntax and unknown objects; a value too
 * long, out of range, truncated or of the wrong type (strict mode); NULL into NOT NULL or no default; a duplicate key;
 * a CHECK constraint (MySQL 8's name; MariaDB's errno 4025 has none in mysql2, see MARIADB_CHECK_ERRNO).
 */
const MYSQL_STATEMENT =
  /^ER_(PARSE_ERROR|BAD_FIELD_ERROR|NO_SUCH_TABLE|TRUNCATED_WRONG_VALUE|WRONG_VALUE|DATA_TOO_LONG|BAD_NULL_ERROR|WARN_DATA_OUT_OF_RANGE|WARN_DATA_TRUNCATED|NO_DEFAULT_FOR_FIELD|CHECK_CONSTRAINT_VIOLATED|CONSTRAINT_FAILED|DIVISION_BY_ZERO|INVALID_CHARACTER_STRING|DUP_ENTRY)/;
const MARIADB_CHECK_ERRNO = 4025;

/**
 * True for CRM database errors the statement or a row's values cause — a bad value for a column's type or size,
 * NULL into a NOT NULL column, a CHECK or unique key the row breaks, bad syntax, an unknown column or table: running it
 * again with the same rows cannot help, so the job fails for good (permanent) on every dialect alike. Connection, lock,
 * deadlock and serialization errors stay transient, and so does a foreign key (the referenced row may come later).
 * The one owner of that rule; read from the driver's `code`/`errno`, never its (localized) message.
 */
export function isStatementError(err: unknown): boolean {
  // A prepared statement's name refused by the server (42P05, 26000, 0A000): the statement itself is fine, and runs
  // unnamed on the retry.
  if (isPreparedStatementRefusal(err)) return false;
  if (isUniqueViolation(err)) return true;
  const { code: raw, errno } = (err ?? {}) as { code?: unknown; errno?: unknown };
  const code = String(raw ?? '');
  // PostgreSQL SQLSTATE classes 22 (data: 22001 too long, 22003 out of range, 22007/22008 dates, 22P02 bad text) and
  // 42 (syntax, undefined objects), and the row's constraints of class 23.
  if (/^(22|42)[0-9A-Z]{3}$/.test(code) || PG_ROW_CONSTRAINTS.has(code)) return true;
  if (MYSQL_STATEMENT.test(code) || errno === MARIADB_CHECK_ERRNO) return true;
  return (
    code === 'SQLITE_ERROR' ||
    code === 'SQLITE_MISMATCH' ||
    code === 'SQLITE_TOOBIG' ||
    code === 'SQLITE_CONSTRAINT_NOTNULL' ||
    code === 'SQLITE_CONSTRAINT_CHECK'
  );
}

/**
 * A statement error (isStatementError) that one row's values cause — not the statement's text (syntax, an unknown
 * column or table, PostgreSQL class 42, MySQL's parse/unknown-object codes, SQLite's generic SQLITE_ERROR): only then
 * does looking for the row that fails mean anything.
 */
export function isRowValueError(err: unknown): boolean {
  if (!isStatementError(err)) return false;
  const code = String((err as { code?: unknown } | null)?.code ?? '');
  return !/^42[0-9A-Z]{3}$/.test(code) && !/^ER_(PARSE_ERROR|BAD_FIELD_ERROR|NO_SUCH_TABLE)/.test(code) && code !== 'SQLITE_ERROR';
}
