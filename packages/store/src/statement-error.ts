import { isPreparedStatementRefusal } from './pg-prepared';
import { isUniqueViolation } from './unique-violation';

/** PostgreSQL SQLSTATEs of class 23 that a row's own values cause: not-null, check, unique. */
const PG_ROW_CONSTRAINTS = new Set(['23502', '23514', '23505']);

/**
 * MySQL/MariaDB codes (mysql2's `code`) of a row's values: a value too long, out of range, truncated or of the wrong
 * type (strict mode); NULL into NOT NULL or no default; a duplicate key; a CHECK constraint (MySQL 8's name; MariaDB's
 * errno 4025 has none in mysql2, see MARIADB_CHECK_ERRNO); a subquery the data gives more than one row.
 */
const MYSQL_STATEMENT =
  /^ER_(TRUNCATED_WRONG_VALUE|WRONG_VALUE|DATA_TOO_LONG|BAD_NULL_ERROR|WARN_DATA_OUT_OF_RANGE|WARN_DATA_TRUNCATED|NO_DEFAULT_FOR_FIELD|CHECK_CONSTRAINT_VIOLATED|CONSTRAINT_FAILED|DIVISION_BY_ZERO|INVALID_CHARACTER_STRING|DUP_ENTRY|SUBQUERY_NO_1_ROW)/;
/**
 * MySQL/MariaDB codes of the statement's text, whoever its rows: syntax, unknown or ambiguous objects, a function
 * unknown or called wrongly, a grouping or operand the statement gets wrong, a table or column the user may not write
 * (PostgreSQL's 42501 is class 42 alike).
 */
const MYSQL_STATEMENT_TEXT =
  /^ER_(PARSE_ERROR|BAD_FIELD_ERROR|NO_SUCH_TABLE|UNKNOWN_TABLE|NON_UNIQ_ERROR|SP_DOES_NOT_EXIST|FUNC_INEXISTENT_NAME_COLLISION|WRONG_PARAMCOUNT_TO_NATIVE_FCT|WRONG_PARAMETERS_TO_NATIVE_FCT|INVALID_GROUP_FUNC_USE|WRONG_FIELD_WITH_GROUP|OPERAND_COLUMNS|TABLEACCESS_DENIED_ERROR|COLUMNACCESS_DENIED_ERROR|NONUPDATEABLE_COLUMN|NON_UPDATABLE_TABLE|NON_INSERTABLE_TABLE|UPDATE_TABLE_USED|CANT_UPDATE_USED_TABLE_IN_SF_OR_TRG|VIEW_MULTIUPDATE|VIEW_NO_INSERT_FIELD_LIST|VIEW_DELETE_MERGE_VIEW|CANT_AGGREGATE_[23N]COLLATIONS|WRONG_ARGUMENTS)/;
/**
 * MySQL/MariaDB codes of the SQLSTATE catch-all HY000 that one row's values cause: a row a view's WITH CHECK OPTION
 * refuses (PostgreSQL's class 44).
 */
const MYSQL_ROW_HY000 = /^ER_VIEW_CHECK_FAILED/;
const MARIADB_CHECK_ERRNO = 4025;

/**
 * MySQL/MariaDB SQLSTATE classes (mysql2's `sqlState`) of the statement or its rows: 42 (syntax, unknown or ambiguous
 * objects, a routine called with the wrong arguments, a column named twice), 22 (data: a value out of range or too
 * long, a bad date, a division by zero), 21 (cardinality: a subquery of several rows, a column count) and 23
 * (integrity: duplicate key, NULL into NOT NULL; not the foreign key, MYSQL_TRANSIENT_ERRNOS). Unlike HY000, the
 * catch-all many unrelated errors share, each of these classes names one kind of error. The errnos named transient
 * or permanent refusals keep their reading (1203 too many user connections is 42000, 1049 an unknown database 42000).
 */
const MYSQL_STATEMENT_CLASSES = /^(42|22|21|23)[0-9A-Z]{3}$/;

/**
 * A foreign key the row breaks (PostgreSQL 23503, MySQL/MariaDB 1452/1216, SQLite's FOREIGNKEY) is transient, on a SET
 * receptor as on the CRM: the row it references is most often another record the hub itself delivers (the cliente of
 * a pedido, pushed by another integracao whose job may still be queued or retrying; dependente/depende_de orders
 * runs, not the retries of single pushes), so a later attempt usually finds it. A wrong reference (a configuration
 * fault) still fails, with the database's own words, once the job's attempts are spent.
 */
const PG_FOREIGN_KEY = '23503';

/**
 * PostgreSQL SQLSTATEs the server reports for this run only: class 08 (connection), 40 (transaction rollback:
 * serialization failure, deadlock), 53 (insufficient resources: too many connections, disk full, out of memory),
 * 57 (operator intervention: query canceled by statement_timeout, administrator shutdown, server starting), 58
 * (system I/O error), 55P03 (lock not available: another session holds the lock, NOWAIT or lock_timeout), 55006
 * (object in use by another session) and the foreign key above. The rest of class 55 is permanent (PG_PERMANENT).
 */
const PG_TRANSIENT = /^(08|40|53|57|58)[0-9A-Z]{3}$/;
const PG_TRANSIENT_CODES = new Set(['55P03', '55006', PG_FOREIGN_KEY]);

/**
 * MySQL/MariaDB errnos of the same kind: too many connections (1040, 1203), out of resources/memory (1041, 1037),
 * server shutting down (1053), lock wait timeout (1205), lock table full (1206), deadlock (1213), query interrupted or
 * over its time limit (1317, MariaDB 1969, MySQL 3024), server gone or connection lost (2006, 2013, MariaDB's killed
 * connection 1927, MySQL's idle disconnect 4031), a user's hourly resource limit (1226), and the foreign key, a
 * child row's missing parent (1216, 1452) as a parent row's remaining children (1217, 1451), PostgreSQL's 23503 alike.
 */
const MYSQL_TRANSIENT_ERRNOS = new Set([
  1037, 1040, 1041, 1053, 1203, 1205, 1206, 1213, 1216, 1217, 1226, 1317, 1451, 1452, 1927, 1969, 2006, 2013, 3024, 4031,
]);

/** SQLite: another connection holds the lock (BUSY, LOCKED and their extended codes), the disk is full, the foreign key. */
const SQLITE_TRANSIENT = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|CONSTRAINT_FOREIGNKEY)/;

/**
 * True for CRM database errors the statement or a row's values cause — a bad value for a column's type or size,
 * NULL into a NOT NULL column, a CHECK or unique key the row breaks, bad syntax, an unknown column or table: running it
 * again with the same rows cannot help, so the job fails for good (permanent) on every dialect alike. Every other
 * database error is transient (retried within the job's attempts): connection, lock, deadlock, serialization,
 * resources, an administrator's intervention (isTransientServerError), a foreign key (PG_FOREIGN_KEY says why) and any
 * code this rule does not know. For a write to another database (the SET receptor, the GET sources' classifier)
 * databaseWriteOutcome refines it: a few refusals the server reports are permanent there too (isPermanentServerRefusal).
 * The one owner of that rule; read from the driver's `code`/`errno`, never its (localized) message.
 */
export function isStatementError(err: unknown): boolean {
  // A prepared statement's name refused by the server (42P05, 26000, 0A000): the statement itself is fine, and runs
  // unnamed on the retry.
  if (isPreparedStatementRefusal(err)) return false;
  if (isUniqueViolation(err)) return true;
  const { code: raw, errno } = (err ?? {}) as { code?: unknown; errno?: unknown };
  const code = String(raw ?? '');
  // PostgreSQL SQLSTATE classes 21 (a subquery of more than one row), 22 (data: 22001 too long, 22003 out of range,
  // 22007/22008 dates, 22P02 bad text), 42 (syntax, undefined objects, privileges), 44 (a row a view's WITH CHECK
  // OPTION refuses), 54 (program limits: too many columns, statement too complex) and 0A (a feature the statement
  // uses that the server does not support: a view's column it cannot update, FOR UPDATE with an aggregate; the
  // prepared statement's refusal is out above), and the row's constraints of class 23.
  if (/^(21|22|42|44|54|0A)[0-9A-Z]{3}$/.test(code) || PG_ROW_CONSTRAINTS.has(code)) return true;
  if (MYSQL_STATEMENT.test(code) || MYSQL_STATEMENT_TEXT.test(code) || MYSQL_ROW_HY000.test(code)) return true;
  if (errno === MARIADB_CHECK_ERRNO) return true;
  return isMysqlStatementClass(err) || isSqliteStatementError(code);
}

/** A MySQL/MariaDB error whose SQLSTATE class is the statement's or a row's (MYSQL_STATEMENT_CLASSES). */
function isMysqlStatementClass(err: unknown): boolean {
  const { errno, sqlState } = (err ?? {}) as { errno?: unknown; sqlState?: unknown };
  if (typeof errno !== 'number' || typeof sqlState !== 'string' || !MYSQL_STATEMENT_CLASSES.test(sqlState)) return false;
  return !MYSQL_TRANSIENT_ERRNOS.has(errno) && !MYSQL_PERMANENT_ERRNOS.has(errno);
}

function isSqliteStatementError(code: string): boolean {
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
  const sqlState = String((err as { sqlState?: unknown }).sqlState ?? '');
  // A table or column the user may not write is a missing grant, never one record's fault; neither is a feature the
  // server does not support (PostgreSQL's 0A) nor any MySQL/MariaDB error of SQLSTATE class 42.
  if (/^(42|0A)[0-9A-Z]{3}$/.test(code) || /^42[0-9A-Z]{3}$/.test(sqlState)) return false;
  return !MYSQL_STATEMENT_TEXT.test(code) && code !== 'SQLITE_ERROR';
}

/**
 * Errors a server reports that no retry mends, though the statement is fine: a refused login (PostgreSQL class 28,
 * MySQL/MariaDB 1045, 1698, an expired password 1820/1862, a locked account 3118), a privilege refused (1044, 1142,
 * 1143, 1227, 1370; PostgreSQL's 42501 is a statement error), a database that does not exist (3D000, 1049), a
 * trigger's RAISE or SIGNAL (PostgreSQL class P0 and 45000, MySQL's 1644 / SQLSTATE 45000) and the row's other
 * constraints of class 23 (23P01 exclusion; not the foreign key), PostgreSQL's class 55 but for a lock not available
 * (55P03) or an object another session uses (55006): an object not in the state the statement needs (55000: a
 * table publishing deletes with no replica identity, a sequence's currval not set), a parameter that cannot change
 * now (55P02) — the same statement meets it again — and MySQL/MariaDB's no database selected (SQLSTATE 3D000, 1046).
 * The one list of them: every other code a server reports is transient (isTransientServerError).
 */
const PG_PERMANENT = /^(28|P0|55)[0-9A-Z]{3}$|^23[0-9A-Z]{3}$|^3D000$|^45000$/;
const MYSQL_PERMANENT_ERRNOS = new Set([1044, 1045, 1049, 1142, 1143, 1227, 1370, 1644, 1698, 1820, 1862, 3118]);

/** True for a server's refusal named in PG_PERMANENT / MYSQL_PERMANENT_ERRNOS (not the foreign key). */
function isPermanentServerRefusal(err: unknown): boolean {
  const { code: raw, errno, sqlState } = (err ?? {}) as { code?: unknown; errno?: unknown; sqlState?: unknown };
  const code = String(raw ?? '');
  if (code !== PG_FOREIGN_KEY && !PG_TRANSIENT_CODES.has(code) && PG_PERMANENT.test(code)) return true;
  if (typeof errno === 'number' && MYSQL_PERMANENT_ERRNOS.has(errno)) return true;
  // A SQLSTATE of a server error the errno already names transient (a killed connection) keeps its errno's reading.
  if (typeof errno === 'number' && MYSQL_TRANSIENT_ERRNOS.has(errno)) return false;
  return sqlState === '45000' || sqlState === '3D000';
}

/**
 * True for the database errors the server reports for this run only, which another attempt may not meet: those named
 * (PG_TRANSIENT, MYSQL_TRANSIENT_ERRNOS, SQLITE_TRANSIENT) and every other code a PostgreSQL or MySQL/MariaDB server
 * reports that is neither a statement error nor named permanent (isPermanentServerRefusal) — a read-only server
 * during a failover (25006, 1290), a full disk or table (53100, 1021, 1114), a cluster node not ready (1047), a
 * network read or write interrupted (1159, 1161): the statement did not apply, and retrying is what may help. SQLite
 * has no server: only its named codes are. isStatementError already calls them transient; this names them so that
 * no driver-specific reading (packages/sources' classifier) labels them a failed query. Never a statement error.
 */
export function isTransientServerError(err: unknown): boolean {
  if (isStatementError(err) || isPermanentServerRefusal(err)) return false;
  const { code: raw, errno } = (err ?? {}) as { code?: unknown; errno?: unknown };
  const code = String(raw ?? '');
  if (PG_TRANSIENT.test(code) || PG_TRANSIENT_CODES.has(code)) return true;
  // mysql2 sets `errno` on server errors; its `sqlState` tells only some (isMysqlStatementClass): many distinct errors
  // share HY000.
  if (typeof errno === 'number' && MYSQL_TRANSIENT_ERRNOS.has(errno)) return true;
  if (code.startsWith('SQLITE_')) return SQLITE_TRANSIENT.test(code);
  return isServerReportedError(err);
}

/**
 * True when the database server itself reported the error (a PostgreSQL SQLSTATE, a MySQL/MariaDB server errno, a
 * SQLite result code) rather than the network or the driver: the server answered, so an autocommit statement it
 * refused did not apply. MySQL's 2000–2999 are the client library's own codes; a SQLSTATE always has a digit, which
 * tells it from a socket's code of five letters (EPIPE).
 */
export function isServerReportedError(err: unknown): boolean {
  const { code: raw, errno } = (err ?? {}) as { code?: unknown; errno?: unknown };
  const code = String(raw ?? '');
  if (/^(?=.*[0-9])[0-9A-Z]{5}$/.test(code)) return true;
  if (typeof errno === 'number' && errno >= 1000 && (errno < 2000 || errno >= 3000)) return true;
  return code.startsWith('SQLITE_');
}

/**
 * PostgreSQL's refusals of a connection being opened — the server starting up (57P03), the client unable to connect
 * (08001) or refused by the server (08004): no statement ran on it, so a write met with one did not apply.
 */
const PG_CONNECT_REFUSALS = new Set(['57P03', '08001', '08004']);

/**
 * True for a connection lost while a statement ran (PostgreSQL class 08, 57P01/57P02 administrator or crash shutdown;
 * MySQL's server gone 2006 or lost 2013, MariaDB's killed connection 1927, MySQL's idle disconnect 4031): transient,
 * but whether the statement applied is unknown. Not a connection refused while opening (PG_CONNECT_REFUSALS).
 */
export function isConnectionLoss(err: unknown): boolean {
  const { code: raw, errno } = (err ?? {}) as { code?: unknown; errno?: unknown };
  const code = String(raw ?? '');
  if (PG_CONNECT_REFUSALS.has(code)) return false;
  return /^08[0-9A-Z]{3}$/.test(code) || /^57P0[12]$/.test(code) || [2006, 2013, 1927, 4031].includes(Number(errno));
}

/**
 * How a failed autocommit write on a database ends, the one answer for every reader (the SET receptor, packages/sources'
 * classifier): `permanent` for a statement error and for the refusals named permanent (a trigger's RAISE/SIGNAL, an
 * exclusion constraint, a refused login or privilege, a missing database; SQLite's codes not named transient) — its
 * words kept; `retry` for every other error the server reports (isTransientServerError), which did not apply;
 * `unknown` for a lost connection and for the network's or the driver's own errors, transient but the write may have
 * applied.
 */
export function databaseWriteOutcome(err: unknown): 'permanent' | 'retry' | 'unknown' {
  if (isStatementError(err)) return 'permanent';
  if (isConnectionLoss(err)) return 'unknown';
  if (isTransientServerError(err)) return 'retry';
  return isServerReportedError(err) ? 'permanent' : 'unknown';
}
