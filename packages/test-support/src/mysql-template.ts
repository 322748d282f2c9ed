import type { Connection, RowDataPacket } from 'mysql2/promise';

/**
 * MariaDB has no CREATE DATABASE … TEMPLATE: a test database is made a copy of the file's first, migrated one by a
 * script of statements read from it once, before its test got it, run in the new database in one round trip
 * (multipleStatements). Its tables as SHOW CREATE TABLE states them (columns, indexes, collations, table options,
 * AUTO_INCREMENT, foreign keys), then the rows the migrations wrote (the migration bookkeeping) as literal INSERTs, then
 * the triggers (tenant guard, CTI phones) as SHOW CREATE TRIGGER states them, with the SQL mode and character sets they
 * were created under, in their order — after the rows, so the copied rows fire nothing, as in the source. The script
 * names nothing of the source: what its test does to it afterwards (even migrating it down) changes no copy.
 * Views, routines and events are refused rather than copied wrongly (their text names the source's schema).
 * Measured (2 cores, load ~4): a copy 0.6–0.9 s, a migration 1.5–2.1 s, the 105 triggers two thirds of a copy;
 * CREATE TABLE … LIKE was no faster (and drops foreign keys and AUTO_INCREMENT); creating the tables and triggers over
 * several connections at once left a stray trigger file behind on MariaDB 10.11.
 */
/** The connection options mysqlCopyScript reads through: values as text, written back unchanged. */
export const mysqlCopyReader = { dateStrings: true, supportBigNumbers: true, bigNumberStrings: true } as const;

export async function mysqlCopyScript(admin: Connection, template: string): Promise<string> {
  await refuseUncopiedObjects(admin, template);
  const tables = (
    await rows(
      admin,
      "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
      [template],
    )
  ).map((row) => String(row.name));
  const script = ['SET SESSION foreign_key_checks = 0'];
  for (const table of tables) {
    const [shown] = await rows(admin, `SHOW CREATE TABLE ${admin.escapeId(template)}.${admin.escapeId(table)}`);
    script.push(unqualified(String(shown?.['Create Table']), template));
  }
  script.push(...(await rowCopies(admin, template, tables)));
  script.push(...(await triggers(admin, template)));
  return script.join(';\n');
}

type Row = RowDataPacket & Record<string, unknown>;

async function rows(admin: Connection, statement: string, values: unknown[] = []): Promise<Row[]> {
  const [result] = await admin.query<Row[]>(statement, values);
  return result;
}

/** A statement to replay in the copy, which must not name the template (it would reach into it). */
function unqualified(statement: string, template: string): string {
  if (statement.includes(template)) throw new Error(`the MariaDB test template's statement names its schema: ${statement}`);
  return statement;
}

async function refuseUncopiedObjects(admin: Connection, template: string): Promise<void> {
  const [found] = await rows(
    admin,
    `SELECT (SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE <> 'BASE TABLE')
          + (SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?)
          + (SELECT COUNT(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?) AS n`,
    [template, template, template],
  );
  if (Number(found?.n) > 0) {
    throw new Error('the migrations create a view, routine or event: teach test-support mysql-template.ts to copy it');
  }
}

/** An INSERT of the rows of each table the migrations wrote into, naming its stored (not generated) columns. */
async function rowCopies(admin: Connection, template: string, tables: string[]): Promise<string[]> {
  if (tables.length === 0) return [];
  const from = (table: string) => `${admin.escapeId(template)}.${admin.escapeId(table)}`;
  const counts = await rows(
    admin,
    tables.map((table) => `SELECT ${admin.escape(table)} AS name FROM ${from(table)} HAVING COUNT(*) > 0`).join(' UNION ALL '),
  );
  const copies: string[] = [];
  for (const { name } of counts) {
    const table = String(name);
    const columns = (
      await rows(
        admin,
        `SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?
           AND (GENERATION_EXPRESSION IS NULL OR GENERATION_EXPRESSION = '') ORDER BY ORDINAL_POSITION`,
        [template, table],
      )
    ).map((row) => String(row.name));
    const list = columns.map((column) => admin.escapeId(column)).join(', ');
    // The connection reads dates and big numbers as text (mysqlCopyReader): each value is written back as it was read.
    const values = (await rows(admin, `SELECT ${list} FROM ${from(table)}`)).map(
      (row) => `(${columns.map((column) => admin.escape(row[column])).join(', ')})`,
    );
    copies.push(`INSERT INTO ${admin.escapeId(table)} (${list}) VALUES ${values.join(', ')}`);
  }
  return copies;
}

/** Each trigger's CREATE, preceded by the session settings it was created under; per table and event in firing order. */
async function triggers(admin: Connection, template: string): Promise<string[]> {
  const found = await rows(
    admin,
    `SELECT TRIGGER_NAME AS name FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?
      ORDER BY EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER`,
    [template],
  );
  const statements: string[] = [];
  let settings = '';
  for (const { name } of found) {
    const [shown] = await rows(admin, `SHOW CREATE TRIGGER ${admin.escapeId(template)}.${admin.escapeId(String(name))}`);
    if (!shown) continue;
    const wanted = `SET SESSION sql_mode = ${admin.escape(shown.sql_mode)}, character_set_client = ${admin.escape(
      shown.character_set_client,
    )}, collation_connection = ${admin.escape(shown.collation_connection)}`;
    if (wanted !== settings) statements.push(wanted);
    settings = wanted;
    statements.push(unqualified(String(shown['SQL Original Statement']), template));
  }
  return statements;
}
