/**
 * A unique-key violation on any dialect the CRM may run on: PostgreSQL's 23505, MySQL/MariaDB's ER_DUP_ENTRY,
 * SQLite's constraint code. Read from the driver error's `code` only (never its message, which is localized).
 */
export function isUniqueViolation(err: unknown): boolean {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return code === '23505' || code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
