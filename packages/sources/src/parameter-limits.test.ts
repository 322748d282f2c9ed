import { batchInList, batchRows, inListSize, PARAMETER_LIMITS, rowsPerStatement } from './parameter-limits';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('rowsPerStatement', () => {
  it('keeps SQL Server within 2,100 parameters and 1,000 rows per VALUES', () => {
    expect(rowsPerStatement('mssql', 13)).toBe(161); // 161 × 13 = 2,093 ≤ 2,100
    expect(rowsPerStatement('mssql', 2)).toBe(1_000); // 1,050 would fit the parameters, not the VALUES
    expect(rowsPerStatement('mssql', 2_100)).toBe(1);
  });

  it('uses each driver’s parameter limit', () => {
    expect(rowsPerStatement('postgres', 13)).toBe(5_041);
    expect(rowsPerStatement('mysql', 13)).toBe(5_041);
    expect(rowsPerStatement('sqlite', 13)).toBe(2_520);
    expect(rowsPerStatement('oracle', 13)).toBe(769);
    expect(rowsPerStatement('firebird', 13)).toBe(76);
  });

  it('leaves room for the statement’s other parameters', () => {
    expect(rowsPerStatement('mssql', 10, 5)).toBe(209);
  });

  it('refuses a row wider than a statement and a nonsense width', () => {
    expect(() => rowsPerStatement('mssql', 2_101)).toThrow(
      '2101 values per row do not fit in one mssql statement (at most 2100 parameters)',
    );
    expect(() => rowsPerStatement('postgres', 0)).toThrow(RangeError);
  });
});

describe('batchRows', () => {
  it('cuts 5,000 rows of 13 columns for SQL Server into statements of at most 2,100 parameters, every row once, in order', () => {
    const rows = range(5_000);
    const batches = batchRows(rows, 'mssql', 13);
    expect(batches.map((batch) => batch.length)).toEqual([...Array(31).fill(161), 5_000 - 31 * 161]);
    for (const batch of batches) expect(batch.length * 13).toBeLessThanOrEqual(PARAMETER_LIMITS.mssql.parameters);
    expect(batches.flat()).toEqual(rows);
  });

  it('gives no batch for no rows', () => {
    expect(batchRows([], 'postgres', 13)).toEqual([]);
  });
});

describe('batchInList', () => {
  it('caps Oracle IN lists at 1,000 (ORA-01795) and Firebird at its parameter ceiling', () => {
    expect(batchInList(range(2_500), 'oracle').map((list) => list.length)).toEqual([1_000, 1_000, 500]);
    expect(batchInList(range(2_500), 'firebird').map((list) => list.length)).toEqual([1_000, 1_000, 500]);
  });

  it('keeps SQL Server lists within 2,100 parameters with the statement’s others', () => {
    expect(inListSize('mssql', 1)).toBe(2_099);
    const lists = batchInList(range(5_000), 'mssql', 1);
    expect(lists.map((list) => list.length)).toEqual([2_099, 2_099, 802]);
    expect(lists.flat()).toEqual(range(5_000));
  });

  it('gives no list for no values (IN () is invalid SQL) and refuses a statement with no room', () => {
    expect(batchInList([], 'mysql')).toEqual([]);
    expect(() => inListSize('mssql', 2_100)).toThrow('no room for an IN list');
  });
});
