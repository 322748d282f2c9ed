import { type Database, type DialectName, isStatementError } from '@integrador/store';
import { type Kysely, sql } from 'kysely';
import { describeCrmTable } from './get/crm-table';
import type { CrmTableColumns, CrmTableShape } from './get-lint';

export interface CrmTableShapeOptions {
  /** MySQL/MariaDB: also read which text columns ignore case/accents (one more query per table; only warnings use it). */
  collations?: boolean;
  /** The tables whose unique indexes are read (a GET key's); by default every table's. The others' shapes have none. */
  uniqueKeysOf?: ReadonlySet<string>;
}

/**
 * The CRM tables the lint checks columns against, as the database's catalog has them (describeCrmTable: the run's own
 * reading): those a GET may upsert into (sql_consulta's aliases, required columns, the key's unique index) and those
 * SET/INFO consultas read. A name the database has no table for is left out (nothing is checked against it).
 */
export async function crmTableShapes(
  db: Kysely<Database>,
  dialect: DialectName,
  names: Iterable<string>,
  options: CrmTableShapeOptions = {},
): Promise<CrmTableColumns> {
  const tables = new Map<string, CrmTableShape>();
  for (const name of names) {
    const withKeys = options.uniqueKeysOf?.has(name) ?? true;
    const table = await describeCrmTable(db, dialect, name, { uniqueKeys: withKeys }).catch((err: unknown) => {
      // A name the catalog refuses to look up (a quoted identifier PostgreSQL's to_regclass cannot parse) is no table
      // it can describe: left out, like a missing one. A lost connection still fails.
      if (isStatementError(err)) return undefined;
      throw err;
    });
    if (!table) continue;
    const required = [...table.columns].flatMap(([column, facts]) => (facts.required ? [column] : []));
    tables.set(name, {
      columns: new Set(table.columns.keys()),
      required: new Set(required),
      caseInsensitive: options.collations ? await caseInsensitiveColumns(db, dialect, name) : new Set<string>(),
      ...(withKeys ? { uniqueKeys: table.uniqueKeys } : {}),
    });
  }
  return tables;
}

/**
 * MySQL/MariaDB: the table's text columns whose collation is not binary (utf8mb4_general_ci, utf8mb4_0900_ai_ci …
 * ignore case and accents); a GET key column among them merges ERP keys (`P1`/`p1`). Empty on other dialects.
 */
async function caseInsensitiveColumns(db: Kysely<Database>, dialect: DialectName, table: string): Promise<Set<string>> {
  if (dialect !== 'mysql') return new Set();
  const { rows } = await sql<{ name: string }>`SELECT column_name AS name FROM information_schema.columns
    WHERE table_schema = DATABASE() AND table_name = ${table} AND collation_name IS NOT NULL AND collation_name NOT LIKE '%\\_bin'
      AND collation_name NOT LIKE '%\\_as\\_cs'`.execute(db);
  return new Set(rows.map((r) => r.name.toLowerCase()));
}
