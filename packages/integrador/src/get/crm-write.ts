import { copyFromText, type Database, type DialectName, loadDataLocal, runPerRow } from '@integrador/store';
import { type Kysely, type RawBuilder, sql, type Transaction } from 'kysely';
import { bindEngineValues, type RunTenant } from '../runs/tenant-scope';
import { toRawSql } from '../template';
import type { ColumnClass, CrmColumn, CrmTable } from './crm-table';
import { asParameter, assertFitsColumn, asText } from './crm-values';
import type { GetSettings } from './get-settings';
import type { SyncRecord } from './row-mapping';

/** Who the written rows belong to and where they came from (stamped on every row, whatever the source sent). */
export interface RowStamp {
  empresaId: number;
  filialId: number | null;
  integracaoId: number;
  geracao: number;
}

export interface UpsertTarget {
  table: CrmTable;
  keyColumns: readonly string[];
  /** CRM columns (lower case) the source fills, in the plan's order. */
  columns: readonly string[];
}

/** Bound parameters per statement, below each database's limit (SQLite 32766, MySQL 65535). */
const PARAMETER_BUDGET: Record<Exclude<DialectName, 'postgres'>, number> = { sqlite: 32000, mysql: 60000 };
const MAX_ROWS_PER_STATEMENT = 1000;

function column(table: CrmTable, name: string): CrmColumn {
  const found = table.columns.get(name);
  if (!found) throw new Error(`column ${name} vanished from ${table.name}`);
  return found;
}

/** The engine's own columns, where the table has them. */
function stampColumns(table: CrmTable): string[] {
  return ['empresa_id', 'empresa_filial_id', 'origem_integracao_id', 'origem_geracao', 'removido_origem_em', 'atualizado_em'].filter((c) =>
    table.columns.has(c),
  );
}

function updatedColumns(target: UpsertTarget): string[] {
  const stamps = stampColumns(target.table).filter((c) => c !== 'empresa_id');
  return [...target.columns.filter((c) => !target.keyColumns.includes(c)), ...stamps].map((c) => column(target.table, c).name);
}

/** Columns whose change makes an existing row worth rewriting (atualizado_em follows them; an unchanged row is left alone). */
function comparedColumns(target: UpsertTarget): string[] {
  return updatedColumns(target).filter((c) => c !== 'atualizado_em');
}

/** The engine's own values of a PostgreSQL upsert, by stamp column. */
function pgStampValues(stamp: RowStamp): Record<string, RawBuilder<unknown>> {
  return {
    empresa_id: sql`${stamp.empresaId}::integer`,
    empresa_filial_id: sql`${stamp.filialId}::integer`,
    origem_integracao_id: sql`${stamp.integracaoId}::integer`,
    origem_geracao: sql`${stamp.geracao}::integer`,
    removido_origem_em: sql`NULL`,
    atualizado_em: sql`now()`,
  };
}

/**
 * PostgreSQL's upsert of staged text columns `u.c0 … u.cN` (from `source`), each cast to its column's type, by
 * (empresa_id, key); an existing row is rewritten only when a value differs.
 */
function pgUpsertFrom(target: UpsertTarget, stamp: RowStamp, source: RawBuilder<unknown>) {
  const { table } = target;
  const data = target.columns.map((c) => column(table, c));
  const stampValue = pgStampValues(stamp);
  const stamps = stampColumns(table);
  const conflict = ['empresa_id', ...target.keyColumns].map((c) => sql.id(column(table, c).name));
  const updates = updatedColumns(target).map((name) => sql`${sql.id(name)} = EXCLUDED.${sql.id(name)}`);
  // Types come from the catalog (format_type), never from configuration. A character type is cast without its length:
  // an explicit cast to varchar(n) cuts a longer text silently, while the assignment into the column refuses it (22001),
  // as the first load's COPY and MySQL/MariaDB do.
  const casts = data.map(
    (col, i) => sql`u.${sql.id(`c${i}`)}::${sql.raw(col.type.replace(/^(character varying|character)\(\d+\)$/, 'character varying'))}`,
  );
  // Rewriting an unchanged row costs a new tuple and index entries: a repeated full refresh mostly skips them.
  const compared = comparedColumns(target);
  const current = sql.join(compared.map((c) => sql`${sql.table(table.name)}.${sql.id(c)}`));
  const incoming = sql.join(compared.map((c) => sql`EXCLUDED.${sql.id(c)}`));
  return sql`INSERT INTO ${sql.table(table.name)} (${sql.join([...stamps, ...data.map((c) => c.name)].map((c) => sql.id(c)))})
    SELECT ${sql.join([...stamps.map((c) => stampValue[c] as RawBuilder<unknown>), ...casts])}
    FROM ${source}
    ON CONFLICT (${sql.join(conflict)}) DO UPDATE SET ${sql.join(updates)}
    WHERE ROW(${current}) IS DISTINCT FROM ROW(${incoming})`;
}

/** The staging table of a chunk: temporary (this session only, never logged) and dropped when the chunk commits. */
const STAGE = 'integrador_get_stage';

const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_SPECIALS = /[\\\t\n\r]/g;

/** A value in COPY's text format: \N for NULL; backslash, tab, newline and carriage return escaped. */
function copyField(value: unknown, kind: ColumnClass): string {
  // Most values are text already (asText would hand them back as they are).
  const text = typeof value === 'string' ? value : asText(value, kind);
  if (text === null) return '\\N';
  return COPY_SPECIAL.test(text) ? text.replace(COPY_SPECIALS, (c) => COPY_ESCAPES[c] as string) : text;
}

const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/**
 * The chunk as COPY text, a few hundred rows per piece (no one huge string, no array per value); `prefix` (the
 * engine's stamp fields, tab-terminated) starts every line when the chunk is copied straight into the table.
 */
function* copyText(kinds: readonly ColumnClass[], records: readonly SyncRecord[], prefix = ''): Generator<string> {
  let piece = '';
  for (let r = 0; r < records.length; r++) {
    const values = (records[r] as SyncRecord).values;
    let line = prefix;
    for (let i = 0; i < kinds.length; i++) line += (i === 0 ? '' : '\t') + copyField(values[i], kinds[i] as ColumnClass);
    piece += `${line}\n`;
    if (r % 500 === 499) {
      yield piece;
      piece = '';
    }
  }
  if (piece !== '') yield piece;
}

/**
 * PostgreSQL: the chunk is COPYed as text into a temporary staging table, then one INSERT … SELECT … ON CONFLICT
 * moves it into the CRM table — the tenant guard's row triggers fire on that INSERT as on any other write. Falls
 * back to one unnest() statement when the store cannot COPY on this handle (a database not opened by createDatabase).
 */
async function upsertPostgres(
  db: Kysely<Database>,
  trx: Transaction<Database>,
  target: UpsertTarget,
  stamp: RowStamp,
  records: readonly SyncRecord[],
) {
  const data = target.columns.map((c) => column(target.table, c));
  const aliases = data.map((_, i) => sql.id(`c${i}`));
  await sql`CREATE TEMP TABLE ${sql.id(STAGE)} (${sql.join(aliases.map((a) => sql`${a} text`))}) ON COMMIT DROP`.execute(trx);
  const statement = `COPY ${STAGE} (${data.map((_, i) => `c${i}`).join(', ')}) FROM STDIN`;
  const kinds = data.map((c) => c.kind);
  if (await copyFromText(db, trx, statement, copyText(kinds, records))) {
    const result = await pgUpsertFrom(target, stamp, sql`${sql.id(STAGE)} AS u`).execute(trx);
    return Number(result.numAffectedRows ?? 0);
  }
  await sql`DROP TABLE ${sql.id(STAGE)}`.execute(trx);
  // One text array per column, unnest()ed: 1 parameter per column, not per value.
  const arrays = data.map((col, i) => sql`${records.map((r) => asText(r.values[i], col.kind))}::text[]`);
  const result = await pgUpsertFrom(target, stamp, sql`unnest(${sql.join(arrays)}) AS u(${sql.join(aliases)})`).execute(trx);
  return Number(result.numAffectedRows ?? 0);
}

/** The engine's own values as COPY text fields, by stamp column (the same values pgStampValues writes). */
function copyStampFields(stamp: RowStamp): Record<string, string> {
  return {
    empresa_id: String(stamp.empresaId),
    empresa_filial_id: stamp.filialId === null ? '\\N' : String(stamp.filialId),
    origem_integracao_id: String(stamp.integracaoId),
    origem_geracao: String(stamp.geracao),
    removido_origem_em: '\\N',
    atualizado_em: new Date().toISOString(),
  };
}

/**
 * PostgreSQL, a chunk none of whose keys the table holds yet (a first load): COPY straight into the table, the
 * engine's stamp columns first — what `psql COPY` itself does, with the tenant guard's row triggers firing on each
 * row. A key already there fails the COPY with a unique violation (isUniqueViolation) and the caller's transaction
 * must be rolled back; the rows are then upserted through the staging table.
 */
async function copyIntoTable(
  db: Kysely<Database>,
  trx: Transaction<Database>,
  target: UpsertTarget,
  stamp: RowStamp,
  records: readonly SyncRecord[],
): Promise<number | null> {
  const { table } = target;
  const data = target.columns.map((c) => column(table, c));
  const stamps = stampColumns(table);
  const fields = copyStampFields(stamp);
  const prefix = stamps.map((c) => `${fields[c] as string}\t`).join('');
  const names = [...stamps, ...data.map((c) => c.name)].map((c) => `"${c.replaceAll('"', '""')}"`);
  const statement = `COPY "${table.name.replaceAll('"', '""')}" (${names.join(', ')}) FROM STDIN`;
  const copied = await copyFromText(
    db,
    trx,
    statement,
    copyText(
      data.map((c) => c.kind),
      records,
      prefix,
    ),
  );
  return copied ? records.length : null;
}

/** The engine's own values as bound parameters (MySQL, SQLite), by stamp column. */
function stampParameters(stamp: RowStamp, dialect: 'mysql' | 'sqlite'): Record<string, unknown> {
  return {
    empresa_id: stamp.empresaId,
    empresa_filial_id: stamp.filialId,
    origem_integracao_id: stamp.integracaoId,
    origem_geracao: stamp.geracao,
    removido_origem_em: null,
    atualizado_em: dialect === 'sqlite' ? new Date().toISOString() : new Date(),
  };
}

/**
 * MySQL/MariaDB (when LOAD DATA LOCAL INFILE is unavailable) and SQLite (on a handle the store did not open): multi-row
 * INSERT … VALUES within the parameter limit, upserting on the tenant's key.
 */
async function upsertValues(
  trx: Transaction<Database>,
  dialect: 'mysql' | 'sqlite',
  target: UpsertTarget,
  stamp: RowStamp,
  records: readonly SyncRecord[],
) {
  const { table } = target;
  // biome-ignore lint/suspicious/noExplicitAny: the table is chosen at run time (checked against GET_SYNC_TABLES and the catalog).
  const db = trx as unknown as Kysely<any>;
  const data = target.columns.map((c) => column(table, c));
  const stamps = stampParameters(stamp, dialect);
  const own = Object.fromEntries(stampColumns(table).map((c) => [c, stamps[c]]));
  const perRow = data.length + Object.keys(own).length;
  const rowsPerStatement = Math.max(1, Math.min(MAX_ROWS_PER_STATEMENT, Math.floor(PARAMETER_BUDGET[dialect] / perRow)));
  const updates = updatedColumns(target);
  const compared = comparedColumns(target);
  const conflict = ['empresa_id', ...target.keyColumns].map((c) => column(table, c).name);
  let affected = 0;
  for (let i = 0; i < records.length; i += rowsPerStatement) {
    const values = records.slice(i, i + rowsPerStatement).map((r) => ({
      ...own,
      ...Object.fromEntries(data.map((col, c) => [col.name, asParameter(r.values[c], col.kind, dialect)])),
    }));
    const insert = db.insertInto(table.name).values(values);
    const result =
      dialect === 'mysql'
        ? await insert.onDuplicateKeyUpdate(Object.fromEntries(updates.map((c) => [c, sql`VALUES(${sql.ref(c)})`]))).executeTakeFirst()
        : await insert
            .onConflict((oc) =>
              oc
                .columns(conflict)
                .doUpdateSet(Object.fromEntries(updates.map((c) => [c, sql.ref(`excluded.${c}`)])))
                .where((eb) => eb.or(compared.map((c) => eb(sql.ref(`${table.name}.${c}`), 'is not', sql.ref(`excluded.${c}`))))),
            )
            .executeTakeFirst();
    affected += Number(result.numInsertedOrUpdatedRows ?? 0);
  }
  return affected;
}

/** Fields LOAD DATA's default format must escape (ESCAPED BY '\\'); \N is NULL. */
const LOAD_SPECIALS = /[\\\t\n\r\0]/g;
const LOAD_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0' };

/** Binary column types: their values travel as hex and are UNHEXed by LOAD DATA (the file itself is utf8mb4 text). */
const BINARY_TYPE = /binary|blob/i;

/** A Date as a literal of UTC time: a TIMESTAMP's instant (the hub's sessions run in UTC), the hub's own DATETIMEs. */
const mysqlDateTime = (date: Date) => date.toISOString().slice(0, 23).replace('T', ' ');

/** A value as one field of LOAD DATA's default text format. */
function loadField(value: unknown, kind: ColumnClass, binary: boolean): string {
  if (value === null || value === undefined) return '\\N';
  if (binary) return (Buffer.isBuffer(value) ? value : Buffer.from(String(asText(value, kind)), 'utf8')).toString('hex');
  // A zone-less DATETIME gets the CRM's wall clock (asText), anything else the UTC time of the instant.
  const text = value instanceof Date && kind !== 'date' && kind !== 'datetime' ? mysqlDateTime(value) : (asText(value, kind) as string);
  return text.replace(LOAD_SPECIALS, (c) => LOAD_ESCAPES[c] as string);
}

/** The chunk as LOAD DATA text, a few hundred rows per piece. */
function* loadText(kinds: readonly ColumnClass[], binary: readonly boolean[], records: readonly SyncRecord[]): Generator<string> {
  let piece = '';
  for (let r = 0; r < records.length; r++) {
    const values = (records[r] as SyncRecord).values;
    let line = '';
    for (let i = 0; i < kinds.length; i++)
      line += (i === 0 ? '' : '\t') + loadField(values[i], kinds[i] as ColumnClass, binary[i] === true);
    piece += `${line}\n`;
    if (r % 500 === 499) {
      yield piece;
      piece = '';
    }
  }
  if (piece !== '') yield piece;
}

/** Databases whose fallback to multi-row INSERTs was logged already (once per process is enough). */
const loadFallbackLogged = new WeakSet<Kysely<Database>>();

/**
 * MySQL/MariaDB: the chunk is sent with LOAD DATA LOCAL INFILE into a temporary staging table of text (or blob)
 * columns, then one INSERT … SELECT … ON DUPLICATE KEY UPDATE moves it into the CRM table, its values converted by
 * the server under the session's strict mode as any INSERT's are (LOAD DATA LOCAL itself would turn bad values into
 * warnings), the tenant guard's row triggers firing on each row. An existing row whose values are the same is left
 * alone (atualizado_em included). Null, having written nothing, when the server or handle cannot LOAD DATA.
 */
async function upsertMysql(
  db: Kysely<Database>,
  trx: Transaction<Database>,
  target: UpsertTarget,
  stamp: RowStamp,
  records: readonly SyncRecord[],
  warn: UpsertOptions['warn'],
): Promise<number | null> {
  const { table } = target;
  const data = target.columns.map((c) => column(table, c));
  const binary = data.map((c) => BINARY_TYPE.test(c.type));
  // Names no CRM column takes: the update clause below names the table's columns unqualified.
  const staged = data.map((_, i) => `integrador_v${i}`);
  // A temporary table outlives a rolled-back transaction on its pooled connection: an earlier failure may have left it.
  await sql`DROP TEMPORARY TABLE IF EXISTS ${sql.id(STAGE)}`.execute(trx);
  await sql`CREATE TEMPORARY TABLE ${sql.id(STAGE)} (${sql.join(
    staged.map((name, i) => sql`${sql.id(name)} ${sql.raw(binary[i] ? 'LONGBLOB' : 'LONGTEXT CHARACTER SET utf8mb4')}`),
  )})`.execute(trx);
  const fields = staged.map((name, i) => (binary[i] ? `@integrador_b${i}` : `\`${name}\``));
  const unhex = staged.flatMap((name, i) => (binary[i] ? [`\`${name}\` = UNHEX(@integrador_b${i})`] : []));
  const statement = `LOAD DATA LOCAL INFILE 'integrador-get-chunk' INTO TABLE \`${STAGE}\` CHARACTER SET utf8mb4 (${fields.join(', ')})${
    unhex.length > 0 ? ` SET ${unhex.join(', ')}` : ''
  }`;
  const loaded = await loadDataLocal(
    db,
    trx,
    statement,
    loadText(
      data.map((c) => c.kind),
      binary,
      records,
    ),
  );
  if (!loaded.loaded) {
    await sql`DROP TEMPORARY TABLE ${sql.id(STAGE)}`.execute(trx);
    if (!loadFallbackLogged.has(db)) {
      loadFallbackLogged.add(db);
      warn?.('GET writes to this MySQL/MariaDB CRM use multi-row INSERTs (slower): LOAD DATA LOCAL INFILE is unavailable', {
        reason: loaded.reason,
      });
    }
    return null;
  }
  const result = await mysqlUpsertFrom(target, stamp, staged).execute(trx);
  await sql`DROP TEMPORARY TABLE ${sql.id(STAGE)}`.execute(trx);
  return Number(result.numAffectedRows ?? 0);
}

/** MySQL's INSERT … SELECT of the staged columns, by (empresa_id, key); an unchanged existing row keeps atualizado_em. */
function mysqlUpsertFrom(target: UpsertTarget, stamp: RowStamp, staged: readonly string[]) {
  const { table } = target;
  const data = target.columns.map((c) => column(table, c));
  const stamps = stampColumns(table);
  const values = stampParameters(stamp, 'mysql');
  const id = (name: string) => sql.id(name);
  const changed = sql.join(
    comparedColumns(target).map((c) => sql`NOT (CAST(${id(c)} AS BINARY) <=> CAST(VALUES(${id(c)}) AS BINARY))`),
    sql` OR `,
  );
  // Assignments run left to right and each sees the ones before: atualizado_em is decided before any value changes.
  const updated = updatedColumns(target);
  const updates = [
    ...updated.filter((c) => c === 'atualizado_em').map((c) => sql`${id(c)} = IF(${changed}, VALUES(${id(c)}), ${id(c)})`),
    ...updated.filter((c) => c !== 'atualizado_em').map((c) => sql`${id(c)} = VALUES(${id(c)})`),
  ];
  return sql`INSERT INTO ${sql.table(table.name)} (${sql.join([...stamps, ...data.map((c) => c.name)].map(id))})
    SELECT ${sql.join([...stamps.map((c) => sql`${values[c]}`), ...staged.map((name) => sql`s.${id(name)}`)])}
    FROM ${sql.id(STAGE)} AS s
    ON DUPLICATE KEY UPDATE ${sql.join(updates)}`;
}

/** A catalog identifier quoted for SQLite. */
const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * SQLite: one INSERT … ON CONFLICT prepared once and run per row on the embedded database, in the chunk's transaction
 * (no statement text to build per chunk, no parameter limit). Null when the store has no handle for `db`.
 */
function upsertSqlite(
  db: Kysely<Database>,
  trx: Transaction<Database>,
  target: UpsertTarget,
  stamp: RowStamp,
  records: readonly SyncRecord[],
) {
  const { table } = target;
  const data = target.columns.map((c) => column(table, c));
  const stamps = stampParameters(stamp, 'sqlite');
  const own = stampColumns(table);
  const names = [...own, ...data.map((c) => c.name)].map(quoted);
  const conflict = ['empresa_id', ...target.keyColumns].map((c) => quoted(column(table, c).name));
  const updates = updatedColumns(target).map((c) => `${quoted(c)} = excluded.${quoted(c)}`);
  const changed = comparedColumns(target).map((c) => `${quoted(table.name)}.${quoted(c)} IS NOT excluded.${quoted(c)}`);
  const statement = `INSERT INTO ${quoted(table.name)} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})
    ON CONFLICT (${conflict.join(', ')}) DO UPDATE SET ${updates.join(', ')} WHERE ${changed.join(' OR ')}`;
  const fixed = own.map((c) => stamps[c]);
  function* parameters() {
    for (const record of records) {
      const row = fixed.slice();
      for (let i = 0; i < data.length; i++) {
        const value = asParameter(record.values[i], (data[i] as CrmColumn).kind, 'sqlite');
        // SQLite keeps a text of any length: the declared one is enforced here, as the other CRM databases do.
        assertFitsColumn(value, data[i] as CrmColumn);
        row.push(value);
      }
      yield row;
    }
  }
  return runPerRow(db, trx, statement, parameters());
}

export interface UpsertOptions {
  /** PostgreSQL: the caller expects none of the keys in the table (see upsertRecords). */
  insertOnly?: boolean;
  /** Told once per database when a CRM's fast path is unavailable and a slower one writes instead. */
  warn?: (message: string, detail: Record<string, unknown>) => void;
}

/**
 * Upserts a chunk of records into the CRM table by (empresa_id, key), set-based; returns the rows the database
 * reports written (MySQL: an updated row counts twice). `insertOnly` (PostgreSQL): the caller expects none of the keys
 * in the table, and the chunk is COPYed straight into it; a key that is there fails the transaction
 * (isUniqueViolation), to be run again without.
 */
export async function upsertRecords(
  db: Kysely<Database>,
  trx: Transaction<Database>,
  dialect: DialectName,
  target: UpsertTarget,
  stamp: RowStamp,
  records: readonly SyncRecord[],
  options: UpsertOptions = {},
): Promise<number> {
  if (records.length === 0) return 0;
  if (dialect === 'postgres') {
    const copied = options.insertOnly ? await copyIntoTable(db, trx, target, stamp, records) : null;
    return copied ?? upsertPostgres(db, trx, target, stamp, records);
  }
  if (dialect === 'mysql') {
    const loaded = await upsertMysql(db, trx, target, stamp, records, options.warn);
    if (loaded !== null) return loaded;
  }
  if (dialect === 'sqlite') {
    const written = upsertSqlite(db, trx, target, stamp, records);
    if (written !== null) return written;
  }
  return upsertValues(trx, dialect, target, stamp, records);
}

/** True when the CRM table holds any row of the empresa (one index probe on its (empresa_id, key) unique index). */
export async function hasTenantRows(db: Kysely<Database>, table: CrmTable, empresaId: number): Promise<boolean> {
  // biome-ignore lint/suspicious/noExplicitAny: see upsertValues.
  const found = await (db as unknown as Kysely<any>)
    .selectFrom(table.name)
    .select(sql`1`.as('one'))
    .where('empresa_id', '=', empresaId)
    .limit(1)
    .execute();
  return found.length > 0;
}

/** Reconcile: marks the rows this integracao wrote that the finished pass did not see (never deletes them). */
export async function markRemoved(trx: Transaction<Database>, dialect: DialectName, table: CrmTable, stamp: RowStamp): Promise<number> {
  // biome-ignore lint/suspicious/noExplicitAny: see upsertValues.
  const db = trx as unknown as Kysely<any>;
  const now = dialect === 'sqlite' ? new Date().toISOString() : new Date();
  const result = await db
    .updateTable(table.name)
    .set({ removido_origem_em: now })
    .where('empresa_id', '=', stamp.empresaId)
    .where('origem_integracao_id', '=', stamp.integracaoId)
    .where('removido_origem_em', 'is', null)
    .where((eb) => eb.or([eb('origem_geracao', 'is', null), eb('origem_geracao', '<', stamp.geracao)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** The #vars# of one row for sql_insert / sql_update: its columns as the source names them and in lower case. */
function rowVariables(record: SyncRecord): Record<string, unknown> {
  const vars: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(record.row)) {
    vars[name] = value ?? null;
    vars[name.toLowerCase()] ??= value ?? null;
  }
  return vars;
}

/** sql_update for each row, and sql_insert when the update matched nothing (or when only sql_insert is given). */
export async function writeWithTemplates(
  trx: Transaction<Database>,
  dialect: DialectName,
  settings: Pick<GetSettings, 'sqlInsert' | 'sqlUpdate'>,
  base: Record<string, unknown>,
  records: readonly SyncRecord[],
  tenant: RunTenant,
): Promise<number> {
  let written = 0;
  for (const record of records) {
    // A source row's empresa_id (or any engine variable) never replaces the engine's.
    const values = bindEngineValues({ ...base, ...rowVariables(record) }, tenant);
    if (settings.sqlUpdate) {
      const updated = await toRawSql(settings.sqlUpdate, values, { dialect }).execute(trx);
      if (Number(updated.numAffectedRows ?? 0) > 0) {
        written++;
        continue;
      }
    }
    if (settings.sqlInsert) {
      await toRawSql(settings.sqlInsert, values, { dialect }).execute(trx);
      written++;
    }
  }
  return written;
}
