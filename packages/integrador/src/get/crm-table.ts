import type { Database, DialectName } from '@integrador/store';
import { type Kysely, sql } from 'kysely';

/**
 * How a CRM column's values are prepared before they are written. 'timestamp' holds an instant (PostgreSQL
 * timestamptz, MySQL TIMESTAMP); 'datetime' a zone-less wall clock (PostgreSQL `timestamp without time zone`, MySQL
 * DATETIME, a SQLite column declared so), which the CRM reads as Brasília time.
 */
export type ColumnClass = 'text' | 'integer' | 'numeric' | 'date' | 'timestamp' | 'datetime' | 'other';

export interface CrmColumn {
  name: string;
  /** The database's own type name (PostgreSQL casts the staged text to it). */
  type: string;
  kind: ColumnClass;
  /** NOT NULL with no default (nor identity/auto-increment): an insert that leaves it out fails. */
  required: boolean;
  /** A text column's declared length (varchar(200)), in characters; SQLite declares it but does not enforce it. */
  maxLength?: number;
}

/** The length a text type declares (`varchar(200)`, `character varying(200)`, `nvarchar(50)`), if any. */
function declaredLength(type: string): number | undefined {
  const match = /char(?:acter)?(?:\s+varying)?\s*\(\s*(\d+)\s*\)/i.exec(type);
  return match ? Number(match[1]) : undefined;
}

/** A CRM table as the database describes it: its columns by lower-case name and its unique indexes. */
export interface CrmTable {
  name: string;
  columns: Map<string, CrmColumn>;
  uniqueKeys: string[][];
}

function classify(type: string): ColumnClass {
  const t = type.toLowerCase();
  if (/char|text|clob|string/.test(t)) return 'text';
  if (/with time zone|^timestamp(\(\d\))?$/.test(t)) return 'timestamp';
  if (/timestamp|datetime/.test(t)) return 'datetime';
  if (/^date/.test(t)) return 'date';
  if (/int/.test(t)) return 'integer';
  if (/numeric|decimal|real|double|float/.test(t)) return 'numeric';
  return 'other';
}

type Row = Record<string, unknown>;

async function rows(db: Kysely<Database>, query: ReturnType<typeof sql>): Promise<Row[]> {
  return (await query.execute(db)).rows as Row[];
}

/**
 * The catalog of one dialect, in one place: columns (name, type, required as 0/1) and unique index members (none read
 * when `unique` is false).
 */
async function describe(
  db: Kysely<Database>,
  dialect: DialectName,
  table: string,
  unique: boolean,
): Promise<{ columns: Row[]; unique: Row[] }> {
  const indexes = async (query: ReturnType<typeof sql>) => (unique ? rows(db, query) : []);
  if (dialect === 'postgres') {
    const columns = await rows(
      db,
      sql`SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
            CASE WHEN a.attnotnull AND NOT a.atthasdef AND a.attidentity = '' THEN 1 ELSE 0 END AS required
          FROM pg_attribute a
          WHERE a.attrelid = to_regclass(${table}) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    );
    const members = await indexes(
      sql`SELECT i.indexrelid::text AS index_name, a.attname AS name FROM pg_index i
          JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
          WHERE i.indrelid = to_regclass(${table}) AND i.indisunique AND i.indpred IS NULL`,
    );
    return { columns, unique: members };
  }
  if (dialect === 'mysql') {
    const columns = await rows(
      db,
      sql`SELECT column_name AS name, column_type AS type,
            CASE WHEN is_nullable = 'NO' AND column_default IS NULL AND extra NOT LIKE '%auto_increment%'
              AND extra NOT LIKE '%GENERATED%' THEN 1 ELSE 0 END AS required
          FROM information_schema.columns
          WHERE table_schema = DATABASE() AND table_name = ${table} ORDER BY ordinal_position`,
    );
    const members = await indexes(
      sql`SELECT index_name AS index_name, column_name AS name FROM information_schema.statistics
          WHERE table_schema = DATABASE() AND table_name = ${table} AND non_unique = 0`,
    );
    return { columns, unique: members };
  }
  // An INTEGER PRIMARY KEY is the rowid: SQLite fills it in.
  const columns = await rows(
    db,
    sql`SELECT name, type, CASE WHEN "notnull" = 1 AND dflt_value IS NULL AND NOT (pk = 1 AND upper(type) = 'INTEGER')
          THEN 1 ELSE 0 END AS required FROM pragma_table_info(${table})`,
  );
  const members = await indexes(
    sql`SELECT il.name AS index_name, ii.name AS name FROM pragma_index_list(${table}) il, pragma_index_info(il.name) ii WHERE il."unique" = 1`,
  );
  return { columns, unique: members };
}

/**
 * Reads a CRM table's columns and unique indexes (`uniqueKeys: false`: its columns only, one statement less, and no
 * unique index listed); undefined when the table does not exist.
 */
export async function describeCrmTable(
  db: Kysely<Database>,
  dialect: DialectName,
  table: string,
  options: { uniqueKeys?: boolean } = {},
): Promise<CrmTable | undefined> {
  const { columns, unique } = await describe(db, dialect, table, options.uniqueKeys ?? true);
  if (columns.length === 0) return undefined;
  const byName = new Map<string, CrmColumn>();
  for (const row of columns) {
    const name = String(row.name ?? row.NAME ?? row.COLUMN_NAME);
    const type = String(row.type ?? row.TYPE ?? row.COLUMN_TYPE ?? '');
    const required = Number(row.required ?? row.REQUIRED ?? 0) === 1;
    const maxLength = declaredLength(type);
    byName.set(name.toLowerCase(), { name, type, kind: classify(type), required, ...(maxLength === undefined ? {} : { maxLength }) });
  }
  const indexes = new Map<string, string[]>();
  for (const row of unique) {
    const index = String(row.index_name ?? row.INDEX_NAME);
    const name = String(row.name ?? row.COLUMN_NAME).toLowerCase();
    indexes.set(index, [...(indexes.get(index) ?? []), name]);
  }
  return { name: table, columns: byName, uniqueKeys: [...indexes.values()] };
}

/** What keeps a GET's built-in upsert from matching its keys in the CRM table, if anything. */
export type UpsertKeyProblem = { problem: 'KEY_NOT_A_COLUMN'; chave: string } | { problem: 'KEY_NOT_UNIQUE'; chave: string };

/**
 * The upsert matches a source row to its CRM row through a unique index on (empresa_id, chave): PostgreSQL and SQLite
 * refuse an ON CONFLICT no unique index backs, and MariaDB's ON DUPLICATE KEY would insert every row again. A key that
 * is no column of the table, or no such index, is refused before anything is read. The run (crmTableOf) and the
 * configuration lint read the same rule.
 */
export function upsertKeyProblem(
  table: { columns: { has(name: string): boolean }; uniqueKeys: readonly (readonly string[])[] },
  keyColumns: readonly string[],
): UpsertKeyProblem | null {
  const absent = keyColumns.find((key) => !table.columns.has(key));
  if (absent !== undefined) return { problem: 'KEY_NOT_A_COLUMN', chave: absent };
  const wanted = new Set(['empresa_id', ...keyColumns]);
  const unique = table.uniqueKeys.some((columns) => columns.length === wanted.size && columns.every((c) => wanted.has(c)));
  return unique ? null : { problem: 'KEY_NOT_UNIQUE', chave: keyColumns.join(', ') };
}
