import type { DatabaseDriver } from '@integrador/connections';

/** What one statement may carry on a database. */
export interface ParameterLimits {
  /** Bound values in one statement (request). */
  readonly parameters: number;
  /** Rows in one multi-row `VALUES (…), (…)`; undefined when only `parameters` limits it. */
  readonly valuesRows?: number;
  /** Items in one `IN (…)` list; undefined when only `parameters` limits it. */
  readonly inList?: number;
}

/**
 * Per driver. SQL Server: 2,100 parameters per request, 1,000 rows per VALUES. PostgreSQL and MySQL: 65,535 (a 16-bit
 * count in the protocol). SQLite: 32,766 (SQLITE_MAX_VARIABLE_NUMBER since 3.32). Oracle: ORA-01795 caps an IN list at
 * 1,000 expressions; its bind limit is far higher, 10,000 is a conservative ceiling that keeps a statement's bind
 * buffers small. Firebird: an IN list holds at most 1,500 items and a statement's input message is limited to 64 KB,
 * so 1,000 parameters (64 bytes each at most for typical ERP keys and codes) is the conservative ceiling. ODBC: the
 backend behind the driver is unknown (DB2 allows 32,767 markers, Caché and c-tree document less), so the Firebird
 ceiling is kept.
 */
export const PARAMETER_LIMITS: Readonly<Record<DatabaseDriver, ParameterLimits>> = {
  postgres: { parameters: 65_535 },
  mysql: { parameters: 65_535 },
  sqlite: { parameters: 32_766 },
  mssql: { parameters: 2_100, valuesRows: 1_000 },
  oracle: { parameters: 10_000, inList: 1_000 },
  firebird: { parameters: 1_000, inList: 1_500 },
  odbc: { parameters: 1_000, inList: 1_000 },
};

/** How many rows of `columnsPerRow` values fit in one multi-row statement (one row per statement at least). */
export function rowsPerStatement(driver: DatabaseDriver, columnsPerRow: number, otherParameters = 0): number {
  const limits = PARAMETER_LIMITS[driver];
  if (!Number.isInteger(columnsPerRow) || columnsPerRow < 1)
    throw new RangeError(`columnsPerRow must be a positive integer, got ${columnsPerRow}`);
  const room = limits.parameters - otherParameters;
  if (columnsPerRow > room)
    throw new RangeError(`${columnsPerRow} values per row do not fit in one ${driver} statement (at most ${room} parameters)`);
  return Math.min(Math.floor(room / columnsPerRow), limits.valuesRows ?? Number.POSITIVE_INFINITY);
}

function slices<T>(items: readonly T[], size: number): T[][] {
  const batches: T[][] = [];
  for (let start = 0; start < items.length; start += size) batches.push(items.slice(start, start + size));
  return batches;
}

/**
 * Cuts rows into batches that each fit one multi-row INSERT/upsert of `columnsPerRow` bound values per row
 * (`otherParameters`: values the statement binds besides the rows). No rows, no batch: never send an empty VALUES.
 */
export function batchRows<T>(rows: readonly T[], driver: DatabaseDriver, columnsPerRow: number, otherParameters = 0): T[][] {
  return slices(rows, rowsPerStatement(driver, columnsPerRow, otherParameters));
}

/** How many values fit in one `IN (…)` list next to `otherParameters` other bound values. */
export function inListSize(driver: DatabaseDriver, otherParameters = 0): number {
  const limits = PARAMETER_LIMITS[driver];
  const room = limits.parameters - otherParameters;
  if (room < 1)
    throw new RangeError(`no room for an IN list: ${otherParameters} other parameters on ${driver} (at most ${limits.parameters})`);
  return Math.min(room, limits.inList ?? Number.POSITIVE_INFINITY);
}

/** Cuts key values into lists that each fit one `IN (…)` lookup; an empty input gives no list (`IN ()` is invalid SQL). */
export function batchInList<T>(values: readonly T[], driver: DatabaseDriver, otherParameters = 0): T[][] {
  return slices(values, inListSize(driver, otherParameters));
}
