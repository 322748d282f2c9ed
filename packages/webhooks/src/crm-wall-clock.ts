import type { Database } from '@integrador/store';
import { type Kysely, MysqlAdapter, PostgresAdapter, sql } from 'kysely';

// A CRM writes its business times (a visit at 09:00) as zone-less values: wall-clock times in its own zone. SQLite
// hands them back as the text written, but the drivers of the other two turn them into a Date: pg reads `timestamp`
// (without time zone) and `date` in the process's local zone, mysql2 reads DATETIME and DATE as UTC (`timezone: 'Z'`
// in create-database.ts). A Date alone cannot say it came from such a column (timestamptz and MySQL TIMESTAMP give
// real instants), so the row's zone-less columns are looked up once per table and their Dates turned back into the
// text the CRM wrote. The payload then prints that text as it is (payload-format.ts).

type ZonelessKind = 'datetime' | 'date';
type Row = Record<string, unknown>;

const columnsCache = new WeakMap<object, Map<string, Promise<Map<string, ZonelessKind>>>>();

async function queryZonelessColumns(db: Kysely<Database>, table: string, postgres: boolean): Promise<Map<string, ZonelessKind>> {
  const query = postgres
    ? sql<{ name: string; type: string }>`SELECT column_name AS name, data_type AS type FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name = ${table}
          AND data_type IN ('timestamp without time zone', 'date')`
    : sql<{ name: string; type: string }>`SELECT column_name AS name, data_type AS type FROM information_schema.columns
        WHERE table_schema = database() AND table_name = ${table} AND data_type IN ('datetime', 'date')`;
  const { rows } = await query.execute(db);
  return new Map(rows.map((r) => [String(r.name), String(r.type).toLowerCase() === 'date' ? 'date' : 'datetime']));
}

/** The table's zone-less date/time columns (PostgreSQL and MySQL; cached per database handle and table). */
function zonelessColumns(db: Kysely<Database>, table: string, postgres: boolean): Promise<Map<string, ZonelessKind>> {
  const tables = columnsCache.get(db) ?? new Map<string, Promise<Map<string, ZonelessKind>>>();
  columnsCache.set(db, tables);
  let found = tables.get(table);
  if (!found) {
    found = queryZonelessColumns(db, table, postgres);
    // A failed lookup is not kept: the next change asks again.
    found.catch(() => tables.delete(table));
    tables.set(table, found);
  }
  return found;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** The wall-clock text of a Date the driver built from a zone-less value (local fields for pg, UTC ones for mysql2). */
function wallClockText(date: Date, kind: ZonelessKind, local: boolean): string {
  const [y, mo, d, h, mi, s] = local
    ? [date.getFullYear(), date.getMonth() + 1, date.getDate(), date.getHours(), date.getMinutes(), date.getSeconds()]
    : [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds()];
  const day = `${pad(y, 4)}-${pad(mo)}-${pad(d)}`;
  return kind === 'date' ? day : `${day} ${pad(h)}:${pad(mi)}:${pad(s)}`;
}

/** The row with every zone-less date/time column as the text the CRM wrote (`YYYY-MM-DD HH:MM:SS` / `YYYY-MM-DD`). */
export async function withWallClocks(db: Kysely<Database>, table: string, row: Row): Promise<Row> {
  const adapter = db.getExecutor().adapter;
  const postgres = adapter instanceof PostgresAdapter;
  if (!postgres && !(adapter instanceof MysqlAdapter)) return row;
  const columns = await zonelessColumns(db, table, postgres);
  const out: Row = { ...row };
  for (const [name, kind] of columns) {
    const value = out[name];
    if (value instanceof Date && !Number.isNaN(value.getTime())) out[name] = wallClockText(value, kind, postgres);
  }
  return out;
}
