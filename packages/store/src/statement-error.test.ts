import { isRowValueError, isStatementError } from './statement-error';

// The one rule for "this database error is the statement's or the row's fault": the same bad row is permanent on
// every dialect; connections, locks and foreign keys stay transient.
describe('isStatementError', () => {
  it.each([
    ['23502', true], // PostgreSQL not-null
    ['23514', true], // check
    ['23505', true], // unique
    ['22001', true], // value too long
    ['22003', true], // numeric out of range
    ['22007', true], // bad datetime
    ['22P02', true], // bad text representation
    ['42703', true], // undefined column
    ['23503', false], // foreign key: the referenced row may come later
    ['40001', false], // serialization
    ['40P01', false], // deadlock
    ['57P01', false], // connection terminated by the administrator
    ['08006', false], // connection failure
    ['ER_WARN_DATA_OUT_OF_RANGE', true],
    ['ER_DATA_TOO_LONG', true],
    ['ER_BAD_NULL_ERROR', true],
    ['ER_DUP_ENTRY', true],
    ['ER_NO_DEFAULT_FOR_FIELD', true],
    ['ER_TRUNCATED_WRONG_VALUE_FOR_FIELD', true],
    ['ER_CHECK_CONSTRAINT_VIOLATED', true],
    ['ER_LOCK_DEADLOCK', false],
    ['ER_LOCK_WAIT_TIMEOUT', false],
    ['ER_NO_REFERENCED_ROW_2', false],
    ['ECONNRESET', false],
    ['SQLITE_CONSTRAINT_NOTNULL', true],
    ['SQLITE_CONSTRAINT_CHECK', true],
    ['SQLITE_CONSTRAINT_UNIQUE', true],
    ['SQLITE_BUSY', false],
  ])('%s → %s', (code, expected) => {
    expect(isStatementError(Object.assign(new Error('x'), { code }))).toBe(expected);
  });

  it("MariaDB's CHECK constraint (errno 4025, no code name in mysql2) is the row's fault", () => {
    expect(isStatementError(Object.assign(new Error('CONSTRAINT `c` failed'), { errno: 4025 }))).toBe(true);
  });

  it('tells a row value error (worth finding the row) from the statement text’s own', () => {
    const err = (code: string) => Object.assign(new Error('x'), { code });
    for (const code of ['23502', '22001', 'ER_DATA_TOO_LONG', 'ER_DUP_ENTRY', 'SQLITE_CONSTRAINT_NOTNULL'])
      expect(isRowValueError(err(code))).toBe(true);
    for (const code of ['42703', '42601', 'ER_BAD_FIELD_ERROR', 'ER_PARSE_ERROR', 'SQLITE_ERROR', '40P01'])
      expect(isRowValueError(err(code))).toBe(false);
    // A row a view's WITH CHECK OPTION refuses is the row's; a feature not supported is the statement's.
    expect(isRowValueError(err('44000'))).toBe(true);
    expect(isRowValueError(err('0A000'))).toBe(false);
  });

  it("reads mysql2's SQLSTATE class: 42, 22, 21, 23 are the statement's or a row's, not the foreign key", () => {
    const mysql = (errno: number, sqlState: string) => Object.assign(new Error('x'), { errno, code: 'ER_X', sqlState });
    expect(isStatementError(mysql(1110, '42000'))).toBe(true); // a column named twice
    expect(isStatementError(mysql(1690, '22003'))).toBe(true); // out of range
    expect(isStatementError(mysql(1222, '21000'))).toBe(true); // a column count
    expect(isStatementError(mysql(1451, '23000'))).toBe(false); // a parent row still referenced
    expect(isStatementError(mysql(1203, '42000'))).toBe(false); // too many connections for the user
    expect(isStatementError(mysql(1205, 'HY000'))).toBe(false); // lock wait timeout
    expect(isRowValueError(mysql(1690, '22003'))).toBe(true);
    expect(isRowValueError(mysql(1110, '42000'))).toBe(false);
  });
});
