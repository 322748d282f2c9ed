import { type ColumnDefinitionBuilder, type CreateTableBuilder, type Expression, sql } from 'kysely';
import type { DialectName } from '../create-database';

/** Column types that mean the same thing on PostgreSQL, MySQL/MariaDB and SQLite. */
export function columnTypes(dialect: DialectName) {
  return {
    timestamp: dialect === 'postgres' ? 'timestamptz' : dialect === 'mysql' ? 'datetime(3)' : 'text',
    now: (dialect === 'mysql' ? sql`CURRENT_TIMESTAMP(3)` : sql`CURRENT_TIMESTAMP`) as Expression<unknown>,
  } as const;
}

/** Adds an auto-incrementing integer primary key named id. */
export function withId<T extends string>(table: CreateTableBuilder<T, never>, dialect: DialectName) {
  if (dialect === 'postgres') {
    return table.addColumn('id', 'integer', (c) => c.primaryKey().generatedByDefaultAsIdentity());
  }
  return table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
}

/** A NOT NULL timestamp defaulting to the current time. */
export function nowColumn(dialect: DialectName) {
  const { now } = columnTypes(dialect);
  return (c: ColumnDefinitionBuilder) => c.notNull().defaultTo(now);
}
