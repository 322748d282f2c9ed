import { type Database, pgWallClock } from '@integrador/store';
import { type Kysely, MysqlAdapter, PostgresAdapter, sql } from 'kysely';

// A CRM writes its business times (a visit at 09:00) as zone-less values: wall-clock times in its own zone. SQLite
// hands them back as the text written; the other two drivers turn them into a Date, and the payload must print the
// text the CRM wrote (payload-format.ts prints zone-less text as it is, an instant in São Paulo time).
// PostgreSQL: the store's pg parsers note the text of every `timestamp without time zone` and `date` value they read
// (pgWallClock), whatever the table's schema and even after an ALTER, and independent of the process's zone.
// MySQL/MariaDB: mysql2 reads DATETIME and DATE as UTC (`timezone: 'Z'`, create-database.ts) and a Date alone cannot
// say it came from such a column (TIMESTAMP gives real instants), so the table's columns are looked up in the
// connection's database (the one MySQL resolves the table in), again when a row holds a Date in a column the last
// lookup did not list, and at least every COLUMNS_TTL_MS (a column altered while the process runs).

type ZonelessKind = 'datetime' | 'date';
type Row = Record<string, unknown>;

/** How long a table's looked-up columns are trusted before they are read again. */
const COLUMNS_TTL_MS = 60_000;

/** A table's date/time columns: the zone-less ones by kind, the others (TIMESTAMP) as null. */
type Columns = Map<string, ZonelessKind | null>;

interface Lookup {
  columns: Promise<Columns>;
  at: number;
}

const columnsCache = new WeakMap<object, Map<string, Lookup>>();

async function queryMysqlColumns(db: Kysely<Database>, table: string): Promise<Columns> {
  const { rows } = await sql<{ name: string; type: string }>`SELECT column_name AS name, data_type AS type
    FROM information_schema.columns
    WHERE table_schema = database() AND table_name = ${table} AND data_type IN ('datetime', 'date', 'timestamp')`.execute(db);
  return new Map(
    rows.map((r) => {
      const type = String(r.type).toLowerCase();
      return [String(r.name), type === 'date' ? 'date' : type === 'datetime' ? 'datetime' : null];
    }),
  );
}

/** The table's date/time columns (cached per database handle and table; read again when `stale`). */
async function mysqlColumns(db: Kysely<Database>, table: string, stale: (columns: Columns) => boolean): Promise<Columns> {
  const tables = columnsCache.get(db) ?? new Map<string, Lookup>();
  columnsCache.set(db, tables);
  const cached = tables.get(table);
  if (cached && Date.now() - cached.at < COLUMNS_TTL_MS && !stale(await cached.columns)) return cached.columns;
  const fresh: Lookup = { columns: queryMysqlColumns(db, table), at: Date.now() };
  // A failed lookup is not kept: the next change asks again.
  fresh.columns.catch(() => {
    if (tables.get(table) === fresh) tables.delete(table);
  });
  tables.set(table, fresh);
  return fresh.columns;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** The wall-clock text of a Date mysql2 built from a zone-less value (its UTC fields). */
function utcWallClock(date: Date, kind: ZonelessKind): string {
  const day = `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
  return kind === 'date' ? day : `${day} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`;
}

const isDate = (value: unknown): value is Date => value instanceof Date && !Number.isNaN(value.getTime());

/** The row with every zone-less date/time column as the text the CRM wrote (`YYYY-MM-DD HH:MM:SS` / `YYYY-MM-DD`). */
export async function withWallClocks(db: Kysely<Database>, table: string, row: Row): Promise<Row> {
  const adapter = db.getExecutor().adapter;
  if (adapter instanceof PostgresAdapter) {
    const out: Row = { ...row };
    for (const [name, value] of Object.entries(row)) {
      const text = pgWallClock(value);
      if (text !== undefined) out[name] = text;
    }
    return out;
  }
  if (!(adapter instanceof MysqlAdapter)) return row;
  const dated = Object.keys(row).filter((name) => isDate(row[name]));
  if (dated.length === 0) return row;
  const columns = await mysqlColumns(db, table, (known) => dated.some((name) => !known.has(name)));
  const out: Row = { ...row };
  for (const name of dated) {
    const kind = columns.get(name);
    if (kind) out[name] = utcWallClock(row[name] as Date, kind);
  }
  return out;
}
