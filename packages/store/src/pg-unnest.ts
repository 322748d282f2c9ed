import { type RawBuilder, sql } from 'kysely';

/** One column of a multi-row write: its values (one per row, in row order) and its PostgreSQL element type. */
export type UnnestColumn = readonly [values: readonly unknown[], type: string];

/**
 * PostgreSQL: the rows of a multi-row write as one array parameter per column, `unnest($1::integer[], $2::text[], …)`,
 * so the statement's text is the same whatever the number of rows. A `VALUES` list of n rows is a new text for every
 * n, parsed and planned anew each time and never prepared (pg-prepared names texts of at most 24 parameters); this one
 * is named after it is sent three times and then parsed and planned once per connection. `type` is a constant of the
 * caller's code, never input.
 */
export function pgUnnest(columns: readonly UnnestColumn[]): RawBuilder<unknown> {
  // Built once with placeholders (compiledStatement) there are no lengths to compare: the caller checks each call's
  // arrays before binding them (sameLengthColumns, exported beside pgUnnest).
  const arrays = columns.map(([values]) => values).filter((values) => Array.isArray(values));
  sameLengthColumns(arrays);
  if (columns.some(([, type]) => !/^[a-z][a-z0-9 ()]*$/.test(type))) throw new Error('pgUnnest: invalid element type');
  return sql`unnest(${sql.join(columns.map(([values, type]) => sql`${values}::${sql.raw(type)}[]`))})`;
}

/**
 * The columns of one multi-row write, refused unless each has one value per row: unnest pads shorter arrays with NULLs,
 * so a missing value would be written as NULL instead of failing. Returns them for binding.
 */
export function sameLengthColumns<C extends readonly (readonly unknown[])[]>(columns: C): C {
  const rows = columns[0]?.length ?? 0;
  for (const values of columns) if (values.length !== rows) throw new Error('pgUnnest: every column needs one value per row');
  return columns;
}
