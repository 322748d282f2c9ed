import { migrateToLatest } from '@integrador/store';
import { type Connection, createConnection, type RowDataPacket } from 'mysql2/promise';
import { createTestDatabase, type TestDatabase } from './databases';

type Row = Record<string, unknown>;

async function query(connection: Connection, statement: string): Promise<Row[]> {
  const [rows] = await connection.query<RowDataPacket[]>(statement);
  return rows;
}

/** Columns that differ between two identical schemas: their schema's name, when made, size and row estimates. */
const VOLATILE = new Set([
  'CREATE_TIME',
  'UPDATE_TIME',
  'CHECK_TIME',
  'CREATED',
  'TABLE_ROWS',
  'AVG_ROW_LENGTH',
  'DATA_LENGTH',
  'INDEX_LENGTH',
  'DATA_FREE',
  'MAX_INDEX_LENGTH',
  'CARDINALITY',
]);

/** Every row of an information_schema table about the current database, without the columns above, in one order. */
async function described(connection: Connection, table: string, schemaColumn: string): Promise<Row[]> {
  const rows = await query(connection, `SELECT * FROM information_schema.${table} WHERE ${schemaColumn} = DATABASE()`);
  return rows
    .map((row) => Object.fromEntries(Object.entries(row).filter(([column]) => !VOLATILE.has(column) && !column.endsWith('_SCHEMA'))))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

/** What the code could read of a database's schema: tables, columns, indexes, constraints, triggers and the rest. */
async function schemaOf(connection: Connection): Promise<Record<string, Row[]>> {
  const schema: Record<string, Row[]> = {
    SCHEMATA: await query(
      connection,
      'SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = DATABASE()',
    ),
  };
  for (const [table, schemaColumn] of [
    ['TABLES', 'TABLE_SCHEMA'],
    ['COLUMNS', 'TABLE_SCHEMA'],
    ['STATISTICS', 'TABLE_SCHEMA'],
    ['TABLE_CONSTRAINTS', 'TABLE_SCHEMA'],
    ['KEY_COLUMN_USAGE', 'TABLE_SCHEMA'],
    ['REFERENTIAL_CONSTRAINTS', 'CONSTRAINT_SCHEMA'],
    ['CHECK_CONSTRAINTS', 'CONSTRAINT_SCHEMA'],
    ['TRIGGERS', 'TRIGGER_SCHEMA'],
    ['VIEWS', 'TABLE_SCHEMA'],
    ['ROUTINES', 'ROUTINE_SCHEMA'],
    ['EVENTS', 'EVENT_SCHEMA'],
  ] as const) {
    schema[table] = await described(connection, table, schemaColumn);
  }
  schema.kysely_migration_lock = await query(connection, 'SELECT * FROM kysely_migration_lock');
  return schema;
}

/** Writes an empresa and a conta with a phone: the ids AUTO_INCREMENT gives, and what the CTI trigger noted. */
async function written(connection: Connection): Promise<Row[]> {
  await connection.query("INSERT INTO empresas (nome) VALUES ('Empresa A')");
  await connection.query("INSERT INTO contas (empresa_id, nome, telefone) VALUES (1, 'Conta A', '1134567890')");
  return query(
    connection,
    `SELECT e.id AS empresa, c.id AS conta, p.tabela, p.registro_id FROM empresas e JOIN contas c ON c.empresa_id = e.id
      LEFT JOIN cti_telefones_pendentes p ON p.empresa_id = e.id`,
  );
}

describe('a MariaDB test database', () => {
  const made: TestDatabase[] = [];
  const connections: Connection[] = [];
  afterAll(async () => {
    for (const connection of connections) await connection.end();
    for (const database of made) await database.drop();
  });
  async function opened(options: { migrate?: boolean } = {}): Promise<[TestDatabase, Connection]> {
    const database = await createTestDatabase('mysql', options);
    made.push(database);
    const connection = await createConnection(database.url);
    connections.push(connection);
    return [database, connection];
  }

  it('is a copy of the file’s first, migrated one that the code cannot tell from a migrated database', async () => {
    const [, first] = await opened();
    const [, copy] = await opened();
    const [fresh, freshConnection] = await opened({ migrate: false });
    await migrateToLatest(fresh);

    // Copied, not migrated again: the copy carries the first one's migration rows, applied at the same instants.
    const migrations = (connection: Connection) => query(connection, 'SELECT name, timestamp FROM kysely_migration ORDER BY name');
    expect(await migrations(copy)).toEqual(await migrations(first));
    const names = async (connection: Connection) => (await migrations(connection)).map((row) => row.name);
    expect(await names(copy)).toEqual(await names(freshConnection));
    expect((await names(copy)).length).toBeGreaterThan(20);

    const freshSchema = await schemaOf(freshConnection);
    expect(freshSchema.TRIGGERS?.length).toBeGreaterThan(50);
    expect(await schemaOf(copy)).toEqual(freshSchema);
    expect(await schemaOf(first)).toEqual(freshSchema);

    // The copy's AUTO_INCREMENT starts where a migrated database's does, and its triggers write into the copy.
    const freshWrites = await written(freshConnection);
    expect(freshWrites).toEqual([{ empresa: 1, conta: 1, tabela: 'contas', registro_id: 1 }]);
    expect(await written(copy)).toEqual(freshWrites);
    expect(await query(first, 'SELECT COUNT(*) AS n FROM cti_telefones_pendentes')).toEqual([{ n: 0 }]);
  });
});
